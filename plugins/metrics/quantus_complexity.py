"""Complexity metrics through Quantus: how concentrated is a map's relevance?

They read the map alone (no model pass, no re-explanation), on its magnitudes (Quantus's
``abs=True``): a cell strongly against the class is as much "where the map points" as
one strongly for it. Scores use the method's raw relevance, not the shifted copy
:func:`quantus_calls.quantus_inputs` makes of all-negative maps, because a shift
changes magnitudes. A concise map is easier to read, but concision is not correctness:
these scores belong next to a faithfulness score, never instead of one.

Two Quantus behaviours are worked around here:

* Quantus normalises by the largest magnitude of the *whole batch* (its
  ``normalise_by_max`` reduces over every axis), so a clip's score would depend on the
  clips batched with it; :func:`normalise_each_by_max` scales each map by its own peak.
* Quantus refuses a batch whose cells are all equal (``assert_attributions``: ordering
  metrics cannot rank such maps). The ``constant`` method yields exactly such batches,
  and sparseness and entropy do have values for a constant map (0 and log(cells)), so a
  uniform batch is scored by the metric's own ``evaluate_batch`` on the maps prepared as
  Quantus's preprocessing would prepare them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import quantus
from bsbench_plugins.metrics.quantus_calls import (
    ALL_ZERO_MAP,
    call_quantus,
    is_uniform,
    normalise_each_by_max,
    raw_relevance,
)

from bsbench.plugin import InputGrid, NoParameters, Scores, ScoringBatch


class _QuantusComplexityMetric:
    version = "0.1.0"
    requires: frozenset[str] = frozenset()
    parameters: type = NoParameters
    accepts_constant_maps = True
    quantus_metric: type[quantus.Metric]

    def settings(self, params: Any) -> dict[str, Any]:
        return {"relevance": "absolute values", "normalise": "each map by its own peak"}

    def model_passes(self, params: Any, grid: InputGrid) -> int:
        return 0

    def build(self) -> quantus.Metric:
        return self.quantus_metric(
            abs=True,
            normalise=True,
            normalise_func=normalise_each_by_max,
            return_aggregate=False,
            disable_warnings=True,
        )

    def score(self, batch: ScoringBatch, params: Any) -> Scores:
        # |a| goes in already: abs is idempotent (the score is unchanged) and a batch of
        # all-negative maps no longer trips Quantus's "all negative" guard.
        maps = np.abs(raw_relevance(batch))
        metric = self.build()
        if is_uniform(maps):
            prepared = np.abs(metric.normalise_func(maps))  # what general_preprocess would hand evaluate_batch
            values = np.asarray(metric.evaluate_batch(x_batch=batch.inputs, a_batch=prepared), dtype=float)
        else:
            values = call_quantus(metric, batch, model=None, a_batch=maps)
        # An all-zero map is 0/0 in both scores (Quantus's 1e-7 offset turns the Gini's into 0):
        # NaN with its reason, never a number.
        reasons = [ALL_ZERO_MAP if not m.any() else "" for m in maps]
        return Scores({"": np.where([bool(r) for r in reasons], np.nan, values)}, {"": reasons})


class SparsenessMetric(_QuantusComplexityMetric):
    """Gini index of the map's magnitudes: 0 for a flat map, towards 1 when few cells hold all relevance."""

    name = "sparseness"
    description = "Quantus Sparseness: Gini index of the map's magnitudes (0 flat, 1 one cell holds everything)."
    higher_is_better = True
    quantus_metric = quantus.Sparseness


class ComplexityMetric(_QuantusComplexityMetric):
    """Entropy of the magnitudes as a distribution over cells: log(cells) for a flat map, 0 for one cell."""

    name = "complexity"
    description = "Quantus Complexity: entropy of the map's magnitudes over cells (log(cells) for a flat map)."
    higher_is_better = False
    quantus_metric = quantus.Complexity
