"""Any labelled folder: audio files plus a CSV of ``path,label[,speaker]``.

For corpora bsbench has no plugin for. Labels are read through a table of common
spellings ("anger", "happiness", "fearful") onto the canonical vocabulary; a label it
cannot place is skipped with its row number rather than guessed. Without a speaker
column no split can be speaker-independent, and the corpus says so.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from bsbench_plugins.datasets.corpora.loading import AudioCorpusOptions, Recording, build_corpus, data_folder

from bsbench.audio_files import AUDIO_EXTENSIONS
from bsbench.errors import DataError, UsageError
from bsbench.labels import CANONICAL_LABELS
from bsbench.parameters import build_parameters
from bsbench.protocols import DatasetRequest
from bsbench.types import Corpus, SkippedFile

#: Spellings corpora use for the canonical labels (lower-cased before lookup).
LABEL_SPELLINGS = {
    **{label: label for label in CANONICAL_LABELS},
    "anger": "angry",
    "ang": "angry",
    "disgusted": "disgust",
    "dis": "disgust",
    "fearful": "fear",
    "afraid": "fear",
    "fea": "fear",
    "happiness": "happy",
    "joy": "happy",
    "hap": "happy",
    "neu": "neutral",
    "sadness": "sad",
    "surprised": "surprise",
    "ps": "surprise",
    "pleasant_surprise": "surprise",
    "bored": "boredom",
}


@dataclass(frozen=True)
class FolderOptions(AudioCorpusOptions):
    #: The CSV inside the folder (paths in it are relative to the folder).
    labels: str = "labels.csv"


class FolderDataset:
    name = "folder"
    description = "Any folder of audio plus labels.csv (path,label[,speaker]); labels mapped to the canonical set."
    version = "1.0.0"
    layout = "audio files plus labels.csv (path,label[,speaker])"

    def load(self, request: DatasetRequest) -> Corpus:
        options = build_parameters(FolderOptions, request.options, "dataset folder")
        options.check(self.name)
        root = data_folder(request, self.name, f"audio files plus {options.labels} (path,label[,speaker])")
        table = root / options.labels
        if not table.is_file():
            raise UsageError(f"dataset folder: {table} not found; expected a CSV with columns path,label[,speaker]")
        recordings, skipped, has_speakers = _read_table(root, table)
        if not recordings:
            first = f"; first: {skipped[0].reason}" if skipped else ""
            raise DataError(f"dataset folder: {table} lists no usable recording{first}")
        policy = (
            "speaker-independent (speaker column)"
            if has_speakers
            else "clip-level random: no speaker column, so a speaker may be in train and test"
        )
        warnings = (
            () if has_speakers else (f"{table.name} has no speaker column: the split is not speaker-independent",)
        )
        used = {recording.code for recording in recordings}
        codes = {code: LABEL_SPELLINGS[code] for code in sorted(used)}
        return build_corpus(
            self.name,
            recordings,
            codes,
            options,
            request.seed,
            skipped=skipped,
            split_policy=f"{policy}, drawn with seed {request.seed}",
            split_unit="speakers" if has_speakers else "clips",
            warnings=warnings,
        )


def _read_table(root: Path, table: Path) -> tuple[list[Recording], list[SkippedFile], bool]:
    try:
        with table.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            header = [name.strip().lower() for name in reader.fieldnames or []]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DataError(f"dataset folder: cannot read {table}: {error}") from error
    if not {"path", "label"} <= set(header):
        raise DataError(f"dataset folder: {table} needs columns path and label, found {', '.join(header)}")
    has_speakers = "speaker" in header
    recordings, skipped, listed = [], [], set()
    for number, raw in enumerate(rows, start=2):
        row = {key.strip().lower(): (value or "").strip() for key, value in raw.items() if key}
        where = f"{table.name} line {number}"
        relative, spelled = row.get("path", ""), row.get("label", "").lower()
        path = (root / relative).resolve()
        problem = None
        if not relative:
            problem = "no path"
        elif not path.is_relative_to(root.resolve()):
            problem = "path points outside the data folder"
        elif relative in listed:
            problem = "listed twice"
        elif not path.is_file():
            problem = "file not found"
        elif path.suffix.lower() not in AUDIO_EXTENSIONS:
            problem = f"not an audio file (extension {path.suffix or 'none'!r})"
        elif spelled not in LABEL_SPELLINGS:
            problem = f"unknown label {row.get('label')!r} (known: {', '.join(CANONICAL_LABELS)})"
        if problem:
            skipped.append(SkippedFile(relative or where, f"{where}: {problem}"))
            continue
        listed.add(relative)
        speaker = row.get("speaker") or "unknown"
        group = speaker if has_speakers else relative
        recordings.append(Recording(path, relative, spelled, speaker, group))
    return recordings, skipped, has_speakers
