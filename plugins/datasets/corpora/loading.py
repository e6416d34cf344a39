"""From labelled audio files on disk to a split :class:`Corpus`, shared by every file-based dataset.

The corpus plugins differ only in how they find labels (file names or a CSV); reading,
converting, splitting and reporting what was skipped happen here, once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bsbench.plugin import (
    CANONICAL_LABELS,
    LENGTH_POLICIES,
    AudioFacts,
    AudioFileError,
    Clip,
    Corpus,
    DataError,
    DatasetRequest,
    SkippedFile,
    TooFewGroups,
    UsageError,
    group_splits,
    progress_bar,
    read_audio,
)

DATA_ENV = "BSBENCH_DATA"


@dataclass(frozen=True)
class AudioCorpusOptions:
    """Options every file-based dataset takes (``--dataset-option key=value``)."""

    #: Rate every clip is resampled to (the built-in models read 16 kHz).
    sample_rate: int = 16_000
    #: keep: whole recordings; reference: the paper's silence trim, then 2 s.
    length_policy: str = "keep"
    #: Share of speakers (or words, for TESS) held out for testing and for model selection.
    test_fraction: float = 0.2
    validation_fraction: float = 0.1

    def check(self, dataset: str) -> None:
        if not 8_000 <= self.sample_rate <= 96_000:
            raise UsageError(f"dataset {dataset}: option sample_rate={self.sample_rate}: must be 8000 to 96000 Hz")
        if self.length_policy not in LENGTH_POLICIES:
            raise UsageError(
                f"dataset {dataset}: option length_policy={self.length_policy!r}: choose {', '.join(LENGTH_POLICIES)}"
            )


@dataclass(frozen=True)
class Recording:
    """One labelled file before its audio is read."""

    path: Path
    relative: str
    code: str
    speaker: str
    #: The unit kept whole within one split (a speaker, or the words of TESS).
    group: str
    #: What identifies the recording in the corpus: the file name where it says everything (CREMA-D's
    #: 1001_DFA_ANG_XX), the path below the folder where folders tell recordings apart (actor2/happy_01).
    clip_id: str
    details: Mapping[str, str] = field(default_factory=dict)


def data_folder(request: DatasetRequest, dataset: str, layout: str) -> Path:
    """``--data-dir``, else ``$BSBENCH_DATA/<dataset>``: one line (exit 2) naming the folder and layout if absent."""
    if request.data_dir is not None:
        folder = Path(request.data_dir)
    elif os.environ.get(DATA_ENV):
        folder = Path(os.environ[DATA_ENV]) / dataset
    else:
        raise UsageError(
            f"dataset {dataset}: no data folder; pass --data-dir or set {DATA_ENV} (read as {DATA_ENV}/{dataset}); "
            f"expected {layout}"
        )
    if not folder.is_dir():
        raise UsageError(f"dataset {dataset}: data folder {folder} does not exist; expected {layout}")
    return folder


def build_corpus(
    dataset: str,
    recordings: Sequence[Recording],
    codes: Mapping[str, str],
    options: AudioCorpusOptions,
    seed: int,
    *,
    skipped: Iterable[SkippedFile] = (),
    split_policy: str,
    split_unit: str = "speakers",
    warnings: Sequence[str] = (),
) -> Corpus:
    """Read every recording (a bad one is skipped with its reason) and split whole groups."""
    unread: list[SkippedFile] = []
    loaded: list[tuple[str, Recording, np.ndarray, AudioFacts]] = []
    seen_ids: dict[str, str] = {}
    with progress_bar() as progress:
        task = progress.add_task(f"reading {dataset}", total=len(recordings), status="")
        for recording in recordings:
            progress.update(task, advance=1)
            clip_id = recording.clip_id
            if clip_id in seen_ids:  # byte-identical copies were left out already: this one differs
                unread.append(
                    SkippedFile(recording.relative, f"clip id {clip_id} already taken by {seen_ids[clip_id]}")
                )
                continue
            try:
                waveform, facts = read_audio(recording.path, options.sample_rate, options.length_policy)
            except AudioFileError as error:
                unread.append(SkippedFile(recording.relative, str(error)))
                continue
            seen_ids[clip_id] = recording.relative
            loaded.append((clip_id, recording, waveform, facts))
    if not loaded:
        first = f"; first: {unread[0].path}: {unread[0].reason}" if unread else ""
        raise DataError(f"dataset {dataset}: none of the {len(recordings)} recordings could be read{first}")
    groups = {recording.group for _, recording, _, _ in loaded}
    try:
        split_of = group_splits(
            groups,
            seed,
            options.test_fraction,
            options.validation_fraction,
            owner=f"dataset {dataset}",
            unit=split_unit,
        )
    except TooFewGroups:
        # Still explainable by a checkpoint trained elsewhere; training on it says why it cannot.
        split_of = dict.fromkeys(groups, "test")
        warnings = (
            *warnings,
            f"{len(groups)} {split_unit} are too few to split into train, validation and test (at least 3 are "
            "needed): every clip is in the test split, to be explained with --checkpoint; no model can be trained "
            "on it",
        )
    clips = tuple(
        Clip(
            clip_id=clip_id,
            waveform=waveform,
            sample_rate=options.sample_rate,
            label=codes[recording.code],
            speaker=recording.speaker,
            split=split_of[recording.group],
            source=recording.relative,
            metadata={
                **recording.details,
                "code": recording.code,
                "native_sample_rate": facts.sample_rate,
                "channels": facts.channels,
                "seconds": round(facts.seconds, 3),
            },
        )
        for clip_id, recording, waveform, facts in loaded
    )
    present = {clip.label for clip in clips}
    labels = tuple(label for label in CANONICAL_LABELS if label in present)
    labels += tuple(sorted(present - set(labels)))
    return Corpus(
        name=dataset,
        labels=labels,
        clips=clips,
        split_policy=split_policy,
        parameters={
            **dataclasses.asdict(options),
            "seed": seed,
            "fingerprint": fingerprint(recording for _, recording, _, _ in loaded),
        },
        skipped=tuple(sorted([*skipped, *unread], key=lambda s: s.path)),
        label_mapping=dict(codes),
        warnings=tuple(warnings),
    )


def fingerprint(recordings: Iterable[Recording]) -> str:
    """A hash of the loaded files' names and sizes: a changed corpus never reuses a cached model."""
    digest = hashlib.sha256()
    for recording in sorted(recordings, key=lambda r: r.relative):
        digest.update(f"{recording.relative}\0{recording.path.stat().st_size}\n".encode())
    return digest.hexdigest()[:16]
