"""Installed-looking plugin distributions written into a folder: a module plus a dist-info with entry points."""

from __future__ import annotations

import textwrap
from pathlib import Path


def make_distribution(root: Path, name: str, module: str, source: str) -> None:
    """Install a fake distribution (module + dist-info with an entry point) under ``root``."""
    (root / f"{module}.py").write_text(textwrap.dedent(source))
    info = root / f"{name.replace('-', '_')}-1.0.dist-info"  # dist-info names use underscores
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[bsbench]\n{module} = {module}\n")
