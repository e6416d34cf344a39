"""What the cache holds and how much room it takes: ``bsbench cache info`` and ``bsbench cache clear``.

The cache has one folder per kind of entry - trained models, generated corpora, cue
tracks, explanation and score pieces - and every entry is keyed by what produced it, so
any of them can be deleted at any time: the next run recomputes what it needs. Pieces
grow with every grid (one explanation batch per method and clip batch), which is why a
user needs to see their size and clear them.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from bsbench.core.cache import cache_dir
from bsbench.core.errors import UsageError

#: Cache folders and what they hold.
CACHE_KINDS = {
    "models": "trained models (checkpoint + model card)",
    "datasets": "generated corpora (npz + JSON)",
    "cues": "cue tracks per clip and extractor",
    "pieces": "explanation and score batches per model",
}


def cache_summary(root: Path | None = None) -> list[dict[str, Any]]:
    """One row per kind: folder, file count and size in MB."""
    root = root or cache_dir()
    rows = []
    for kind, meaning in CACHE_KINDS.items():
        files = [path for path in (root / kind).rglob("*") if path.is_file()] if (root / kind).is_dir() else []
        size = sum(path.stat().st_size for path in files)
        rows.append({"kind": kind, "files": len(files), "megabytes": round(size / 1e6, 2), "holds": meaning})
    return rows


def clear_cache(kinds: list[str], root: Path | None = None) -> list[str]:
    """Delete the named kinds of entries; returns the folders removed."""
    unknown = sorted(set(kinds) - set(CACHE_KINDS))
    if unknown:
        raise UsageError(f"--kind {', '.join(unknown)}: choose from {', '.join(CACHE_KINDS)}")
    root = root or cache_dir()
    removed = []
    for kind in kinds:
        folder = root / kind
        if folder.is_dir():
            shutil.rmtree(folder)
            removed.append(str(folder))
    return removed
