"""Scoring explanations: metric plans, the checks before a metric sees a map, and reasons for every NaN.

A metric is only asked about maps it can score. A map with NaN or infinite cells is
never handed to any metric, and a constant map (all zero included) only to metrics that
declare a meaning for it (``accepts_constant_maps``: sparseness, robustness): for the
rest, "which cells matter most" has no answer and a score would be an artefact. Such
clips get NaN with the reason, the others in the batch are scored as usual, and a metric
that raises on a batch costs that batch's values of that metric only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bsbench.core.errors import UsageError
from bsbench.core.parameters import build_parameters, split_spec
from bsbench.core.types import Explanation, InputGrid
from bsbench.interfaces.presets import COST_PRESETS
from bsbench.interfaces.protocols import (
    MetricPlugin,
    ProfilePlugin,
    ScoringBatch,
    as_scores,
    declared_metric_cost,
    metric_settings,
)
from bsbench.registry.loader import Registry

NON_FINITE_MAP = "relevance map has NaN or infinite cells"
CONSTANT_MAP = "constant relevance map (all cells equal): nothing is ranked above anything else"
UNDEFINED = "metric undefined for this clip (no reason given by the metric)"


@dataclass(frozen=True)
class PlannedMetric:
    plugin: MetricPlugin
    params: Any

    @property
    def name(self) -> str:
        return self.plugin.name


@dataclass(frozen=True)
class ColumnScores:
    """One result column of a metric on one batch: a value and a reason (empty when defined) per clip."""

    column: str
    values: np.ndarray
    reasons: tuple[str, ...]


def plan_metrics(registry: Registry, specs: Sequence[str], preset: str | None = None) -> list[PlannedMetric]:
    """Resolve ``name[:key=value,...]`` specs; ``preset`` fills the ``preset`` parameter where a spec leaves it.

    Settings are resolved here, so a bad parameter or preset fails before any work.
    """
    if preset is not None and preset not in COST_PRESETS:
        raise UsageError(f"--metric-preset {preset!r}: choose one of {', '.join(COST_PRESETS)}")
    planned = []
    for spec in specs:
        name, raw = split_spec(spec)
        plugin: MetricPlugin = registry.get("metric", name)
        fields = {field.name for field in dataclasses.fields(plugin.parameters)}
        if preset is not None and "preset" in fields and "preset" not in raw:
            raw = {**raw, "preset": preset}
        params = build_parameters(plugin.parameters, raw, f"metric {name}")
        if "preset" in fields and params.preset not in COST_PRESETS:
            raise UsageError(f"metric {name}: preset={params.preset!r}: choose one of {', '.join(COST_PRESETS)}")
        metric_settings(plugin, params)
        planned.append(PlannedMetric(plugin, params))
    names = [p.name for p in planned]
    if len(set(names)) != len(names):
        raise UsageError(f"--metric: a metric is given twice ({', '.join(names)}); results carry one per metric")
    return planned


def metric_record(registry: Registry, planned: PlannedMetric, grid: InputGrid) -> dict[str, Any]:
    """What the manifest keeps of a metric: plugin record, direction, needs, parameters, settings and cost."""
    plugin = planned.plugin
    return {
        **registry.record("metric", plugin.name).as_dict(),
        "higher_is_better": plugin.higher_is_better,
        "requires": sorted(plugin.requires),
        "parameters": dataclasses.asdict(planned.params),
        "settings": metric_settings(plugin, planned.params),
        **declared_metric_cost(plugin, planned.params, grid),
    }


def unusable_map_reason(explanation: Explanation, accepts_constant_maps: bool) -> str:
    """Why a map cannot be scored ("" when it can)."""
    relevance = explanation.relevance
    if not np.all(np.isfinite(relevance)):
        return NON_FINITE_MAP
    if not accepts_constant_maps and relevance.max() == relevance.min():
        return CONSTANT_MAP
    return ""


def score_batch(planned: PlannedMetric, batch: ScoringBatch) -> list[ColumnScores]:
    """Every column of ``planned`` on ``batch``; clips with unusable maps get NaN and the reason.

    Exceptions from the metric propagate: the caller records them for the whole batch.
    """
    accepts_constant = bool(getattr(planned.plugin, "accepts_constant_maps", False))
    rejected = [unusable_map_reason(e, accepts_constant) for e in batch.explanations]
    keep = [i for i, reason in enumerate(rejected) if not reason]
    if not keep:
        nan = np.full(len(rejected), np.nan)
        return [ColumnScores("", nan, tuple(rejected))]
    scoreable = batch if len(keep) == len(rejected) else batch.subset(keep)
    output = as_scores(planned.plugin.score(scoreable, planned.params))
    columns = []
    for column, kept_values in output.columns.items():
        kept_values = np.asarray(kept_values, dtype=float)
        if kept_values.shape != (len(keep),):
            raise ValueError(f"column {column!r} has shape {kept_values.shape} for {len(keep)} clips")
        kept_reasons = list(output.reasons.get(column, [""] * len(keep)))
        values = np.full(len(rejected), np.nan)
        values[keep] = kept_values
        reasons = list(rejected)
        for position, value, reason in zip(keep, kept_values, kept_reasons, strict=True):
            reasons[position] = (reason or UNDEFINED) if np.isnan(value) else ""
        columns.append(ColumnScores(column, values, tuple(reasons)))
    return columns


def columns_of_failure(batch_size: int, error: str) -> list[ColumnScores]:
    """The one NaN column a metric leaves when it raised on a batch."""
    return [ColumnScores("", np.full(batch_size, np.nan), (error,) * batch_size)]


def result_column(metric: str, column: str) -> str:
    """The name a metric's column carries in results: the metric itself, or ``metric:column`` for a sub-score."""
    return metric if not column else f"{metric}:{column}"


def metric_profiles(registry: Registry, metrics: Sequence[PlannedMetric]) -> dict[str, ProfilePlugin]:
    """Metric name -> the expert profile its ``profile`` parameter names, for metrics that read one."""
    return {m.name: registry.get("profile", m.params.profile) for m in metrics if "profile" in m.plugin.requires}
