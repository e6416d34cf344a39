"""Localisation metrics through Quantus: does relevance fall where the class evidence was placed?

They need ground truth (``s_batch`` in Quantus): the evidence masks of a corpus that
knows where it put its class evidence, such as the synthetic corpus in ``localised``
placement. Only positive relevance (evidence *for* the explained class) counts: a map
that marks the evidence as strongly negative has not found it. A clip without evidence
(a neutral clip: nothing deviates from the neutral voice) or without positive relevance
scores NaN.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import quantus
from bsbench_plugins.metrics.quantus_calls import call_quantus, n_features, quantus_inputs

from bsbench.plugin import NoParameters, Scores, ScoringBatch, UsageError

NO_EVIDENCE = "clip has no ground-truth evidence (a neutral clip, or a corpus that does not place evidence)"
NO_POSITIVE_RELEVANCE = "map has no positive relevance (nothing marked as evidence for the class)"


class _QuantusLocalisationMetric:
    higher_is_better = True
    requires = frozenset({"model", "masks"})
    version = "0.1.0"
    parameters: type = NoParameters
    quantus_metric: type[quantus.Metric]

    def settings(self, params: Any) -> dict[str, Any]:
        return {"relevance": "positive part", "quantus": self.quantus_metric.__name__}

    def model_passes(self, params: Any, grid: Any) -> int:
        return 0

    def build(self, params: Any, batch: ScoringBatch) -> quantus.Metric:
        return self.quantus_metric(abs=False, normalise=False, disable_warnings=True)

    def score(self, batch: ScoringBatch, params: Any) -> Scores:
        assert batch.masks is not None  # the runner supplies masks to metrics that require them
        positive = np.clip(quantus_inputs(batch)["a_batch"], 0.0, None)
        masks = batch.masks[:, None].astype(np.float32)
        has_evidence = batch.masks.reshape(len(masks), -1).any(axis=1)
        has_positive = positive.reshape(len(masks), -1).sum(axis=1) > 0
        reasons = [
            "" if evidence and relevant else NO_EVIDENCE if not evidence else NO_POSITIVE_RELEVANCE
            for evidence, relevant in zip(has_evidence, has_positive, strict=True)
        ]
        values = np.full(len(masks), np.nan)
        defined = has_evidence & has_positive
        if defined.any():
            scores = call_quantus(self.build(params, batch), batch, a_batch=positive, s_batch=masks)
            values[defined] = scores[defined]
        return Scores({"": values}, {"": reasons})


class RelevanceMassAccuracyMetric(_QuantusLocalisationMetric):
    name = "relevance-mass-accuracy"
    description = "Quantus RelevanceMassAccuracy: share of positive relevance inside the ground-truth evidence mask."
    quantus_metric = quantus.RelevanceMassAccuracy


class RelevanceRankAccuracyMetric(_QuantusLocalisationMetric):
    name = "relevance-rank-accuracy"
    description = "Quantus RelevanceRankAccuracy: share of the mask-sized top-relevance cells inside the evidence mask."
    quantus_metric = quantus.RelevanceRankAccuracy


class PointingGameMetric(_QuantusLocalisationMetric):
    """1 when the map's peak cell lies inside the evidence mask, else 0 (ties: any peak cell inside counts).

    Quantus writes NaN for a mask-less clip into a boolean array, where it becomes 1;
    such clips are NaN with NO_EVIDENCE here before Quantus's value is read.
    """

    name = "pointing-game"
    description = "Quantus PointingGame: 1 when the cell of highest positive relevance lies in the evidence mask."
    quantus_metric = quantus.PointingGame


@dataclass(frozen=True)
class TopKIntersectionParameters:
    #: Share of the input's cells taken as the map's top cells (0.05: the top 5 %, 858 cells of 128 x 134).
    k: float = 0.05


class TopKIntersectionMetric(_QuantusLocalisationMetric):
    """Share of the k most relevant cells that lie in the evidence mask; k is a share so it follows the grid."""

    name = "top-k-intersection"
    description = "Quantus TopKIntersection: share of the top k (share of cells) relevant cells inside the mask."
    quantus_metric = quantus.TopKIntersection
    parameters = TopKIntersectionParameters

    def settings(self, params: TopKIntersectionParameters) -> dict[str, Any]:
        if not 0 < params.k < 1:
            raise UsageError(f"metric {self.name}: k={params.k} must be a share of the cells, between 0 and 1")
        return {**super().settings(params), "k_share": params.k}

    def build(self, params: TopKIntersectionParameters, batch: ScoringBatch) -> quantus.Metric:
        cells = max(1, round(params.k * n_features(batch)))
        return quantus.TopKIntersection(k=cells, abs=False, normalise=False, disable_warnings=True)


class AUCMetric(_QuantusLocalisationMetric):
    """Area under the ROC curve of the map as a detector of evidence cells: 0.5 is chance, 1 a perfect ranking.

    Quantus integrates with scikit-learn's ``auc`` (SciPy's trapezoid), not ``np.trapz``,
    so it runs on NumPy >= 2.4 as it is. Negative relevance is clipped to 0 like in every
    localisation metric here: such cells tie at the bottom of the ranking.
    """

    name = "auc"
    description = "Quantus AUC: ROC area of the positive relevance as a detector of ground-truth evidence cells."
    quantus_metric = quantus.AUC
