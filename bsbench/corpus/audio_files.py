"""Finding a corpus's audio files in the folder a user downloaded, and nothing else.

Downloads are messy: Kaggle zips hold the same corpus twice at different depths, macOS
adds ``__MACOSX/`` and ``._`` shadow files, folders mix case, and readmes sit beside the
audio. Discovery keeps each distinct recording once (by content, so a nested copy is
not counted twice) and reports every other file with the reason it was left out.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from bsbench.core.errors import DataError
from bsbench.core.types import SkippedFile

#: Extensions soundfile decodes that corpora ship in (compared case-insensitively).
AUDIO_EXTENSIONS = frozenset({".wav", ".flac", ".ogg", ".aiff", ".aif"})
#: Folders no corpus keeps audio in: archive-tool and version-control debris.
IGNORED_FOLDERS = frozenset({"__macosx", ".git", ".ipynb_checkpoints"})


@dataclass(frozen=True)
class Discovery:
    """Audio files to load (one per distinct content, sorted) and everything left out."""

    root: Path
    audio: tuple[Path, ...]
    skipped: tuple[SkippedFile, ...]

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()


def discover_audio(root: Path, dataset: str, layout_hint: str) -> Discovery:
    """Every distinct audio file under the existing folder ``root``.

    ``layout_hint`` tells the user what the folder should contain when it holds no audio.
    """
    skipped: list[SkippedFile] = []
    kept: list[Path] = []
    duplicates = DuplicateFinder(root)
    for path in _files(root):
        relative = path.relative_to(root).as_posix()
        reason = _not_audio_reason(path.relative_to(root))
        if reason is None and path.stat().st_size == 0:
            reason = "empty file (0 bytes)"
        if reason is None:
            reason = duplicates.reason(path)
        if reason:
            skipped.append(SkippedFile(relative, reason))
            continue
        kept.append(path)
    if not kept:
        raise DataError(f"dataset {dataset}: no audio files under {root}; expected {layout_hint}")
    return Discovery(root, tuple(kept), tuple(skipped))


def _files(root: Path) -> list[Path]:
    """Files under ``root``, shallower first, then by case-folded path.

    Shallow-first keeps the outer copy of a nested Kaggle duplicate, the path a user sees first.
    """
    files = [path for path in root.rglob("*") if path.is_file()]
    files.sort(key=lambda p: (len(p.relative_to(root).parts), p.relative_to(root).as_posix().lower()))
    return files


class DuplicateFinder:
    """Spots a file whose bytes equal an earlier one's; a file is hashed only once its size repeats.

    Content, not name, is what makes two files one recording: a nested copy of a corpus
    repeats every file, while two speakers' ``happy_01.wav`` are different recordings.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.first_of_size: dict[int, Path | None] = {}
        self.by_content: dict[tuple[int, str], Path] = {}

    def reason(self, path: Path) -> str | None:
        """``duplicate of <first> (same content)`` for a repeat of an earlier file under the root, else None."""
        size = path.stat().st_size
        if size not in self.first_of_size:
            self.first_of_size[size] = path
            return None
        first = self.first_of_size[size]
        if first is not None:  # the size repeats for the first time: the earlier file joins the index
            self.by_content[(size, _content_hash(first))] = first
            self.first_of_size[size] = None
        key = (size, _content_hash(path))
        original = self.by_content.setdefault(key, path)
        if original is path:
            return None
        return f"duplicate of {original.relative_to(self.root).as_posix()} (same content)"


def _not_audio_reason(path: Path) -> str | None:
    """Why a file (path relative to the corpus root) is not a corpus recording, or None."""
    parts = [part.lower() for part in path.parts]
    if any(part in IGNORED_FOLDERS for part in parts[:-1]):
        return "archive or tool metadata folder, not part of the corpus"
    if path.name.startswith("."):
        return "hidden file (e.g. a macOS ._ shadow or .DS_Store)"
    if path.suffix.lower() not in AUDIO_EXTENSIONS:
        return f"not an audio file (extension {path.suffix or 'none'!r})"
    return None


def _content_hash(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
