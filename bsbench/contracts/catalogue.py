"""The contract checks of every plugin kind, in the order they run and print."""

from __future__ import annotations

from bsbench.contracts import cues, datasets, executors, methods, metrics, models, profiles
from bsbench.contracts.common import shared_checks
from bsbench.contracts.contract import Check
from bsbench.core.errors import UsageError
from bsbench.registry.loader import KINDS

_KIND_CHECKS = {
    "dataset": datasets.CHECKS,
    "model": models.CHECKS,
    "method": methods.CHECKS,
    "cues": cues.CHECKS,
    "metric": metrics.CHECKS,
    "profile": profiles.CHECKS,
    "executor": executors.CHECKS,
}


def checks_for(kind: str) -> tuple[Check, ...]:
    """Every check of ``kind``: the shared metadata checks first, then the kind's own."""
    if kind not in _KIND_CHECKS:
        raise UsageError(f"--kind {kind!r}: choose one of {', '.join(KINDS)}")
    return shared_checks(kind) + _KIND_CHECKS[kind]
