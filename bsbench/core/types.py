"""The data that flows between plugins.

Every plugin kind speaks in these few types, so a dataset written by one lab, a model
by another and a metric by a third compose without adapters. They are frozen
dataclasses: a value handed to a plugin cannot be changed behind the caller's back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SPLITS = ("train", "validation", "test")
#: The name that selects every clip of a corpus, whatever its split (a model bsbench did not train here).
ALL_CLIPS = "all"


@dataclass(frozen=True, eq=False)
class Clip:
    """One labelled recording: float32 mono samples plus where they came from."""

    clip_id: str
    waveform: np.ndarray
    sample_rate: int
    label: str
    speaker: str
    split: str
    source: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    #: What generated the clip, for corpora that know it (the synthetic corpus); None for recordings.
    ground_truth: GroundTruth | None = None

    def __post_init__(self) -> None:
        if self.waveform.ndim != 1:
            raise ValueError(f"clip {self.clip_id}: waveform must be mono (1-D), got shape {self.waveform.shape}")
        if self.split not in SPLITS:
            raise ValueError(f"clip {self.clip_id}: split must be one of {SPLITS}, got {self.split!r}")


@dataclass(frozen=True)
class SkippedFile:
    """A file a dataset found but did not load, and why (reported, never silently dropped)."""

    path: str
    reason: str


@dataclass(frozen=True)
class Corpus:
    """What a dataset plugin returns: the clips, the label set and how they were split."""

    name: str
    labels: tuple[str, ...]
    clips: tuple[Clip, ...]
    split_policy: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    #: Files found under the data directory and left out, each with its reason.
    skipped: tuple[SkippedFile, ...] = ()
    #: The corpus's own emotion codes -> the canonical labels they were read as.
    label_mapping: Mapping[str, str] = field(default_factory=dict)
    #: Caveats a user must see (e.g. a split that cannot be speaker-independent).
    warnings: tuple[str, ...] = ()

    def split(self, name: str) -> tuple[Clip, ...]:
        """The clips of split ``name``, or every clip for :data:`ALL_CLIPS`."""
        if name == ALL_CLIPS:
            return self.clips
        return tuple(clip for clip in self.clips if clip.split == name)


@dataclass(frozen=True)
class InputGrid:
    """The axes of a model's input, so a relevance map reads as time x frequency.

    ``bin_frequencies_hz`` holds the centre frequency of every row of the input (empty
    for a waveform model, whose input has a time axis only).
    """

    seconds_per_frame: float
    n_frames: int
    bin_frequencies_hz: tuple[float, ...] = ()

    @property
    def n_bins(self) -> int:
        return len(self.bin_frequencies_hz)

    @property
    def shape(self) -> tuple[int, int]:
        return (max(self.n_bins, 1), self.n_frames)

    @property
    def duration(self) -> float:
        return self.seconds_per_frame * self.n_frames


@dataclass(frozen=True, eq=False)
class Explanation:
    """Relevance of every input cell for one clip and one target class."""

    clip_id: str
    relevance: np.ndarray
    grid: InputGrid
    method: str
    target: int
    parameters: Mapping[str, Any] = field(default_factory=dict)
    #: What the method found besides the map (e.g. CRP's most relevant concepts), JSON-able.
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.relevance.shape != self.grid.shape:
            raise ValueError(
                f"explanation of {self.clip_id} by {self.method}: relevance shape {self.relevance.shape} "
                f"does not match the input grid {self.grid.shape}"
            )


@dataclass(frozen=True, eq=False)
class CueTracks:
    """Frame-wise acoustic cue tracks of one clip on a common time grid.

    Cues named in ``voiced_only`` are undefined where ``voiced`` is False: statistics
    must skip those frames instead of averaging zeros (a defect of the reference code).
    """

    clip_id: str
    seconds_per_frame: float
    tracks: Mapping[str, np.ndarray]
    units: Mapping[str, str]
    voiced: np.ndarray
    voiced_only: frozenset[str] = frozenset()
    extractor: str = ""

    def __post_init__(self) -> None:
        n = self.voiced.shape[0]
        for name, track in self.tracks.items():
            if track.shape != (n,):
                raise ValueError(f"cue track {name!r} of {self.clip_id} has shape {track.shape}, expected ({n},)")
            if name not in self.units:
                raise ValueError(f"cue track {name!r} of {self.clip_id} has no unit")

    @property
    def n_frames(self) -> int:
        return int(self.voiced.shape[0])

    def valid_frames(self, cue: str) -> np.ndarray:
        """Frames where ``cue`` has a defined, finite value."""
        track = self.tracks[cue]
        valid = np.isfinite(track)
        if cue in self.voiced_only:
            valid &= self.voiced
        return valid


#: An evidence region: (start s, end s, lowest Hz, highest Hz).
Region = tuple[float, float, float, float]
REGION_FIELDS = ("start_s", "end_s", "low_hz", "high_hz")


@dataclass(frozen=True, eq=False)
class GroundTruth:
    """The answers a generated clip carries: true cue tracks, which cues carry its class, and where.

    ``evidence`` lists time x frequency rectangles in seconds and Hz rather than a mask
    on one model's grid, so the same truth serves any front end: :meth:`evidence_mask`
    rasterises it onto an :class:`InputGrid`. An empty ``evidence`` means the clip
    holds no class evidence (a neutral clip: nothing deviates from the neutral voice).
    """

    cue_tracks: CueTracks
    carrying_cues: tuple[str, ...]
    evidence: tuple[Region, ...]
    placement: str

    def metadata(self) -> dict[str, Any]:
        """Everything but the track arrays, JSON-ready: how corpus files and exports describe this truth."""
        tracks = self.cue_tracks
        return {
            "placement": self.placement,
            "carrying_cues": list(self.carrying_cues),
            "evidence": [dict(zip(REGION_FIELDS, region, strict=True)) for region in self.evidence],
            "seconds_per_frame": tracks.seconds_per_frame,
            "units": dict(tracks.units),
            "voiced_only": sorted(tracks.voiced_only),
            "extractor": tracks.extractor,
        }

    def evidence_mask(self, grid: InputGrid) -> np.ndarray:
        """Cells of ``grid`` whose centre (frame i at ``i * seconds_per_frame``) lies in an evidence region.

        Shape ``grid.shape``; a waveform model's grid (no frequency bins) gets one row
        covering every frequency.
        """
        times = np.arange(grid.n_frames) * grid.seconds_per_frame
        frequencies = np.asarray(grid.bin_frequencies_hz) if grid.n_bins else None
        mask = np.zeros(grid.shape, dtype=bool)
        for start, end, low, high in self.evidence:
            in_time = (times >= start) & (times < end)
            in_band = np.ones(1, dtype=bool) if frequencies is None else (frequencies >= low) & (frequencies <= high)
            mask |= in_band[:, None] & in_time[None, :]
        return mask


RESULT_COLUMNS = (
    "run_id",
    "dataset",
    "split",
    "model",
    "method",
    "cues",
    "metric",
    "clip_id",
    "label",
    "prediction",
    "correct",
    "value",
    "reason",
    "speaker",
)


@dataclass(frozen=True)
class ResultRow:
    """One score of one explanation: the long format every table is a view of.

    ``cues`` is empty for metrics that do not read cue tracks. ``value`` is NaN when a
    metric is undefined for the clip, and ``reason`` then says why (empty otherwise).
    """

    run_id: str
    dataset: str
    split: str
    model: str
    method: str
    cues: str
    metric: str
    clip_id: str
    label: str
    prediction: str
    correct: bool
    value: float
    reason: str = ""
    speaker: str = ""
