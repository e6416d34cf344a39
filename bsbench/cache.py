"""Where bsbench keeps what it computed once, and how it writes files safely.

Cache entries are content-addressed: the key is a hash of everything that produced
them (plugin names and versions, parameters, seeds), so a changed input never reads a
stale entry. Files are written to a temporary name and moved into place with
``os.replace``, so a killed process leaves either the old file or the new one.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from bsbench.types import Clip

CACHE_ENV = "BSBENCH_CACHE"


def cache_dir() -> Path:
    """``$BSBENCH_CACHE``, else ``~/.cache/bsbench``."""
    configured = os.environ.get(CACHE_ENV)
    root = Path(configured) if configured else Path.home() / ".cache" / "bsbench"
    root.mkdir(parents=True, exist_ok=True)
    return root


def content_key(inputs: Mapping[str, Any]) -> str:
    """A short stable hash of JSON-serialisable ``inputs``."""
    canonical = json.dumps(inputs, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def clip_digest(clip: Clip) -> str:
    """The clip's samples and rate, hashed: every cache entry derived from audio is keyed by this."""
    digest = hashlib.blake2b(digest_size=16)
    samples = np.ascontiguousarray(clip.waveform, dtype=np.float32)
    digest.update(f"{clip.sample_rate}|{samples.shape[0]}|".encode())
    digest.update(samples.tobytes())
    return digest.hexdigest()


def _file_mode() -> int:
    """The mode a plain ``open(path, "w")`` would give: 0o666 less the process's umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(temp_path)`` then move the result onto ``path`` in one step.

    The temporary file is private (0600) while written; the result gets the mode any
    other written file would, so a report or a table can be shared or served.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    temp = Path(temp_name)
    try:
        write(temp)
        os.chmod(temp, _file_mode())
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def write_json(path: Path, data: Any) -> None:
    write_atomic(path, lambda temp: temp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n"))
