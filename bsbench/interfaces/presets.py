"""Cost presets of the sampling metrics: ``quick``, ``standard`` and ``paper``.

Each preset fixes the step and sample counts of every metric that perturbs or
re-explains, so a run's cost follows from its preset in forward passes (``bsbench
metrics`` prints them). ``quick`` is for smoke runs and CI, ``standard`` the default,
``paper`` the counts of the metrics' original publications where those are affordable
on a CPU. A parameter set explicitly (non-zero) wins over the preset.

The convention a metric follows to take part: a ``preset`` field in its parameters (one of
:data:`COST_PRESETS`, defaulting to the run's ``--metric-preset``), count fields that default to 0
("from the preset"), and a table of its counts per preset read through :func:`preset_value`;
:func:`resolved` gives the numbers its ``settings`` should report.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Cost presets for metrics that sample or perturb: each preset fixes their step and sample counts.
COST_PRESETS = ("quick", "standard", "paper")


def preset_value(params: Any, setting: str, table: Mapping[str, Mapping[str, int]]) -> int:
    """``params.<setting>`` when set (non-zero), else the value ``table`` gives it in ``params.preset``."""
    explicit = getattr(params, setting)
    return int(explicit) if explicit else int(table[params.preset][setting])


def resolved(params: Any, table: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """Every setting of ``table`` resolved for ``params``: what the manifest records."""
    return {setting: preset_value(params, setting, table) for setting in table[params.preset]}
