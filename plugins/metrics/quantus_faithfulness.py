"""Faithfulness metrics through Quantus 0.6, the reference implementation.

Quantus is called through :mod:`quantus_calls` (its pitfalls handled once). Perturbation
replaces cells with the clip's minimum (Quantus's "black"), which in a max-referenced
log-mel spectrogram is silence.

NumPy >= 2.4 removed ``np.trapz``, which Quantus's own AUC path still calls
(``PixelFlipping(return_auc_per_sample=True)`` raises AttributeError). bsbench asks
Quantus for the curves and integrates them itself with ``np.trapezoid``, which exists
since NumPy 2.0; no global patching of NumPy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import quantus
from bsbench_plugins.metrics.quantus_calls import call_quantus

from bsbench.protocols import ScoringBatch


class FaithfulnessCorrelationMetric:
    """Correlation between the relevance of random cell subsets and the probability drop when removing them."""

    name = "faithfulness-correlation"
    description = "Quantus FaithfulnessCorrelation: relevance of random subsets vs. drop in class probability."
    version = "0.1.0"
    higher_is_better = True
    requires = frozenset({"model"})

    def __init__(self, nr_runs: int = 50, subset_fraction: float = 0.05) -> None:
        self.settings = {"nr_runs": nr_runs, "subset_fraction": subset_fraction, "perturb_baseline": "black"}

    def score(self, batch: ScoringBatch) -> Mapping[str, np.ndarray]:
        n_features = math.prod(batch.inputs.shape[1:])
        metric = quantus.FaithfulnessCorrelation(
            nr_runs=self.settings["nr_runs"],
            subset_size=max(1, round(self.settings["subset_fraction"] * n_features)),
            perturb_baseline="black",
            abs=False,
            normalise=True,
            return_aggregate=False,
            disable_warnings=True,
        )
        return {"": call_quantus(metric, batch)}


class PixelFlippingMetric:
    """Area under the class-probability curve while the most relevant cells are removed first."""

    name = "pixel-flipping"
    description = "Quantus PixelFlipping: area under the probability curve, most relevant cells removed first."
    version = "0.1.0"
    higher_is_better = False
    requires = frozenset({"model"})

    def __init__(self, steps: int = 64) -> None:
        self.settings = {
            "steps": steps,
            "perturb_baseline": "black",
            "auc": "trapezoid over removed fraction 0..1",
        }

    def score(self, batch: ScoringBatch) -> Mapping[str, np.ndarray]:
        n_features = math.prod(batch.inputs.shape[1:])
        metric = quantus.PixelFlipping(
            features_in_step=features_per_step(n_features, self.settings["steps"]),
            perturb_baseline="black",
            abs=False,
            normalise=True,
            return_auc_per_sample=False,
            disable_warnings=True,
        )
        curves = call_quantus(metric, batch)
        return {"": curve_auc(curves)}


def features_per_step(n_features: int, steps: int) -> int:
    """The divisor of ``n_features`` giving the step count closest to ``steps`` (Quantus needs a divisor)."""
    divisors = [d for d in range(1, n_features + 1) if n_features % d == 0]
    return min(divisors, key=lambda d: (abs(n_features // d - steps), d))


def curve_auc(curves: np.ndarray) -> np.ndarray:
    """Area under each row of ``curves`` over the removed fraction in [0, 1]: a number in [0, 1]."""
    curves = np.atleast_2d(curves)
    removed = np.linspace(0.0, 1.0, curves.shape[1])
    return np.trapezoid(curves, removed, axis=1)
