"""Localisation metrics through Quantus: does relevance fall where the class evidence was placed?

They need ground truth (``s_batch`` in Quantus): the evidence masks of a corpus that
knows where it put its class evidence, such as the synthetic corpus in ``localised``
placement. Only positive relevance (evidence *for* the explained class) counts: a map
that marks the evidence as strongly negative has not found it. A clip without evidence
(a neutral clip: nothing deviates from the neutral voice) or without positive relevance
scores NaN.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import quantus
from bsbench_plugins.metrics.quantus_calls import call_quantus, quantus_inputs

from bsbench.protocols import ScoringBatch


class _QuantusLocalisationMetric:
    higher_is_better = True
    requires = frozenset({"model", "masks"})
    version = "0.1.0"
    quantus_metric: type[quantus.Metric]

    def __init__(self) -> None:
        self.settings = {"relevance": "positive part", "quantus": self.quantus_metric.__name__}

    def score(self, batch: ScoringBatch) -> Mapping[str, np.ndarray]:
        assert batch.masks is not None  # the runner supplies masks to metrics that require them
        positive = np.clip(quantus_inputs(batch)["a_batch"], 0.0, None)
        masks = batch.masks[:, None].astype(np.float32)
        values = np.full(len(batch.explanations), np.nan)
        defined = (positive.reshape(len(values), -1).sum(axis=1) > 0) & batch.masks.reshape(len(values), -1).any(1)
        if defined.any():
            metric = self.quantus_metric(abs=False, normalise=False, disable_warnings=True)
            scores = call_quantus(metric, batch, a_batch=positive, s_batch=masks)
            values[defined] = scores[defined]
        return {"": values}


class RelevanceMassAccuracyMetric(_QuantusLocalisationMetric):
    name = "relevance-mass-accuracy"
    description = "Quantus RelevanceMassAccuracy: share of positive relevance inside the ground-truth evidence mask."
    quantus_metric = quantus.RelevanceMassAccuracy


class RelevanceRankAccuracyMetric(_QuantusLocalisationMetric):
    name = "relevance-rank-accuracy"
    description = "Quantus RelevanceRankAccuracy: share of the mask-sized top-relevance cells inside the evidence mask."
    quantus_metric = quantus.RelevanceRankAccuracy
