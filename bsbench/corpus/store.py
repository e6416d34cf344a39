"""A corpus on disk without pickle: numeric arrays in one ``.npz``, everything else in JSON.

Generated and preprocessed corpora are cached this way. Arrays are read with
``allow_pickle=False`` and the index is plain JSON, so a cache file from anywhere can
never run code. Clips of any length share one concatenated array plus offsets; the
index is written last, so a folder without it is an unfinished write and is ignored.
An entry that is truncated, garbled or of the wrong shape is read as a miss too.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bsbench.core.cache import (
    DamagedEntry,
    expect_array,
    expect_json,
    expect_strings,
    read_arrays,
    read_json,
    write_atomic,
    write_json,
)
from bsbench.core.types import REGION_FIELDS, SPLITS, Clip, Corpus, CueTracks, GroundTruth, SkippedFile

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
    """The corpus saved in ``folder``; None when nothing complete, readable and consistent is there.

    None is a miss: the caller builds the corpus again and saves it over the entry. The
    index and every array are checked before a clip is built, so a truncated archive, a
    garbled index or arrays that do not fit the index are recomputed, never read as clips.
    """
    folder = Path(folder)
    if not (folder / INDEX).is_file() or not (folder / ARRAYS).is_file():
        return None
    try:
        index = expect_json(read_json(folder / INDEX), (dict,), "the index")
        if index.get("format") != FORMAT:
            return None
        _check_index(index)
        arrays = read_arrays(folder / ARRAYS)
        _check_arrays(arrays, index["clips"])
    except DamagedEntry:
        return None
    waveform_offsets = arrays["waveform_offsets"]
    track_offsets = arrays.get("track_offsets")
    truth_index = 0
    clips = []
    for position, record in enumerate(index["clips"]):
        waveform = arrays["waveforms"][waveform_offsets[position] : waveform_offsets[position + 1]]
        truth = None
        if record["ground_truth"] is not None:
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


#: The JSON type of each index key, clip record key and ground-truth key, as :func:`save_corpus` writes them.
_INDEX_KINDS: dict[str, tuple[type, ...]] = {
    "name": (str,),
    "labels": (list,),
    "split_policy": (str,),
    "parameters": (dict,),
    "label_mapping": (dict,),
    "warnings": (list,),
    "skipped": (list,),
    "clips": (list,),
}
_CLIP_KINDS: dict[str, tuple[type, ...]] = {
    "clip_id": (str,),
    "sample_rate": (int,),
    "label": (str,),
    "speaker": (str,),
    "split": (str,),
    "source": (str, type(None)),
    "metadata": (dict,),
    "ground_truth": (dict, type(None)),
}
_TRUTH_KINDS: dict[str, tuple[type, ...]] = {
    "placement": (str,),
    "carrying_cues": (list,),
    "evidence": (list,),
    "seconds_per_frame": (int, float),
    "units": (dict,),
    "voiced_only": (list,),
    "extractor": (str,),
}
_REGION_KINDS: dict[str, tuple[type, ...]] = {name: (int, float) for name in REGION_FIELDS}


def _check_keys(record: dict[str, Any], kinds: dict[str, tuple[type, ...]], where: str) -> None:
    """DamagedEntry unless every key of ``kinds`` is in ``record`` with one of its JSON types."""
    for key, allowed in kinds.items():
        expect_json(record.get(key, ...), allowed, f"{where}'{key}'")


def _check_index(index: dict[str, Any]) -> None:
    """DamagedEntry unless ``index`` has every key, type and value :func:`load_saved_corpus` builds clips from."""
    _check_keys(index, _INDEX_KINDS, "")
    labels = set(expect_strings(index["labels"], "'labels'"))
    expect_strings(index["warnings"], "'warnings'")
    for entry in index["skipped"]:
        if len(expect_strings(entry, "every item of 'skipped'")) != 2:
            raise DamagedEntry("every item of 'skipped' must be [path, reason]")
    for position, record in enumerate(index["clips"]):
        where = f"clip {position} "
        _check_keys(expect_json(record, (dict,), where), _CLIP_KINDS, where)
        if record["sample_rate"] <= 0 or record["label"] not in labels or record["split"] not in SPLITS:
            raise DamagedEntry(f"{where}has a sample rate, label or split no corpus can have")
        truth = record["ground_truth"]
        if truth is None:
            continue
        _check_keys(truth, _TRUTH_KINDS, f"{where}ground truth ")
        expect_strings(truth["carrying_cues"], f"{where}'carrying_cues'")
        expect_strings(truth["voiced_only"], f"{where}'voiced_only'")
        expect_strings(list(truth["units"].values()), f"{where}'units'")
        for region in truth["evidence"]:
            _check_keys(expect_json(region, (dict,), f"{where}evidence"), _REGION_KINDS, f"{where}evidence ")


def _check_arrays(arrays: dict[str, np.ndarray], clips: list[dict[str, Any]]) -> None:
    """DamagedEntry unless the arrays hold exactly the samples and tracks the (checked) clip records need."""
    waveforms = expect_array(arrays, "waveforms", "f", 1)
    _check_cuts(expect_array(arrays, "waveform_offsets", "i", 1), len(clips), waveforms.shape[0], "waveform_offsets")
    truths = [record["ground_truth"] for record in clips if record["ground_truth"] is not None]
    if not truths:
        return
    voiced = expect_array(arrays, "voiced", "b", 1)
    _check_cuts(expect_array(arrays, "track_offsets", "i", 1), len(truths), voiced.shape[0], "track_offsets")
    for cue in {cue for truth in truths for cue in truth["units"]}:
        frames = expect_array(arrays, f"track.{cue}", "f", 1).shape[0]
        if frames != voiced.shape[0]:
            raise DamagedEntry(f"array 'track.{cue}' has {frames} frames, not {voiced.shape[0]}")


def _check_cuts(offsets: np.ndarray, pieces: int, total: int, name: str) -> None:
    """``offsets`` must cut ``total`` items into ``pieces`` non-empty runs, as :func:`_offsets` wrote them."""
    if offsets.shape != (pieces + 1,) or offsets[0] != 0 or offsets[-1] != total or np.any(np.diff(offsets) <= 0):
        raise DamagedEntry(f"array {name!r} does not cut the {total} stored items into {pieces} pieces")


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
