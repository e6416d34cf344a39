"""Any labelled folder: audio files plus a CSV of ``path,label[,speaker]``.

For corpora bsbench has no plugin for. Labels are read through a table of common
spellings ("anger", "happiness", "fearful") onto the canonical vocabulary; a label it
cannot place is skipped with its row number rather than guessed. Without a speaker
column no split can be speaker-independent, and the corpus says so. A clip is named by
its path below the folder, so files of the same name in two folders are two clips; only
a byte-identical copy is left out, as a duplicate.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from bsbench_plugins.datasets.corpora.loading import AudioCorpusOptions, Recording, build_corpus, data_folder

from bsbench.plugin import (
    AUDIO_EXTENSIONS,
    CANONICAL_LABELS,
    Corpus,
    DataError,
    DatasetRequest,
    DuplicateFinder,
    SkippedFile,
    UsageError,
    build_parameters,
)

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
_NUL = "\0"
#: A NUL byte never belongs in a text table: the file is damaged, binary, or UTF-16 read as UTF-8.
_NUL_PROBLEM = "holds a NUL byte (a damaged or binary file? save the table as UTF-8 CSV)"


@dataclass(frozen=True)
class FolderOptions(AudioCorpusOptions):
    #: The CSV inside the folder (paths in it are relative to the folder).
    labels: str = "labels.csv"


class FolderDataset:
    name = "folder"
    description = "Any folder of audio plus labels.csv (path,label[,speaker]); labels mapped to the canonical set."
    #: 1.1.0: clips are identified by their path below the folder (actor2/happy_01), not their file name.
    version = "1.1.0"
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
    """The table's usable rows as recordings, every other row skipped with its line and reason.

    A clip is identified by its path below the folder without the extension
    (``actor2/happy_01``): two speakers' ``happy_01.wav`` are two recordings. Only a row
    whose file has the same bytes as an earlier row's (a nested copy of the tree) is a
    duplicate.
    """
    try:
        with table.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            rows = [(reader.line_num, row) for row in reader]  # line_num: the row's last line, blank lines counted
            header = [name.strip().lower() for name in reader.fieldnames or []]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DataError(f"dataset folder: cannot read {table}: {error}") from error
    if any(_NUL in name for name in header):
        raise DataError(f"dataset folder: {table} line 1: {_NUL_PROBLEM}")
    if not {"path", "label"} <= set(header):
        raise DataError(f"dataset folder: {table} needs columns path and label, found {', '.join(header)}")
    has_speakers = "speaker" in header
    recordings, skipped, listed = [], [], set()
    base = root.resolve()
    duplicates = DuplicateFinder(base)
    for number, raw in rows:
        row = {key.strip().lower(): (value or "").strip() for key, value in raw.items() if key}
        where = f"{table.name} line {number}"
        relative = row.get("path", "")
        found = _row_file(base, row, listed, duplicates)
        if isinstance(found, str):
            shown = relative if relative and _NUL not in relative else where
            skipped.append(SkippedFile(shown, f"{where}: {found}"))
            continue
        listed.add(found)
        clip_id = PurePosixPath(found.relative_to(base).as_posix()).with_suffix("").as_posix()
        speaker = row.get("speaker") or "unknown"
        group = speaker if has_speakers else relative
        recordings.append(Recording(found, relative, row["label"].lower(), speaker, group, clip_id))
    return recordings, skipped, has_speakers


def _row_file(base: Path, row: dict[str, str], listed: set[Path], duplicates: DuplicateFinder) -> Path | str:
    """The resolved audio file a table row names below the resolved folder ``base``, or why the row cannot be loaded."""
    relative, spelled = row.get("path", ""), row.get("label", "").lower()
    if any(_NUL in value for value in row.values()):
        return _NUL_PROBLEM  # checked first: a path holding NUL cannot even be resolved
    if not relative:
        return "no path"
    path = (base / relative).resolve()
    if not path.is_relative_to(base):
        return "path points outside the data folder"
    if path in listed:
        return "listed twice"
    if not path.is_file():
        return "file not found"
    if path.suffix.lower() not in AUDIO_EXTENSIONS:
        return f"not an audio file (extension {path.suffix or 'none'!r})"
    if spelled not in LABEL_SPELLINGS:
        return f"unknown label {row.get('label')!r} (known: {', '.join(CANONICAL_LABELS)})"
    return duplicates.reason(path) or path
