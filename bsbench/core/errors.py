"""The errors bsbench raises on purpose.

The CLI turns any :class:`BsbenchError` into one line on stderr and a non-zero exit
code; anything else is a bug (of bsbench or a plugin): one "internal error" line and exit
code 70, with the traceback under ``--debug``.
"""

from __future__ import annotations


class BsbenchError(Exception):
    """A problem the user can fix: bad option, bad file, unknown plugin."""

    exit_code = 1


class UsageError(BsbenchError):
    """An option or argument has a value bsbench cannot use."""

    exit_code = 2


class UnknownPluginError(UsageError):
    """A plugin name that no installed package registered."""

    def __init__(self, kind: str, name: str, valid: list[str]) -> None:
        choices = ", ".join(sorted(valid)) or "none installed"
        super().__init__(f"unknown {kind} {name!r}; valid names: {choices}")
        self.kind = kind
        self.name = name
        self.valid = sorted(valid)


class DataError(BsbenchError):
    """A data directory, audio file or corpus that cannot be read as asked."""


class CheckpointError(BsbenchError):
    """A checkpoint file that cannot be loaded into the chosen model."""


class ResultsError(BsbenchError):
    """A run directory whose files are missing or malformed."""


def describe_error(error: BaseException) -> str:
    """``Type: message`` on one line, at most 500 characters: how a failure is recorded in a run."""
    return f"{type(error).__name__}: {' '.join(str(error).split())}"[:500]


class PluginDefect(Exception):
    """A plugin broke its protocol at run time (changed the network, returned the wrong shape).

    Not a :class:`BsbenchError`: the user cannot fix it with an option. The runner records
    it against the plugin's name and goes on with the other pieces.
    """
