"""Checks of values a user types that must fail before any work starts: seeds and output paths.

Both are refused with one :class:`UsageError` line naming the option, at option parsing,
rather than after a model has trained for minutes and the first write or seeding fails
deep inside numpy, torch or the file system.
"""

from __future__ import annotations

from pathlib import Path

from bsbench.core.errors import UsageError

#: The largest seed accepted. Seeds reach NumPy's legacy ``np.random.seed`` (below 2**32),
#: ``torch.manual_seed`` (below 2**63) and arithmetic such as the per-batch seed
#: ``seed * 1_000_003 + start``, which must stay below both; 2**31 - 1 keeps every use valid,
#: and NumPy's generators refuse negative seeds.
MAX_SEED = 2**31 - 1


def check_seed(seed: int, where: str) -> int:
    """``seed`` if it lies in 0..MAX_SEED, else one line naming ``where`` (``--seed``, a suite key) and the range."""
    if not 0 <= seed <= MAX_SEED:
        raise UsageError(f"{where} {seed}: a seed must be an integer from 0 to {MAX_SEED} (2**31 - 1)")
    return seed


def check_output(path: Path, option: str, *, folder: bool = False) -> Path:
    """``path`` if a file (or, with ``folder``, a folder) can be created there, else one line naming ``option``.

    Refused: a file path that is an existing folder, a folder path that is an existing
    file, and any path below an existing file (``notes.txt/out.png``). Folders that do not
    exist yet are fine: writers create them.
    """
    if path.exists() and path.is_dir() != folder:
        expected, found = ("a folder", "a file") if folder else ("a file", "a folder")
        raise UsageError(f"{option} {path}: is {found}, not {expected}")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise UsageError(f"{option} {path}: {parent} is a file, so nothing can be written below it")
            break
    return path
