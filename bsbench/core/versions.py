"""The versions and machine every manifest and model card records, so a number can be traced to
the code that made it.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Iterable
from importlib import metadata
from typing import Any

#: Distributions whose versions change numbers; recorded in every manifest.
TRACKED_PACKAGES = (
    "bsbench",
    "torch",
    "torchaudio",
    "numpy",
    "scipy",
    "librosa",
    "captum",
    "quantus",
    "zennit",
    "zennit-crp",
    "pandas",
    "praat-parselmouth",
)


def package_versions(extra: Iterable[str] = ()) -> dict[str, str]:
    versions = {}
    for name in (*TRACKED_PACKAGES, *extra):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def environment() -> dict[str, Any]:
    return {"python": sys.version.split()[0], "platform": platform.platform(), "machine": platform.machine()}
