"""Does the model use a cue where the explanation points? The cue changed there, and elsewhere.

The cue metrics and the paper's analysis are correlational: pitch is higher inside the
salient windows, and a voice scientist expects that of anger. Whether the model *uses* that
pitch there is a causal question, answered by changing the cue inside the salient windows
only (:mod:`bsbench.audio.cue_manipulations`) and reading the class probability again. The
same change in matched windows elsewhere (:mod:`bsbench.cues.controls`) is the control: a
change that costs the class wherever it is made says nothing about where the map points.

Each tested cue is moved *towards neutral*, against the direction its shift has (the
profile's direction for the predicted class, or the measured shift for a cue picked by
its salient-window difference), so an explanation whose windows hold the evidence sees the
class lose probability. The effect of one cue on one clip is

    effect = mean_k p(class | change in control set k) - p(class | change in the salient windows)

the salient windows' drop of the class probability beyond the controls' mean drop: positive
when the change costs more where the map points, about 0 for an explanation whose windows
are no better than any others.
"""

from __future__ import annotations

import dataclasses
import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from bsbench.audio.cue_manipulations import MANIPULATIONS, CueManipulation
from bsbench.audio.reading import fix_length
from bsbench.core.types import Clip, CueTracks, Explanation
from bsbench.cues.controls import cue_windows
from bsbench.cues.salient import MIN_SALIENT_FRAMES, standardised_differences
from bsbench.interfaces.protocols import REFERENCE_CLASS, LoadedModel, ProfilePlugin

#: Effects within this many probability points of 0 read as "no more effect than elsewhere" in words.
NEGLIGIBLE_EFFECT = 0.05
#: How far each manipulable cue is moved by default, in its unit: about a third to a half of the
#: shifts the synthetic corpus's emotion table applies, enough to matter to a model and small
#: enough to stay a plausible voice (2 st of pitch, a factor 2 of pitch range, 6 dB of level or
#: spectral tilt, 20 % of rate).
DEFAULT_CHANGES: Mapping[str, float] = MappingProxyType(
    {
        "pitch_level": 2.0,
        "pitch_variability": 2.0,
        "intensity_db": 6.0,
        "loudness": 6.0,
        "shrillness": 6.0,
        "alpha_ratio": 6.0,
        "speech_rate": 20.0,
    }
)
#: Control sets a single explained clip (``bsbench explain``, a run's examples) draws per cue.
EXAMPLE_CONTROLS = 4


@dataclass(frozen=True)
class CueIntervention:
    """One cue changed inside one explanation's salient windows and in matched controls elsewhere."""

    cue: str
    #: The shift being undone: +1 when the cue is higher for the class (so it is lowered), -1 when lower.
    direction: int
    #: The change made, in the manipulation's unit (semitones, dB, a factor, %).
    change: float
    unit: str
    #: (k, 2) seconds: where the cue was changed.
    windows: np.ndarray
    p_original: float
    p_salient: float
    #: The class probability after the same change in each control set.
    p_controls: tuple[float, ...]
    #: Why the cue could not be tested ("" when it was).
    reason: str = ""

    @property
    def effect(self) -> float:
        """Mean class probability under the controls minus under the salient change (NaN when untested)."""
        if self.reason:
            return math.nan
        return float(np.mean(self.p_controls) - self.p_salient)

    def sentence(self, label: str, method: str) -> str:
        """In words: "lowering pitch_level by 2 st inside crp's salient windows drops p(angry) from ..."."""
        change = change_in_words(MANIPULATIONS[self.cue], self.change)
        if self.reason:
            return f"{change}: not tested ({self.reason})"
        if round(self.p_salient, 2) == round(self.p_original, 2):
            moved = f"leaves p({label}) at {self.p_original:.2f}"
        else:
            verb = "drops" if self.p_salient < self.p_original else "raises"
            moved = f"{verb} p({label}) from {self.p_original:.2f} to {self.p_salient:.2f}"
        effect = self.effect
        if effect > NEGLIGIBLE_EFFECT:
            verdict = f"the model uses {self.cue} where {method} points"
        elif effect < -NEGLIGIBLE_EFFECT:
            verdict = f"the change matters more elsewhere than where {method} points"
        else:
            verdict = f"no more effect where {method} points than elsewhere"
        return (
            f"{change} inside {method}'s salient windows {moved}; the same change elsewhere gives "
            f"{np.mean(self.p_controls):.2f} "
            f"(mean of {len(self.p_controls)} draws): {verdict}"
        )


def change_in_words(manipulation: CueManipulation, change: float) -> str:
    """ "lowering pitch_level by 2 st", "compressing pitch_variability by x0.5", "slowing speech_rate by 20 %"."""
    if manipulation.scale == "factor":
        verb = "expanding" if change > 1 else "compressing"
        return f"{verb} {manipulation.cue} by x{change:g}"
    verb = ("speeding up" if change > 0 else "slowing") if manipulation.cue == "speech_rate" else None
    verb = verb or ("raising" if change > 0 else "lowering")
    return f"{verb} {manipulation.cue} by {abs(change):g} {manipulation.unit}"


def cues_to_test(
    profile: ProfilePlugin,
    label: str,
    explanation: Explanation,
    tracks: CueTracks,
    top_cues: int,
    min_frames: int,
) -> tuple[list[tuple[str, int]], str]:
    """(cue, direction to undo) for the manipulable cues the profile settles for ``label``, then the
    ``top_cues`` manipulable cues with the largest salient-window difference, or why there are none."""
    row = profile.cells.get(label, {})
    chosen = [(cue, int(cell.direction)) for cue, cell in row.items() if cell.direction in (1, -1)]
    tested = [(cue, direction) for cue, direction in chosen if cue in MANIPULATIONS]
    if top_cues:
        differences = standardised_differences(explanation, tracks, min_frames)
        measured = [cue for cue in MANIPULATIONS if math.isfinite(differences.get(cue, math.nan))]
        ranked = sorted(measured, key=lambda cue: -abs(differences[cue]))
        tested += [(cue, int(np.sign(differences[cue]))) for cue in ranked[:top_cues] if cue not in dict(tested)]
        tested = [(cue, direction) for cue, direction in tested if direction != 0]
    if tested:
        return tested, ""
    if label == REFERENCE_CLASS and not top_cues:
        return [], f"the predicted class {label} is the reference class: no cue has a shift to undo"
    if not chosen:
        return [], f"profile {profile.name} settles no cue direction for {label}"
    return [], (
        f"profile {profile.name} settles for {label} only cues that cannot be manipulated "
        f"({', '.join(sorted(cue for cue, _ in chosen))})"
    )


def intervene(
    model: LoadedModel,
    clip: Clip,
    explanation: Explanation,
    tracks: CueTracks,
    plan: Sequence[tuple[str, int]],
    magnitudes: Mapping[str, float],
    draws: int,
    seed: int,
    min_frames: int,
) -> tuple[CueIntervention, ...]:
    """Every cue of ``plan`` moved against its direction by ``magnitudes[cue]``, salient windows and controls.

    All edited clips of the clip go through the model in one batch. Control draws are seeded
    by ``seed``, the clip's id and the cue, so they do not depend on the clip's batch-mates.
    """
    frontend = model.frontend
    samples = frontend.prepare(clip)
    waveforms: list[np.ndarray] = [samples]
    planned = []  # (cue, direction, change, its windows, index of its salient edit in ``waveforms``)
    for cue, direction in plan:
        manipulation = MANIPULATIONS[cue]
        change = manipulation.towards(direction, magnitudes[cue])
        rng = np.random.default_rng([seed, zlib.crc32(clip.clip_id.encode()), zlib.crc32(cue.encode())])
        windows = cue_windows(explanation, tracks, cue, draws, rng, min_frames)
        planned.append((cue, direction, change, windows, len(waveforms)))
        if not windows.reason:
            for where in (windows.salient, *windows.controls):
                edited = manipulation.apply(samples, frontend.sample_rate, where, change)
                waveforms.append(fix_length(np.asarray(edited, dtype=np.float32), frontend.clip_samples))
    probabilities = model.waveform_probabilities(waveforms)[:, explanation.target]
    p_original = float(probabilities[0])
    results = []
    for cue, direction, change, windows, first in planned:
        tested = CueIntervention(cue, direction, change, MANIPULATIONS[cue].unit, windows.salient, p_original,
                                 math.nan, (), windows.reason)  # fmt: skip
        if not windows.reason:
            controls = tuple(float(p) for p in probabilities[first + 1 : first + 1 + draws])
            tested = dataclasses.replace(tested, p_salient=float(probabilities[first]), p_controls=controls)
        results.append(tested)
    return tuple(results)


def profile_interventions(
    model: LoadedModel,
    clip: Clip,
    explanation: Explanation,
    tracks: CueTracks,
    profile: ProfilePlugin,
    seed: int,
) -> tuple[tuple[CueIntervention, ...], str]:
    """The profile's manipulable cues for the explained class, each tested with the default changes
    (what ``bsbench explain`` and a run's examples show), or no tests and why."""
    label = model.labels[explanation.target]
    plan, reason = cues_to_test(profile, label, explanation, tracks, 0, MIN_SALIENT_FRAMES)
    if not plan:
        return (), reason
    tested = intervene(
        model, clip, explanation, tracks, plan, DEFAULT_CHANGES, EXAMPLE_CONTROLS, seed, MIN_SALIENT_FRAMES
    )
    return tested, ""
