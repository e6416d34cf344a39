"""Where bsbench keeps what it computed once, and how it writes files safely.

Cache entries are content-addressed: the key is a hash of everything that produced
them (plugin names and versions, parameters, seeds), so a changed input never reads a
stale entry. Files are written to a temporary name and moved into place with
``os.replace``, so a killed process leaves either the old file or the new one.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from bsbench.core.types import Clip

CACHE_ENV = "BSBENCH_CACHE"


def cache_dir() -> Path:
    """``$BSBENCH_CACHE``, else ``~/.cache/bsbench``."""
    configured = os.environ.get(CACHE_ENV)
    root = Path(configured) if configured else Path.home() / ".cache" / "bsbench"
    root.mkdir(parents=True, exist_ok=True)
    return root


def content_key(inputs: Mapping[str, Any]) -> str:
    """A short stable hash of JSON-serialisable ``inputs``."""
    canonical = json.dumps(inputs, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def clip_digest(clip: Clip) -> str:
    """The clip's samples and rate, hashed: every cache entry derived from audio is keyed by this."""
    digest = hashlib.blake2b(digest_size=16)
    samples = np.ascontiguousarray(clip.waveform, dtype=np.float32)
    digest.update(f"{clip.sample_rate}|{samples.shape[0]}|".encode())
    digest.update(samples.tobytes())
    return digest.hexdigest()


def _file_mode() -> int:
    """The mode a plain ``open(path, "w")`` would give: 0o666 less the process's umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(temp_path)`` then move the result onto ``path`` in one step.

    The temporary file is private (0600) while written; the result gets the mode any
    other written file would, so a report or a table can be shared or served.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    temp = Path(temp_name)
    try:
        write(temp)
        os.chmod(temp, _file_mode())
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def write_json(path: Path, data: Any) -> None:
    write_atomic(path, lambda temp: temp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n"))


class DamagedEntry(ValueError):
    """A file that is not what its writer wrote: truncated, garbled, or valid data of the wrong shape.

    A cache reader treats it as a miss (the entry is recomputed and rewritten); a reader of
    a user's file turns it into its own one-line error. The message says what is wrong
    without the path, so each reader names the file its own way.
    """


#: JSON's names for the Python types ``json.loads`` returns, for messages.
_JSON_KINDS = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    type(None): "null",
}


def read_json(path: Path) -> Any:
    """The JSON document in ``path``; DamagedEntry when it cannot be read or parsed."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except RecursionError:
        raise DamagedEntry("not valid JSON (nested too deeply to read)") from None
    except (OSError, ValueError) as error:  # malformed JSON, or bytes that are not UTF-8 text
        raise DamagedEntry(f"not valid JSON ({' '.join(str(error).split())})") from None


def expect_json(value: Any, kinds: tuple[type, ...], where: str) -> Any:
    """``value`` when its type is exactly one of ``kinds`` (so ``true`` is no number); else DamagedEntry.

    Pass ``...`` for a key that is absent: the message then says "missing".
    """
    if type(value) not in kinds:
        expected = " or ".join(dict.fromkeys(_JSON_KINDS[kind] for kind in kinds))
        found = "missing" if value is ... else _JSON_KINDS.get(type(value), type(value).__name__)
        raise DamagedEntry(f"{where} must be {expected}, not {found}")
    return value


def expect_strings(value: Any, where: str) -> list[str]:
    """``value`` when it is a JSON array of strings; a bare string is refused, not read as its characters."""
    for item in expect_json(value, (list,), where):
        expect_json(item, (str,), f"every item of {where}")
    return value


def read_arrays(path: Path) -> dict[str, np.ndarray]:
    """Every array of the ``.npz`` archive at ``path``, never unpickling; DamagedEntry when unreadable."""
    try:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.ndarray):
            raise zipfile.BadZipFile("a single .npy array")
        with loaded:
            return {name: loaded[name] for name in loaded.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise DamagedEntry(f"not a readable .npz archive ({' '.join(str(error).split())})") from None


def expect_array(arrays: Mapping[str, np.ndarray], name: str, kind: str, ndim: int) -> np.ndarray:
    """``arrays[name]`` when present with dtype kind ``kind`` (numpy's ``dtype.kind``: f, i, b, U) and ``ndim`` axes."""
    if name not in arrays:
        raise DamagedEntry(f"array {name!r} is missing")
    array = arrays[name]
    if array.dtype.kind != kind or array.ndim != ndim:
        raise DamagedEntry(f"array {name!r} is {array.dtype} with {array.ndim} axes, expected kind {kind!r}, {ndim}")
    return array
