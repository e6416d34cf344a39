"""Metric checks: a declared direction and needs, JSON-able settings, one score per clip, the same under a seed."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from bsbench.contracts.common import parameters_have_defaults
from bsbench.contracts.context import CheckContext
from bsbench.contracts.contract import Check, expect
from bsbench.interfaces.protocols import METRIC_REQUIREMENTS, as_scores, metric_settings


def _score(plugin: Any, context: CheckContext) -> dict[str, tuple[np.ndarray, list[str]]]:
    params = context.parameters_for(plugin)
    output = as_scores(plugin.score(context.scoring_batch(plugin, params), params))
    n = len(context.clips())
    columns = {}
    for column, values in output.columns.items():
        reasons = list(output.reasons.get(column, [""] * n))
        columns[column] = (np.asarray(values, dtype=float), reasons)
    return columns


def _first_score(plugin: Any, context: CheckContext) -> dict[str, tuple[np.ndarray, list[str]]]:
    return context.once(f"metric {plugin.name} {id(plugin)}", lambda: _score(plugin, context))


def declares_direction_and_needs(plugin: Any, context: CheckContext) -> None:
    """``higher_is_better`` is True, False or None and ``requires`` names only what a run can supply."""
    direction = plugin.higher_is_better
    expect(direction in (True, False, None), f"expected higher_is_better True, False or None, got {direction!r}")
    unknown = sorted(set(plugin.requires) - METRIC_REQUIREMENTS)
    expect(not unknown, f"expected requires among {sorted(METRIC_REQUIREMENTS)}; unknown: {unknown}")


def settings_are_json(plugin: Any, context: CheckContext) -> None:
    """The settings its default parameters resolve to can be written to a manifest and a cache key (JSON)."""
    settings = metric_settings(plugin, context.parameters_for(plugin))
    try:
        json.dumps(settings, sort_keys=True)
    except TypeError as error:
        expect(False, f"expected JSON-able settings; {error}")


def one_score_per_clip(plugin: Any, context: CheckContext) -> None:
    """``score`` returns one finite value per clip in every column, or NaN with a reason."""
    n = len(context.clips())
    columns = _first_score(plugin, context)
    expect(columns, "expected at least one column")
    for column, (values, reasons) in columns.items():
        label = repr(column) if column else "the metric's own column"
        expect(values.shape == (n,), f"{label}: expected {n} values for {n} clips, got shape {values.shape}")
        expect(len(reasons) == n, f"{label}: expected {n} reasons, got {len(reasons)}")
        expect(not np.isinf(values).any(), f"{label}: expected finite values or NaN, got {values}")
        unexplained = [i for i in range(n) if np.isnan(values[i]) and not reasons[i]]
        expect(not unexplained, f"{label}: expected a reason for every NaN; clips {unexplained} have none")
    expect(
        any(np.isfinite(values).any() for values, _ in columns.values()),
        "expected at least one defined score on saliency maps of localised speech; every value is NaN",
    )


def deterministic_under_a_seed(plugin: Any, context: CheckContext) -> None:
    """Scoring the same batch with the same seed twice gives the same values."""
    first = _first_score(plugin, context)
    second = _score(plugin, context)
    expect(set(first) == set(second), f"expected the same columns twice, got {sorted(first)} then {sorted(second)}")
    for column, (values, _) in first.items():
        expect(
            np.allclose(values, second[column][0], rtol=1e-6, atol=1e-9, equal_nan=True),
            f"column {column!r}: expected equal values from two calls with one seed: {values} then {second[column][0]}",
        )


CHECKS = (
    Check("metric", "declares-direction-and-needs", declares_direction_and_needs),
    Check("metric", "parameters-have-defaults", parameters_have_defaults),
    Check("metric", "settings-are-json", settings_are_json),
    Check("metric", "one-score-per-clip", one_score_per_clip),
    Check("metric", "deterministic-under-a-seed", deterministic_under_a_seed),
)
