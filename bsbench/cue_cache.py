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
import zipfile
from pathlib import Path

import numpy as np

from bsbench.cache import cache_dir, clip_digest, write_atomic
from bsbench.protocols import CueExtractorPlugin
from bsbench.types import Clip, CueTracks

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
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
        return _tracks(arrays, extractor, clip)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None


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
