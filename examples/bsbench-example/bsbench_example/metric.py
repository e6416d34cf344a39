"""``top-decile-share``: how much of a map's absolute relevance its top tenth of cells holds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bsbench.plugin import ScoringBatch, UsageError, hookimpl


@dataclass(frozen=True)
class TopShareParameters:
    #: The share of cells counted as the top.
    fraction: float = 0.1


class TopDecileShareMetric:
    name = "top-decile-share"
    description = "Share of absolute relevance in the top 10% of cells: 0.1 for a flat map, 1 for a focused one."
    version = "0.1.0"
    higher_is_better = True  # more concentrated maps are easier to read (a complexity-style metric)
    requires = frozenset()
    parameters = TopShareParameters

    def settings(self, params: TopShareParameters) -> dict:
        if not 0 < params.fraction < 1:
            raise UsageError(f"metric {self.name}: fraction={params.fraction} must lie between 0 and 1")
        return {"fraction": params.fraction}

    def score(self, batch: ScoringBatch, params: TopShareParameters) -> dict[str, np.ndarray]:
        maps = np.abs(np.stack([e.relevance for e in batch.explanations])).reshape(len(batch.explanations), -1)
        top = max(1, round(params.fraction * maps.shape[1]))
        ranked = -np.sort(-maps, axis=1)
        return {"": ranked[:, :top].sum(axis=1) / maps.sum(axis=1)}


@hookimpl
def bsbench_register_metrics(register):
    register(TopDecileShareMetric())
