"""A corpus on disk without pickle: numeric arrays in one ``.npz``, everything else in JSON.

Generated and preprocessed corpora are cached this way. Arrays are read with
``allow_pickle=False`` and the index is plain JSON, so a cache file from anywhere can
never run code. Clips of any length share one concatenated array plus offsets; the
index is written last, so a folder without it is an unfinished write and is ignored.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bsbench.cache import write_atomic, write_json
from bsbench.types import REGION_FIELDS, Clip, Corpus, CueTracks, GroundTruth, SkippedFile

ARRAYS = "arrays.npz"
INDEX = "corpus.json"
FORMAT = 2


def save_corpus(corpus: Corpus, folder: Path) -> None:
    """Write ``corpus`` (clips, splits, ground truth) into ``folder``."""
    clips = corpus.clips
    arrays: dict[str, np.ndarray] = {
        "waveforms": np.concatenate([clip.waveform for clip in clips]).astype(np.float32),
        "waveform_offsets": _offsets([clip.waveform.shape[0] for clip in clips]),
    }
    with_truth = [clip.ground_truth for clip in clips if clip.ground_truth is not None]
    if with_truth:
        cues = sorted({cue for truth in with_truth for cue in truth.cue_tracks.tracks})
        arrays["track_offsets"] = _offsets([truth.cue_tracks.n_frames for truth in with_truth])
        arrays["voiced"] = np.concatenate([truth.cue_tracks.voiced for truth in with_truth])
        for cue in cues:
            arrays[f"track.{cue}"] = np.concatenate(
                [truth.cue_tracks.tracks.get(cue, np.full(truth.cue_tracks.n_frames, np.nan)) for truth in with_truth]
            ).astype(np.float64)
    index = {
        "format": FORMAT,
        "name": corpus.name,
        "labels": list(corpus.labels),
        "split_policy": corpus.split_policy,
        "parameters": dict(corpus.parameters),
        "label_mapping": dict(corpus.label_mapping),
        "warnings": list(corpus.warnings),
        "skipped": [[skip.path, skip.reason] for skip in corpus.skipped],
        "clips": [_clip_record(clip) for clip in clips],
    }

    def write_arrays(temp: Path) -> None:
        with temp.open("wb") as handle:  # a file object: np.savez would append ".npz" to a path
            np.savez(handle, **arrays)

    write_atomic(Path(folder) / ARRAYS, write_arrays)
    write_json(Path(folder) / INDEX, index)


def load_saved_corpus(folder: Path) -> Corpus | None:
    """The corpus saved in ``folder``, or None when nothing complete is there."""
    folder = Path(folder)
    if not (folder / INDEX).is_file() or not (folder / ARRAYS).is_file():
        return None
    index = json.loads((folder / INDEX).read_text())
    if index.get("format") != FORMAT:
        return None
    with np.load(folder / ARRAYS, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    waveform_offsets = arrays["waveform_offsets"]
    track_offsets = arrays.get("track_offsets")
    truth_index = 0
    clips = []
    for position, record in enumerate(index["clips"]):
        waveform = arrays["waveforms"][waveform_offsets[position] : waveform_offsets[position + 1]]
        truth = None
        if record["ground_truth"] is not None and track_offsets is not None:
            frames = slice(track_offsets[truth_index], track_offsets[truth_index + 1])
            truth = _ground_truth(record, arrays, frames)
            truth_index += 1
        clips.append(
            Clip(
                clip_id=record["clip_id"],
                waveform=waveform,
                sample_rate=record["sample_rate"],
                label=record["label"],
                speaker=record["speaker"],
                split=record["split"],
                source=record["source"],
                metadata=record["metadata"],
                ground_truth=truth,
            )
        )
    return Corpus(
        name=index["name"],
        labels=tuple(index["labels"]),
        clips=tuple(clips),
        split_policy=index["split_policy"],
        parameters=index["parameters"],
        skipped=tuple(SkippedFile(path, reason) for path, reason in index["skipped"]),
        label_mapping=index["label_mapping"],
        warnings=tuple(index["warnings"]),
    )


def _offsets(lengths: Sequence[int]) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)


def _clip_record(clip: Clip) -> dict[str, Any]:
    truth = clip.ground_truth
    return {
        "clip_id": clip.clip_id,
        "sample_rate": clip.sample_rate,
        "label": clip.label,
        "speaker": clip.speaker,
        "split": clip.split,
        "source": clip.source,
        "metadata": dict(clip.metadata),
        "ground_truth": None if truth is None else truth.metadata(),
    }


def _ground_truth(record: dict[str, Any], arrays: dict[str, np.ndarray], frames: slice) -> GroundTruth:
    meta = record["ground_truth"]
    tracks = CueTracks(
        clip_id=record["clip_id"],
        seconds_per_frame=meta["seconds_per_frame"],
        tracks={cue: arrays[f"track.{cue}"][frames] for cue in meta["units"]},
        units=meta["units"],
        voiced=arrays["voiced"][frames],
        voiced_only=frozenset(meta["voiced_only"]),
        extractor=meta["extractor"],
    )
    return GroundTruth(
        cue_tracks=tracks,
        carrying_cues=tuple(meta["carrying_cues"]),
        evidence=tuple(tuple(region[name] for name in REGION_FIELDS) for region in meta["evidence"]),
        placement=meta["placement"],
    )
