"""Robustness metrics through Quantus: does the explanation survive an imperceptible change of the input?

Max- and Avg-Sensitivity (Yeh et al., 2019) add uniform noise in [-r, r] to every cell,
re-explain the noisy input with the scored method and report ||a - a'|| / ||a||, the
largest or the mean over ``nr_samples`` draws: 0 is an explanation that does not move,
lower is better. Maps are compared as the method returns them (Quantus's defaults: no
normalisation, no absolute value), so each clip's score is independent of its batch.

The radius ``lower_bound`` (Quantus's name; noise is drawn from [-r, r]) defaults to
1 dB. Quantus's 0.2 is meant for images in [0, 1]: 20 % of the range, which on a
log-mel input spanning about [-80, 0] dB would be +-16 dB per cell, audible as heavy
noise. The premise of the metric is an input a listener would not tell apart from the
original, and the level difference a listener just notices is about 1 dB; 1 dB is also
about 1.25 % of the 80 dB range, near the 2 % default of Quantus's own noise function.

Quantus refuses a batch whose maps are all one value (its ordering guard). The
``constant`` method yields exactly such batches, and for robustness a constant map has
a meaning: an explanation that ignores the input never moves (sensitivity 0, which is
why robustness must be read next to faithfulness). Such batches are scored by
:func:`sensitivities`, the same computation with Quantus's noise function, seeded and
drawn in the same order, so it equals Quantus wherever Quantus accepts a batch (tested).
An all-zero map has no norm to be relative to: NaN, with its reason.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import quantus
from bsbench_plugins.metrics.quantus_calls import ALL_ZERO_MAP, call_quantus, is_uniform, quantus_seed, raw_relevance
from quantus.functions.perturb_func import batch_uniform_noise

from bsbench.plugin import InputGrid, Scores, ScoringBatch, UsageError, preset_value, resolved

SENSITIVITY_PRESETS = {"quick": {"nr_samples": 3}, "standard": {"nr_samples": 10}, "paper": {"nr_samples": 50}}


@dataclass(frozen=True)
class SensitivityParameters:
    preset: str = "standard"
    #: Noisy copies of each clip, each re-explained (0: from the preset: 3, 10, 50).
    nr_samples: int = 0
    #: Noise radius in dB: every cell moves by a uniform draw from [-r, r] (Quantus's lower_bound).
    lower_bound: float = 1.0


class _QuantusSensitivityMetric:
    name: str
    version = "0.1.0"
    higher_is_better = False
    requires = frozenset({"model", "explainer"})
    parameters = SensitivityParameters
    accepts_constant_maps = True
    quantus_metric: type[quantus.Metric]
    #: How the per-draw sensitivities of a clip become its score (max or mean), as Quantus reduces them.
    reduce: Callable[..., np.ndarray]

    def settings(self, params: SensitivityParameters) -> dict[str, Any]:
        if params.lower_bound <= 0:
            raise UsageError(f"metric {self.name}: lower_bound={params.lower_bound} must be a positive radius in dB")
        return {
            **resolved(params, SENSITIVITY_PRESETS),
            "lower_bound": params.lower_bound,
            "noise": "uniform in [-lower_bound, lower_bound] dB, every cell",
            "sensitivity": "fro(a - a') / fro(a)",
        }

    def model_passes(self, params: SensitivityParameters, grid: InputGrid) -> int:
        # Quantus predicts only with return_nan_when_prediction_changes, which stays off.
        return 0

    def explanations_per_clip(self, params: SensitivityParameters) -> int:
        return preset_value(params, "nr_samples", SENSITIVITY_PRESETS)

    def build(self, params: SensitivityParameters) -> quantus.Metric:
        return self.quantus_metric(
            nr_samples=preset_value(params, "nr_samples", SENSITIVITY_PRESETS),
            lower_bound=params.lower_bound,
            abs=False,
            normalise=False,
            return_aggregate=False,
            disable_warnings=True,
        )

    def score(self, batch: ScoringBatch, params: SensitivityParameters) -> Scores:
        assert batch.explainer is not None  # the runner supplies it to metrics that require "explainer"
        maps = raw_relevance(batch)
        if is_uniform(maps):
            draws = sensitivities(batch, params.lower_bound, preset_value(params, "nr_samples", SENSITIVITY_PRESETS))
            with warnings.catch_warnings():  # an all-zero map's draws are all NaN: reported below
                warnings.simplefilter("ignore", RuntimeWarning)
                values = self.reduce(draws, axis=1)
        else:
            values = call_quantus(self.build(params), batch, a_batch=maps)
        reasons = [ALL_ZERO_MAP if not m.any() else "" for m in maps]
        return Scores({"": np.where([bool(r) for r in reasons], np.nan, values)}, {"": reasons})


class MaxSensitivityMetric(_QuantusSensitivityMetric):
    name = "max-sensitivity"
    description = "Quantus MaxSensitivity: largest relative change of the map under uniform input noise (+-1 dB)."
    quantus_metric = quantus.MaxSensitivity
    reduce = staticmethod(np.nanmax)


class AvgSensitivityMetric(_QuantusSensitivityMetric):
    name = "avg-sensitivity"
    description = "Quantus AvgSensitivity: mean relative change of the map under uniform input noise (+-1 dB)."
    quantus_metric = quantus.AvgSensitivity
    reduce = staticmethod(np.nanmean)


def sensitivities(batch: ScoringBatch, radius: float, nr_samples: int) -> np.ndarray:
    """||a - a'|| / ||a|| per clip and noise draw, (clips, nr_samples): Quantus's loop without its ordering guard.

    Seeds and draws exactly as ``MaxSensitivity.evaluate_batch`` does through
    :func:`call_quantus` (one ``batch_uniform_noise`` call per draw, on the flattened batch).
    """
    assert batch.explainer is not None
    np.random.seed(quantus_seed(batch))
    inputs = batch.inputs.astype(np.float32)
    clips = len(inputs)
    maps = raw_relevance(batch).reshape(clips, -1)
    cells = np.tile(np.arange(inputs[0].size), (clips, 1))
    draws = np.full((clips, nr_samples), np.nan)
    batch.model.network.eval()
    with np.errstate(divide="ignore", invalid="ignore"):
        for draw in range(nr_samples):
            noisy = batch_uniform_noise(arr=inputs.reshape(clips, -1), indices=cells, lower_bound=radius)
            noisy = noisy.reshape(inputs.shape)
            again = batch.explainer(model=batch.model.network, inputs=noisy, targets=batch.targets)
            draws[:, draw] = np.linalg.norm(maps - again.reshape(clips, -1), axis=1) / np.linalg.norm(maps, axis=1)
    return draws
