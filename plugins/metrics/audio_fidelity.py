"""Fidelity measured on audio the model can hear, after L-MAC (Paissan et al., ICML 2024).

The explanation's kept cells are resynthesised from the original waveform's STFT with its own
phase (the "masked-in" clip, :mod:`bsbench.explain.listening`), the model's own front end reads
it, and the class probability ``p_in`` is compared with the original's ``p``:

- ``average-increase``: 1 when ``p_in > p`` (the part alone convinces the model more), else 0;
- ``average-drop``: ``max(0, p - p_in) / p``, the share of the confidence lost (lower is better);
- ``average-gain``: ``max(0, p_in - p) / (1 - p)``, the share of the missing confidence won;
- ``input-fidelity``: 1 when the masked-in clip is still given the explained class, else 0.

Averaged over clips these are L-MAC's AI, AD, AG and Fid-In (in [0, 1] rather than percent).
L-MAC binarises a learnt mask at a threshold; a saliency map has no common scale, and a fixed
share of each map's peak would keep a sparse map's few cells and most of a smooth one, so here
every method keeps the same amount: by default the paper's five salient 150 ms windows (all
frequencies), or with ``top_percent`` that share of the grid's most relevant cells.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from bsbench.plugin import (
    WINDOW_RULE,
    InputGrid,
    Scores,
    ScoringBatch,
    UsageError,
    listen,
    resynthesis_unavailable,
    scores_per_clip,
)


@dataclass(frozen=True)
class AudioFidelityParameters:
    #: 0: keep the salient windows; otherwise keep this percentage of the grid's most relevant cells.
    top_percent: float = 0.0


class AudioFidelityMetric:
    """What the four share: the masked-in clip's class probability against the original's, per clip."""

    name = ""
    description = ""
    higher_is_better: bool | None = True
    version = "0.1.0"
    requires = frozenset({"model"})
    parameters = AudioFidelityParameters
    #: The per-clip value in words, for manifests.
    formula = ""

    def settings(self, params: AudioFidelityParameters) -> dict[str, Any]:
        if not (math.isfinite(params.top_percent) and 0 <= params.top_percent < 100):
            raise UsageError(f"metric {self.name}: top_percent={params.top_percent} must be from 0 to below 100")
        if params.top_percent:
            return {"kept": f"top {params.top_percent:g}% of cells", "score": self.formula}
        return {"kept": "salient windows, all frequencies", **WINDOW_RULE.settings(), "score": self.formula}

    def model_passes(self, params: AudioFidelityParameters, grid: InputGrid) -> int:
        return 2

    def value(self, p: float, p_in: float, keeps_class: bool) -> float:
        """The clip's score from the original's and the masked-in clip's class probability."""
        raise NotImplementedError

    def score(self, batch: ScoringBatch, params: AudioFidelityParameters) -> Scores:
        frontend = batch.model.frontend
        unavailable = resynthesis_unavailable(frontend)
        stft = getattr(frontend, "stft_parameters", None)
        frame_seconds = stft()[0] / frontend.sample_rate if stft is not None else 0.0

        def score_clip(i: int) -> dict[str, tuple[float, str]]:
            if unavailable:
                return {"": (math.nan, f"masked-in audio {unavailable}")}
            clip = batch.clips[i]
            if clip.waveform.shape[0] < frame_seconds * clip.sample_rate:
                short = f"clip shorter than one STFT frame ({1000 * frame_seconds:.0f} ms): nothing to mask"
                return {"": (math.nan, short)}
            explanation = batch.explanations[i]
            heard = listen(batch.model, clip, explanation, params.top_percent)
            if not heard.kept.any():
                return {"": (math.nan, "the map keeps no cell (no positive relevance)")}
            original, masked_in = batch.model.waveform_probabilities([heard.original, heard.masked_in])
            target = explanation.target
            keeps_class = int(np.argmax(masked_in)) == target
            return {"": (self.value(float(original[target]), float(masked_in[target]), keeps_class), "")}

        return scores_per_clip(len(batch.explanations), [""], score_clip)


class AverageIncreaseMetric(AudioFidelityMetric):
    name = "average-increase"
    description = "L-MAC's AI: 1 when the masked-in audio raises the class probability, else 0."
    formula = "1 if p(class | masked-in) > p(class | clip) else 0"

    def value(self, p: float, p_in: float, keeps_class: bool) -> float:
        return float(p_in > p)


class AverageDropMetric(AudioFidelityMetric):
    name = "average-drop"
    description = "L-MAC's AD: share of the class probability lost when only the masked-in audio is heard."
    higher_is_better = False
    formula = "max(0, p - p_in) / p, p = p(class | clip), p_in = p(class | masked-in)"

    def value(self, p: float, p_in: float, keeps_class: bool) -> float:
        return max(0.0, p - p_in) / p


class AverageGainMetric(AudioFidelityMetric):
    name = "average-gain"
    description = "L-MAC's AG: share of the missing class probability won by the masked-in audio."
    formula = "max(0, p_in - p) / (1 - p), p = p(class | clip), p_in = p(class | masked-in)"

    def value(self, p: float, p_in: float, keeps_class: bool) -> float:
        return max(0.0, p_in - p) / (1 - p) if p < 1 else 0.0


class InputFidelityMetric(AudioFidelityMetric):
    name = "input-fidelity"
    description = "L-MAC's Fid-In: 1 when the masked-in audio is still given the explained class, else 0."
    formula = "1 if argmax p(. | masked-in) is the explained class else 0"

    def value(self, p: float, p_in: float, keeps_class: bool) -> float:
        return float(keeps_class)
