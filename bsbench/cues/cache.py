"""Cue tracks computed once per clip and extractor, kept on disk for every later run.

Tracks depend on the audio and the extractor only, never on the model or the method,
so one extraction serves every method of a run and every later run on the same clips.
The key is a digest of the samples and rate plus the extractor's name and version
(bump the version when its output changes). Files are ``.npz`` archives of plain
arrays, read with ``allow_pickle=False``: nothing in the cache is ever unpickled. A
damaged entry is recomputed.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from bsbench.core.cache import DamagedEntry, cache_dir, clip_digest, expect_array, read_arrays, write_atomic
from bsbench.core.types import Clip, CueTracks
from bsbench.interfaces.protocols import CueExtractorPlugin

VOICED_KEY = "__voiced__"
GRID_KEY = "__seconds_per_frame__"
VOICED_ONLY_KEY = "__voiced_only__"


def cached_tracks(extractor: CueExtractorPlugin, clip: Clip) -> CueTracks:
    """The clip's tracks from the cache, extracting and storing them on a miss."""
    path = _entry_path(extractor, clip)
    if path.is_file():
        stored = _read(path, extractor, clip)
        if stored is not None:
            return stored
    tracks = extractor.extract(clip)
    arrays = {name: np.asarray(track, dtype=np.float64) for name, track in tracks.tracks.items()}
    arrays[VOICED_KEY] = np.asarray(tracks.voiced, dtype=bool)
    arrays[GRID_KEY] = np.asarray(tracks.seconds_per_frame, dtype=np.float64)
    arrays[VOICED_ONLY_KEY] = np.asarray(sorted(tracks.voiced_only), dtype=str)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    write_atomic(path, lambda temp: temp.write_bytes(buffer.getvalue()))
    # what a later run reads back (float64 tracks), so a score is the same whether the tracks were
    # extracted now or read from the cache (an extractor's float32 tracks gave differences of 3e-7)
    return _tracks(arrays, extractor, clip)


def _read(path: Path, extractor: CueExtractorPlugin, clip: Clip) -> CueTracks | None:
    """The stored tracks; None (recomputed) when the entry is unreadable or not what :func:`cached_tracks` writes."""
    try:
        arrays = read_arrays(path)
        _check(arrays, extractor)
    except DamagedEntry:
        return None
    return _tracks(arrays, extractor, clip)


def _check(arrays: dict[str, np.ndarray], extractor: CueExtractorPlugin) -> None:
    """DamagedEntry unless every key, dtype and shape is as :func:`cached_tracks` writes them.

    That is: float tracks of the extractor's own cues, one boolean per frame, a positive
    frame length, and voiced-only names among its cues. A garbled or foreign archive
    that happens to unzip must not pass for the clip's cues.
    """
    grid = expect_array(arrays, GRID_KEY, "f", 0)
    voiced = expect_array(arrays, VOICED_KEY, "b", 1)
    voiced_only = expect_array(arrays, VOICED_ONLY_KEY, "U", 1)
    if not (np.isfinite(grid) and grid > 0):
        raise DamagedEntry(f"frame length {grid} s is not a positive number")
    tracks = set(arrays) - {GRID_KEY, VOICED_KEY, VOICED_ONLY_KEY}
    for name in tracks:
        if name not in extractor.cues:
            raise DamagedEntry(f"track {name!r} is not a cue of {extractor.name}")
        frames = expect_array(arrays, name, "f", 1).shape[0]
        if frames != voiced.shape[0]:
            raise DamagedEntry(f"track {name!r} has {frames} frames, not {voiced.shape[0]}")
    if not set(voiced_only.tolist()) <= set(extractor.cues):
        raise DamagedEntry(f"voiced-only names that are not cues of {extractor.name}")


def _tracks(arrays: dict[str, np.ndarray], extractor: CueExtractorPlugin, clip: Clip) -> CueTracks:
    arrays = dict(arrays)
    return CueTracks(
        clip_id=clip.clip_id,
        seconds_per_frame=float(arrays.pop(GRID_KEY)),
        voiced=arrays.pop(VOICED_KEY),
        voiced_only=frozenset(str(name) for name in arrays.pop(VOICED_ONLY_KEY)),
        tracks=arrays,
        units={name: extractor.cues[name] for name in arrays},
        extractor=extractor.name,
    )


def is_cached(extractor: CueExtractorPlugin, clip: Clip) -> bool:
    """Whether the clip's tracks are on disk (a damaged entry still counts: it is found, then recomputed)."""
    return _entry_path(extractor, clip).is_file()


def _entry_path(extractor: CueExtractorPlugin, clip: Clip) -> Path:
    return cache_dir() / "cues" / f"{extractor.name}-{extractor.version}" / f"{clip_digest(clip)}.npz"
