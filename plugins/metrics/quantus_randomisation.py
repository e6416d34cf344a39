"""Randomisation metrics through Quantus: does the explanation depend on what the model learned?

An explanation that looks the same for a network with random weights, or for a class
the model did not predict, describes the input (or the method) rather than the model.

* ``efficient-mprt`` (Hedström et al., 2023): re-explains each clip with the trained
  network and with a copy whose every layer has been re-initialised (bottom-up,
  Quantus's ``skip_layers=True``: only the fully randomised copy is explained), and
  reports the relative rise of the map's discrete entropy (100-bin histogram),
  (H_random - H_trained) / H_trained. Higher is better: a map of a random network
  should be noise. Quantus re-explains the trained network itself instead of reading
  the scored map, so the cost is 2 explanations per clip whatever the depth, plus the
  2 forward passes Quantus spends on the model-entropy scores it computes regardless.
* ``random-logit`` (Sixt et al., 2020): SSIM between the map of the explained class and
  the map of one other class drawn at random. Lower is better.

Quantus's randomisation works on a deep copy of the network (``get_random_layer_generator``),
so the caller's weights are untouched (tested), but it re-seeds torch's global generator
(``torch.manual_seed(seed + 1)``); bsbench restores that state afterwards. Both draws follow
the batch seed: the layer initialisation through EfficientMPRT's ``seed``, the other class
through RandomLogit's ``seed``, which Quantus feeds to ``np.random.seed`` itself.

A constant map has no score here (its entropy is 0, a ratio 0/0; SSIM of flat maps is 0/0),
so the runner records "constant relevance map" instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import quantus
import torch
from bsbench_plugins.metrics.quantus_calls import call_quantus, normalise_each_by_max, quantus_seed, raw_relevance

from bsbench.plugin import InputGrid, NoParameters, Scores, ScoringBatch

#: Equal-width histogram bins of Quantus's discrete entropy (its default when no binning rule is set).
ENTROPY_BINS = 100
FLAT_TRAINED_MAP = "the trained network's re-explanation is flat: entropy 0, the relative rise is undefined"


class EfficientMPRTMetric:
    name = "efficient-mprt"
    description = "Quantus EfficientMPRT: relative rise in map entropy when every layer of the network is randomised."
    version = "0.1.0"
    higher_is_better = True
    requires = frozenset({"model", "explainer"})
    parameters = NoParameters

    def settings(self, params: NoParameters) -> dict[str, Any]:
        return {
            "layer_order": "bottom_up",
            "explained": "trained and fully randomised network",
            "complexity": f"discrete entropy, {ENTROPY_BINS} bins",
        }

    def model_passes(self, params: NoParameters, grid: InputGrid) -> int:
        return 2

    def explanations_per_clip(self, params: NoParameters) -> int:
        return 2

    def build(self, batch: ScoringBatch) -> quantus.Metric:
        return quantus.EfficientMPRT(
            complexity_func_kwargs={"n_bins": ENTROPY_BINS},
            layer_order="bottom_up",
            skip_layers=True,
            seed=quantus_seed(batch),
            abs=False,
            normalise=False,
            return_aggregate=False,
            disable_warnings=True,
        )

    def score(self, batch: ScoringBatch, params: NoParameters) -> Scores:
        assert batch.explainer is not None  # the runner supplies it to metrics that require "explainer"
        device = batch.model.device
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            values = call_quantus(self.build(batch), batch, a_batch=raw_relevance(batch))
        reasons = ["" if np.isfinite(v) else FLAT_TRAINED_MAP for v in values]
        return Scores({"": np.where(np.isfinite(values), values, np.nan)}, {"": reasons})


class RandomLogitMetric:
    name = "random-logit"
    description = "Quantus RandomLogit: SSIM between the map of the predicted class and of a random other class."
    version = "0.1.0"
    higher_is_better = False
    requires = frozenset({"model", "explainer"})
    parameters = NoParameters

    def settings(self, params: NoParameters) -> dict[str, Any]:
        return {"similarity": "ssim", "normalise": "each map by its own peak", "other_class": "uniform, seeded"}

    def model_passes(self, params: NoParameters, grid: InputGrid) -> int:
        return 0

    def explanations_per_clip(self, params: NoParameters) -> int:
        return 1

    def build(self, batch: ScoringBatch) -> quantus.Metric:
        return quantus.RandomLogit(
            num_classes=len(batch.model.labels),
            seed=quantus_seed(batch),
            abs=False,
            normalise=True,
            normalise_func=normalise_each_by_max,
            return_aggregate=False,
            disable_warnings=True,
        )

    def score(self, batch: ScoringBatch, params: NoParameters) -> Scores:
        assert batch.explainer is not None
        values = call_quantus(self.build(batch), batch, a_batch=raw_relevance(batch))
        return Scores({"": values})
