"""Where a Hugging Face model's files are: a local directory or a hub id, and their identity.

Hub ids contain a slash (``facebook/wav2vec2-base``), so a slash alone does not make a
path. The identity of the files (config and weight digests, the hub commit) goes into
cache keys and model cards, so a changed model never reuses a stale trained copy.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from bsbench_plugins.models.hf_audio.loading import NAME, load_failure_reason

from bsbench.plugin import CheckpointError, UsageError

#: Single-file weights in the order transformers prefers them.
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
SHARD_INDEXES = ("model.safetensors.index.json", "pytorch_model.bin.index.json")
#: ``name`` or ``namespace/name`` as the hub spells repository ids; anything else is a path.
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?$")


@dataclass(frozen=True)
class Source:
    """Where the weights are and what was read from them while configuring."""

    given: str
    #: The resolved local directory; None for a hub id.
    path: Path | None
    #: The hub commit read while configuring, so that every later load gets the same files.
    revision: str | None
    has_weights: bool
    sample_rate: int
    standardize: bool

    @property
    def location(self) -> str:
        """What transformers is handed: the absolute directory or the hub id."""
        return str(self.path) if self.path is not None else self.given

    def load_arguments(self) -> dict[str, Any]:
        """Keyword arguments every transformers load of this source takes."""
        pinned = {"revision": self.revision} if self.revision else {}
        return {"local_files_only": self.path is not None, "trust_remote_code": False, **pinned}


def local_directory(given: str) -> Path | None:
    """The resolved directory ``given`` names, None for a hub id, or an error for a path that is not there.

    Hub ids contain a slash (``facebook/wav2vec2-base``), so a slash alone does not make a
    path: anything that is not an existing directory and does not read as a hub id is
    taken for a mistyped path and refused before transformers can turn it into a
    network request.
    """
    candidate = Path(given).expanduser()
    if candidate.is_dir():
        return candidate.resolve()
    if candidate.exists():
        raise UsageError(f"--model-option source={given}: {candidate} is not a directory")
    if given.startswith((".", "~", "/")) or not _HUB_ID.match(given):
        raise UsageError(f"--model-option source={given}: no such directory {candidate}")
    return None


def locate_config_file(transformers: ModuleType, given: str, path: Path | None) -> tuple[Path, str | None]:
    """The config file read, and for a hub id the commit it came from (the snapshot folder's name)."""
    if path is not None:
        return path / "config.json", None
    try:
        resolved = transformers.utils.cached_file(given, "config.json")
        revision = transformers.utils.hub.extract_commit_hash(resolved, None)
    except Exception as error:  # the file was just fetched; failing now means the cache changed under us
        raise CheckpointError(f"model {NAME}: source {given}: {load_failure_reason(error)}") from None
    return Path(resolved), revision


def preprocessor_settings(
    transformers: ModuleType, given: str, path: Path | None, revision: str | None
) -> tuple[int, bool]:
    """Sampling rate and per-clip normalisation from ``preprocessor_config.json``; 16 kHz and on if absent."""
    if path is not None:
        found: Path | None = path / "preprocessor_config.json"
    else:
        located = transformers.utils.cached_file(
            given,
            "preprocessor_config.json",
            revision=revision,
            _raise_exceptions_for_missing_entries=False,
            _raise_exceptions_for_connection_errors=False,
        )
        found = Path(located) if located else None
    if found is None or not found.is_file():
        return 16_000, True
    try:
        settings = json.loads(found.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(
            f"model {NAME}: source {given}: preprocessor_config.json is not valid JSON ({error})"
        ) from None
    if not isinstance(settings, dict):
        raise CheckpointError(f"model {NAME}: source {given}: preprocessor_config.json is not a JSON object")
    sample_rate = settings.get("sampling_rate", 16_000)
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or sample_rate <= 0:
        raise CheckpointError(f"model {NAME}: source {given}: preprocessor sampling_rate {sample_rate!r} is not a rate")
    return sample_rate, bool(settings.get("do_normalize", True))


def weights_digest(path: Path) -> str | None:
    """SHA-256 of the weights transformers will load from ``path``; None when there are none.

    Sharded weights digest their index and every shard by name, so any changed shard
    changes the identity.
    """
    for name in WEIGHT_FILES:
        if (path / name).is_file():
            return file_digest(path / name)
    for index_name in SHARD_INDEXES:
        index = path / index_name
        if not index.is_file():
            continue
        try:
            shards = sorted(set(json.loads(index.read_text())["weight_map"].values()))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, AttributeError) as error:
            raise CheckpointError(f"model {NAME}: {index}: not a shard index ({error})") from None
        digest = hashlib.sha256(file_digest(index).encode())
        for shard in shards:
            digest.update(f"|{shard}|{file_digest(path / shard)}".encode())
        return digest.hexdigest()
    return None


def file_digest(path: Path) -> str:
    try:
        stat = path.stat()
    except OSError as error:
        raise CheckpointError(f"model {NAME}: {path}: cannot be read ({error.strerror})") from None
    return _cached_digest(str(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=64)
def _cached_digest(path: str, size: int, mtime_ns: int) -> str:
    """Weights run to gigabytes; a file unchanged in size and time is not read twice in one process."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
