"""Faithfulness metrics through Quantus 0.6, the reference implementation.

Quantus is called through :mod:`quantus_calls` (its pitfalls handled once). How a
removed cell is filled is each metric's ``removal`` parameter, handed to Quantus as its
``perturb_func`` from :mod:`bsbench.scoring.removal` (floor, mean, ROAD's noisy linear
imputation, or resynthesised audio); ``removal=floor`` fills cells as Quantus's own
``perturb_baseline="black"`` does, the behaviour of runs scored before the parameter
existed (tests check it). Quantus's baseline path also draws an unused uniform array
from NumPy's global generator on every call; bsbench's removals draw nothing there, so
faithfulness correlation's random subsets after the first differ from an old run's
(pixel flipping and monotonicity draw no subsets and are equal).

NumPy >= 2.4 removed ``np.trapz``, which Quantus's own AUC path still calls
(``PixelFlipping(return_auc_per_sample=True)`` raises AttributeError). bsbench asks
Quantus for the curves and integrates them itself with ``np.trapezoid``, which exists
since NumPy 2.0; no global patching of NumPy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import quantus
from bsbench_plugins.metrics.quantus_calls import call_quantus, n_features

from bsbench.plugin import (
    DEFAULT_REMOVAL,
    InputGrid,
    Remover,
    ScoringBatch,
    check_removal,
    preset_value,
    quantus_perturbation,
    resolved,
)

FAITHFULNESS_CORRELATION_PRESETS = {"quick": {"nr_runs": 20}, "standard": {"nr_runs": 100}, "paper": {"nr_runs": 100}}


@dataclass(frozen=True)
class FaithfulnessCorrelationParameters:
    preset: str = "standard"
    #: Random cell subsets removed per clip (0: from the preset: 20, 100, 100; 100 is Quantus's default).
    nr_runs: int = 0
    #: Share of the input's cells in each subset.
    subset_fraction: float = 0.05
    #: How removed cells are filled: floor, mean, noisy-linear or audio (see bsbench.scoring.removal).
    removal: str = DEFAULT_REMOVAL


class FaithfulnessCorrelationMetric:
    """Correlation between the relevance of random cell subsets and the probability drop when removing them."""

    name = "faithfulness-correlation"
    description = "Quantus FaithfulnessCorrelation: relevance of random subsets vs. drop in class probability."
    version = "0.3.0"
    higher_is_better = True
    requires = frozenset({"model"})
    parameters = FaithfulnessCorrelationParameters

    def settings(self, params: FaithfulnessCorrelationParameters) -> dict[str, Any]:
        check_removal(params.removal, self.name)
        return {
            **resolved(params, FAITHFULNESS_CORRELATION_PRESETS),
            "subset_fraction": params.subset_fraction,
            "removal": params.removal,
        }

    def model_passes(self, params: FaithfulnessCorrelationParameters, grid: InputGrid) -> int:
        return preset_value(params, "nr_runs", FAITHFULNESS_CORRELATION_PRESETS) + 1

    def quantus_metric(self, params: FaithfulnessCorrelationParameters, batch: ScoringBatch) -> quantus.Metric:
        return quantus.FaithfulnessCorrelation(
            nr_runs=preset_value(params, "nr_runs", FAITHFULNESS_CORRELATION_PRESETS),
            subset_size=max(1, round(params.subset_fraction * n_features(batch))),
            perturb_func=quantus_perturbation(Remover(params.removal, batch), cumulative=False),
            abs=False,
            normalise=True,
            return_aggregate=False,
            disable_warnings=True,
        )

    def score(self, batch: ScoringBatch, params: FaithfulnessCorrelationParameters) -> Mapping[str, np.ndarray]:
        return {"": call_quantus(self.quantus_metric(params, batch), batch)}


PIXEL_FLIPPING_PRESETS = {"quick": {"steps": 16}, "standard": {"steps": 64}, "paper": {"steps": 256}}


@dataclass(frozen=True)
class PixelFlippingParameters:
    preset: str = "standard"
    #: Points on the removal curve (0: from the preset: 16, 64, 256); rounded to a divisor of the cell count.
    steps: int = 0
    #: How removed cells are filled: floor, mean, noisy-linear or audio (see bsbench.scoring.removal).
    removal: str = DEFAULT_REMOVAL


class PixelFlippingMetric:
    """Area under the class-probability curve while the most relevant cells are removed first."""

    name = "pixel-flipping"
    description = "Quantus PixelFlipping: area under the probability curve, most relevant cells removed first."
    version = "0.3.0"
    higher_is_better = False
    requires = frozenset({"model"})
    parameters = PixelFlippingParameters

    def settings(self, params: PixelFlippingParameters) -> dict[str, Any]:
        check_removal(params.removal, self.name)
        return {
            **resolved(params, PIXEL_FLIPPING_PRESETS),
            "removal": params.removal,
            "auc": "trapezoid over removed fraction 0..1",
        }

    def model_passes(self, params: PixelFlippingParameters, grid: InputGrid) -> int:
        cells = math.prod(grid.shape)
        return cells // features_per_step(cells, preset_value(params, "steps", PIXEL_FLIPPING_PRESETS))

    def quantus_metric(self, params: PixelFlippingParameters, batch: ScoringBatch) -> quantus.Metric:
        return quantus.PixelFlipping(
            features_in_step=features_per_step(
                n_features(batch), preset_value(params, "steps", PIXEL_FLIPPING_PRESETS)
            ),
            perturb_func=quantus_perturbation(Remover(params.removal, batch), cumulative=True),
            abs=False,
            normalise=True,
            return_auc_per_sample=False,
            disable_warnings=True,
        )

    def score(self, batch: ScoringBatch, params: PixelFlippingParameters) -> Mapping[str, np.ndarray]:
        return {"": curve_auc(call_quantus(self.quantus_metric(params, batch), batch))}


MONOTONICITY_PRESETS = {
    "quick": {"steps": 16, "nr_samples": 2},
    "standard": {"steps": 32, "nr_samples": 4},
    "paper": {"steps": 128, "nr_samples": 10},
}


@dataclass(frozen=True)
class MonotonicityCorrelationParameters:
    preset: str = "standard"
    #: Cell groups removed one at a time, least relevant first (0: from the preset: 16, 32, 128).
    steps: int = 0
    #: Removals per group (0: from the preset: 2, 4, 10); they differ only where the removal draws noise.
    nr_samples: int = 0
    #: How removed cells are filled: floor, mean, noisy-linear or audio (see bsbench.scoring.removal).
    removal: str = DEFAULT_REMOVAL


class MonotonicityCorrelationMetric:
    """Spearman correlation between a cell group's relevance and the prediction change its removal causes."""

    name = "monotonicity-correlation"
    description = "Quantus MonotonicityCorrelation: relevance of cell groups vs. prediction change when removed."
    version = "0.2.0"
    higher_is_better = True
    requires = frozenset({"model"})
    parameters = MonotonicityCorrelationParameters

    def settings(self, params: MonotonicityCorrelationParameters) -> dict[str, Any]:
        check_removal(params.removal, self.name)
        return {**resolved(params, MONOTONICITY_PRESETS), "removal": params.removal, "abs": True}

    def model_passes(self, params: MonotonicityCorrelationParameters, grid: InputGrid) -> int:
        cells = math.prod(grid.shape)
        steps = cells // features_per_step(cells, preset_value(params, "steps", MONOTONICITY_PRESETS))
        return steps * preset_value(params, "nr_samples", MONOTONICITY_PRESETS) + 1

    def quantus_metric(self, params: MonotonicityCorrelationParameters, batch: ScoringBatch) -> quantus.Metric:
        steps = preset_value(params, "steps", MONOTONICITY_PRESETS)
        return quantus.MonotonicityCorrelation(
            features_in_step=features_per_step(n_features(batch), steps),
            nr_samples=preset_value(params, "nr_samples", MONOTONICITY_PRESETS),
            perturb_func=quantus_perturbation(Remover(params.removal, batch), cumulative=False),
            abs=True,
            normalise=True,
            return_aggregate=False,
            disable_warnings=True,
        )

    def score(self, batch: ScoringBatch, params: MonotonicityCorrelationParameters) -> Mapping[str, np.ndarray]:
        return {"": call_quantus(self.quantus_metric(params, batch), batch)}


@dataclass(frozen=True)
class SufficiencyParameters:
    #: Two clips count as explained alike when the distance of their maps is below this.
    threshold: float = 0.6


class SufficiencyMetric:
    """Share of clips with a similar explanation that receive the same prediction (within the batch).

    A batch-level notion: each clip's score depends on the other clips explained with
    it, so it is comparable across methods only on the same batches (the runner's).
    """

    name = "sufficiency"
    description = "Quantus Sufficiency: clips with close explanations get the same prediction (per batch)."
    version = "0.1.0"
    higher_is_better = True
    requires = frozenset({"model"})
    parameters = SufficiencyParameters

    def settings(self, params: SufficiencyParameters) -> dict[str, Any]:
        return {"threshold": params.threshold, "distance": "euclidean on max-normalised maps"}

    def model_passes(self, params: SufficiencyParameters, grid: InputGrid) -> int:
        return 1

    def quantus_metric(self, params: SufficiencyParameters, batch: ScoringBatch) -> quantus.Metric:
        return quantus.Sufficiency(
            threshold=params.threshold, abs=False, normalise=True, return_aggregate=False, disable_warnings=True
        )

    def score(self, batch: ScoringBatch, params: SufficiencyParameters) -> Mapping[str, np.ndarray]:
        return {"": call_quantus(self.quantus_metric(params, batch), batch)}


def features_per_step(n_features: int, steps: int) -> int:
    """The divisor of ``n_features`` giving the step count closest to ``steps`` (Quantus needs a divisor)."""
    divisors = [d for d in range(1, n_features + 1) if n_features % d == 0]
    return min(divisors, key=lambda d: (abs(n_features // d - steps), d))


def curve_auc(curves: np.ndarray) -> np.ndarray:
    """Area under each row of ``curves`` over the removed fraction in [0, 1]: a number in [0, 1]."""
    curves = np.atleast_2d(curves)
    removed = np.linspace(0.0, 1.0, curves.shape[1])
    return np.trapezoid(curves, removed, axis=1)
