"""Writing clips out as files a person can play, with their ground truth beside them.

The folder also gets ``labels.csv`` (path,label,speaker): the layout of a labelled
audio folder, so exported clips load back as a corpus of files.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import soundfile

from bsbench.core.cache import write_json
from bsbench.core.errors import DataError
from bsbench.core.types import Clip, GroundTruth


def export_clips(clips: Sequence[Clip], folder: Path) -> list[Path]:
    """Write each clip as 16-bit WAV plus ``<clip>.truth.json`` when it has ground truth; returns the WAV paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for clip in clips:
        path = folder / f"{clip.clip_id}.wav"
        # a folder corpus's ids are paths below its folder (actor2/happy_01); no id may point outside it
        if not path.resolve().is_relative_to(folder.resolve()):
            raise DataError(f"clip id {clip.clip_id!r} would be written outside {folder}")
        path.parent.mkdir(parents=True, exist_ok=True)
        soundfile.write(path, clip.waveform, clip.sample_rate, subtype="PCM_16")
        if clip.ground_truth is not None:
            write_json(folder / f"{clip.clip_id}.truth.json", truth_record(clip, clip.ground_truth))
        written.append(path)
    with (folder / "labels.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "label", "speaker"])
        rows = (
            (path.relative_to(folder).as_posix(), clip.label, clip.speaker)
            for path, clip in zip(written, clips, strict=True)
        )
        writer.writerows(rows)
    return written


def truth_record(clip: Clip, truth: GroundTruth) -> dict[str, Any]:
    """The ground truth as strict JSON (undefined frames as null)."""
    tracks = truth.cue_tracks
    return {
        "clip_id": clip.clip_id,
        "label": clip.label,
        "speaker": clip.speaker,
        "split": clip.split,
        **truth.metadata(),
        "voiced": tracks.voiced.astype(int).tolist(),
        "tracks": {
            cue: [round(float(v), 6) if math.isfinite(v) else None for v in track]
            for cue, track in tracks.tracks.items()
        },
    }
