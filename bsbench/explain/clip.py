"""One clip explained end to end: prediction, relevance map, salient windows, and the cues found there in words.

``bsbench explain`` prints this for a practitioner's file, and runs keep a few of them
(a correctly and a wrongly classified clip per method) so ``bsbench report`` can show
them from the run's files alone. Each cue finding compares the standardised difference
inside the salient windows (the paper's analysis, :mod:`bsbench.cues.salient`) with the
direction an expert profile expects for the predicted emotion; each intervention moves one
of the profile's cues towards neutral inside the salient windows and elsewhere, and says
whether the model's decision moved more where the map points
(:mod:`bsbench.cues.interventions`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from bsbench.audio.resynthesis import resynthesis_unavailable
from bsbench.core.types import Clip, CueTracks, Explanation, InputGrid
from bsbench.cues.interventions import CueIntervention, profile_interventions
from bsbench.cues.salient import MIN_SALIENT_FRAMES, differences_with_reasons
from bsbench.cues.windows import salient_windows
from bsbench.explain.listening import Listening, listen
from bsbench.explain.method_plan import PlannedMethod
from bsbench.interfaces.protocols import CueExtractorPlugin, LoadedModel, ProfilePlugin, as_attribution

#: Differences smaller than this (in clip standard deviations) are read as "no different from the clip".
NEGLIGIBLE_SD = 0.1


@dataclass(frozen=True)
class CueFinding:
    """One cue inside the salient windows against the whole clip, and what the profile expected."""

    cue: str
    unit: str
    #: Standardised difference (clip SDs); NaN when undefined, ``reason`` then says why.
    difference: float
    reason: str
    #: +1 / -1 / 0 expected by the profile for the predicted class; None when it sets no direction.
    expected: int | None
    verdict: str

    def sentence(self, label: str, profile: str) -> str:
        """The finding in words, e.g. "loudness inside the salient windows is 1.8 SD above the clip mean; ..."."""
        if not math.isfinite(self.difference):
            return f"{self.cue}: not measurable inside the salient windows ({self.reason})"
        size = abs(self.difference)
        if size < NEGLIGIBLE_SD:
            measured = f"{self.cue} inside the salient windows is close to the clip mean ({self.difference:+.2f} SD)"
        else:
            where = "above" if self.difference > 0 else "below"
            measured = f"{self.cue} inside the salient windows is {size:.1f} SD {where} the clip mean"
        if self.expected in (None, 0):
            return f"{measured}; profile {profile} sets no direction for {self.cue} in {label}"
        wanted = "higher" if self.expected > 0 else "lower"
        return f"{measured}; profile {profile} expects {wanted} {self.cue} for {label}: {self.verdict}"


def cue_findings(
    explanation: Explanation, tracks: CueTracks, profile: ProfilePlugin | None, label: str
) -> tuple[CueFinding, ...]:
    """Every cue of ``tracks``, judged against the profile's row for ``label`` (profile cues first)."""
    row = profile.cells.get(label, {}) if profile is not None else {}
    findings = []
    for cue, (difference, reason) in differences_with_reasons(explanation, tracks, MIN_SALIENT_FRAMES).items():
        cell = row.get(cue)
        expected = None if cell is None else cell.direction
        findings.append(
            CueFinding(cue, tracks.units[cue], difference, reason, expected, _verdict(difference, expected))
        )
    return tuple(sorted(findings, key=lambda f: (f.expected in (None, 0), -abs(np.nan_to_num(f.difference)))))


def _verdict(difference: float, expected: int | None) -> str:
    if not math.isfinite(difference):
        return "not measurable"
    if expected in (None, 0):
        return "no expectation"
    if abs(difference) < NEGLIGIBLE_SD:
        return "no evidence"
    return "plausible" if np.sign(difference) == expected else "implausible"


@dataclass(frozen=True, eq=False)
class ClipExplanation:
    """Everything shown about one explained clip; arrays apart, JSON-able (see :meth:`record`)."""

    clip_id: str
    label: str
    method: str
    labels: tuple[str, ...]
    probabilities: np.ndarray
    target: int
    #: The model's input for the clip, (bins, frames): what the map lies on.
    features: np.ndarray
    relevance: np.ndarray
    grid: InputGrid
    waveform: np.ndarray
    sample_rate: int
    #: (start, end) seconds of the salient windows, shape (k, 2).
    windows: np.ndarray
    findings: tuple[CueFinding, ...]
    profile: str
    #: The profile's manipulable cues for the prediction, each changed in and outside the salient windows.
    interventions: tuple[CueIntervention, ...] = ()
    #: Why no cue was tested ("" when some were, or when no profile or cues were given).
    interventions_note: str = ""
    #: The salient windows heard alone and the clip without them; None where the front end cannot
    #: be resynthesised.
    listening: Listening | None = None

    @property
    def prediction(self) -> str:
        return self.labels[self.target]

    @property
    def correct(self) -> bool | None:
        """Whether the prediction is the clip's label; None for a clip without one of the model's labels."""
        return self.prediction == self.label if self.label in self.labels else None

    def summary(self) -> dict[str, Any]:
        """The JSON ``bsbench explain --json`` prints and runs store beside the arrays."""
        return {
            "clip_id": self.clip_id,
            "label": self.label,
            "method": self.method,
            "prediction": self.prediction,
            "correct": self.correct,
            "probabilities": dict(zip(self.labels, self.probabilities.round(4).tolist(), strict=True)),
            "salient_windows_s": self.windows.round(3).tolist(),
            "profile": self.profile,
            "findings": [
                {**asdict(f), "difference": None if not math.isfinite(f.difference) else round(f.difference, 3)}
                | {"sentence": f.sentence(self.prediction, self.profile)}
                for f in self.findings
            ],
            "interventions": [
                {
                    "cue": t.cue,
                    "direction": t.direction,
                    "change": t.change,
                    "unit": t.unit,
                    "windows_s": t.windows.round(3).tolist(),
                    "p_original": round(t.p_original, 4),
                    "p_salient": None if t.reason else round(t.p_salient, 4),
                    "p_controls": [round(p, 4) for p in t.p_controls],
                    "effect": None if t.reason else round(t.effect, 4),
                    "reason": t.reason,
                    "sentence": t.sentence(self.prediction, self.method),
                }
                for t in self.interventions
            ],
            "interventions_note": self.interventions_note,
        }


def explain_clip(
    model: LoadedModel,
    clip: Clip,
    planned: PlannedMethod,
    extractor: CueExtractorPlugin | None,
    profile: ProfilePlugin | None,
    seed: int = 0,
) -> ClipExplanation:
    """Predict, explain the predicted class with ``planned``, and read the cues in the salient windows."""
    inputs = model.features([clip])
    probabilities = torch.softmax(model.logits(inputs), dim=1)[0].cpu().numpy()
    target = int(probabilities.argmax())
    torch.manual_seed(seed)
    output = planned.plugin.explain(model, inputs, torch.tensor([target]), planned.params, seed)
    relevance = np.asarray(as_attribution(output).relevance, dtype=np.float32)[0]
    return from_explanation(
        model,
        clip,
        Explanation(clip.clip_id, relevance, model.frontend.grid, planned.label, target),
        inputs[0, 0].cpu().numpy(),
        probabilities,
        extractor.extract(clip) if extractor is not None else None,
        profile,
        seed,
    )


def from_explanation(
    model: LoadedModel,
    clip: Clip,
    explanation: Explanation,
    features: np.ndarray,
    probabilities: np.ndarray,
    tracks: CueTracks | None,
    profile: ProfilePlugin | None,
    seed: int = 0,
) -> ClipExplanation:
    """A :class:`ClipExplanation` from an explanation already computed (a run's); ``seed`` draws the
    intervention controls."""
    prediction = model.labels[explanation.target]
    findings = cue_findings(explanation, tracks, profile, prediction) if tracks is not None else ()
    interventions, note = (), ""
    if tracks is not None and profile is not None:
        interventions, note = profile_interventions(model, clip, explanation, tracks, profile, seed)
    listening = None if resynthesis_unavailable(model.frontend) else listen(model, clip, explanation)
    return ClipExplanation(
        clip_id=clip.clip_id,
        label=clip.label,
        method=explanation.method,
        labels=tuple(model.labels),
        probabilities=np.asarray(probabilities, dtype=float),
        target=explanation.target,
        features=np.asarray(features, dtype=np.float32),
        relevance=explanation.relevance,
        grid=explanation.grid,
        waveform=np.asarray(clip.waveform, dtype=np.float32),
        sample_rate=clip.sample_rate,
        windows=salient_windows(explanation),
        findings=findings,
        profile=profile.name if profile is not None else "",
        interventions=interventions,
        interventions_note=note,
        listening=listening,
    )
