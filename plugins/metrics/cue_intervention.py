"""Causal cue test: does the class lose more when a cue is moved towards neutral where the map points?

For each clip, each manipulable cue the profile settles for the *predicted* class (and, with
``top_cues``, the cues whose salient-window difference is largest) is moved against its
shift inside the method's salient windows, and by the same amount inside ``controls`` sets
of matched windows elsewhere (same number, same length, where the cue is defined; seeded
draws). Per cue the score is the controls' mean class probability minus the salient
change's: the extra drop of p(class) caused by changing the cue where the explanation
points rather than anywhere (see :mod:`bsbench.scoring.interventions`). The overall score
is the mean over the cues tested on the clip. Positive: the model uses the cue where the
map points; about 0: the windows are no better than any others; a map of random windows
has an expected score of 0.

How much each cue is moved is a parameter in the cue's own unit, by default
:data:`bsbench.plugin.DEFAULT_CHANGES` (``bsbench explain`` uses the same amounts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from bsbench.plugin import (
    DEFAULT_CHANGES,
    MANIPULATIONS,
    MIN_SALIENT_FRAMES,
    WINDOW_RULE,
    InputGrid,
    Scores,
    ScoringBatch,
    UsageError,
    check_change,
    cues_to_test,
    intervene,
    preset_value,
    resolved,
    scores_per_clip,
)

INTERVENTION_PRESETS = {"quick": {"controls": 2}, "standard": {"controls": 4}, "paper": {"controls": 10}}


@dataclass(frozen=True)
class CueInterventionParameters:
    preset: str = "standard"
    #: Control sets drawn per cue and clip (0: from the preset: 2, 4, 10).
    controls: int = 0
    #: The expert profile whose directions are undone (``bsbench list profiles``).
    profile: str = "consensus"
    #: Also test this many manipulable cues with the largest salient-window difference, undoing their shift.
    top_cues: int = 0
    #: Pitch shift of pitch_level, semitones.
    semitones: float = DEFAULT_CHANGES["pitch_level"]
    #: Gain of intensity_db and loudness, dB.
    level_db: float = DEFAULT_CHANGES["loudness"]
    #: Shelf gain above 1 kHz of shrillness and alpha_ratio, dB.
    tilt_db: float = DEFAULT_CHANGES["shrillness"]
    #: Factor (> 1) the pitch range is compressed or expanded by for pitch_variability.
    range_factor: float = DEFAULT_CHANGES["pitch_variability"]
    #: Change of speech_rate, % of the local rate.
    rate_percent: float = DEFAULT_CHANGES["speech_rate"]
    #: Defined frames (voiced for voiced-only cues) a window needs to count for a cue.
    min_frames: int = MIN_SALIENT_FRAMES


#: The parameter that sets how far each manipulable cue is moved.
MAGNITUDE_FIELDS = {
    "pitch_level": "semitones",
    "pitch_variability": "range_factor",
    "intensity_db": "level_db",
    "loudness": "level_db",
    "shrillness": "tilt_db",
    "alpha_ratio": "tilt_db",
    "speech_rate": "rate_percent",
}
#: Every column: the overall score, then one per manipulable cue.
COLUMNS = ("", *MAGNITUDE_FIELDS)


class CueInterventionMetric:
    name = "cue-intervention"
    description = (
        "Causal: extra drop of p(class) when the profile's cues are moved towards neutral inside the salient "
        "windows rather than in matched windows elsewhere."
    )
    version = "0.1.0"
    higher_is_better = True
    requires = frozenset({"model", "cues", "profile"})
    parameters = CueInterventionParameters

    def settings(self, params: CueInterventionParameters) -> dict[str, Any]:
        if params.preset not in INTERVENTION_PRESETS:
            raise UsageError(f"metric {self.name}: preset={params.preset!r} is not one of quick, standard, paper")
        if params.range_factor <= 1:
            raise UsageError(f"metric {self.name}: range_factor={params.range_factor} must be above 1")
        for cue, field in MAGNITUDE_FIELDS.items():
            magnitude = getattr(params, field)
            if not (math.isfinite(magnitude) and magnitude > 0):
                raise UsageError(f"metric {self.name}: {field}={magnitude} must be a positive number")
            manipulation = MANIPULATIONS[cue]
            check_change(manipulation, manipulation.towards(1, magnitude), f"metric {self.name}: {field}")
        return {
            **resolved(params, INTERVENTION_PRESETS),
            "profile": params.profile,
            "top_cues": params.top_cues,
            "changes": {
                cue: f"{getattr(params, field):g} {MANIPULATIONS[cue].unit}" for cue, field in MAGNITUDE_FIELDS.items()
            },
            "min_frames": params.min_frames,
            **WINDOW_RULE.settings(),
            "score": "mean over controls of p(class | change there) - p(class | change in the salient windows)",
        }

    def model_passes(self, params: CueInterventionParameters, grid: InputGrid) -> int:
        """At most: the clip once, then the salient change and each control for every manipulable cue."""
        cues = len(MAGNITUDE_FIELDS)
        return 1 + cues * (1 + preset_value(params, "controls", INTERVENTION_PRESETS))

    def score(self, batch: ScoringBatch, params: CueInterventionParameters) -> Scores:
        assert batch.cue_tracks is not None and batch.profile is not None  # the runner supplies both
        draws = preset_value(params, "controls", INTERVENTION_PRESETS)
        magnitudes = {cue: getattr(params, field) for cue, field in MAGNITUDE_FIELDS.items()}

        def score_clip(i: int) -> dict[str, tuple[float, str]]:
            explanation, tracks = batch.explanations[i], batch.cue_tracks[i]
            label = batch.model.labels[int(batch.targets[i])]
            plan, reason = cues_to_test(batch.profile, label, explanation, tracks, params.top_cues, params.min_frames)
            if not plan:
                return dict.fromkeys(COLUMNS, (math.nan, reason))
            tested = intervene(
                batch.model, batch.clips[i], explanation, tracks, plan, magnitudes, draws, batch.seed, params.min_frames
            )
            untested = f"not tested: profile {batch.profile.name} sets no direction for it in {label}"
            scored = {cue: (math.nan, untested) for cue in COLUMNS[1:]}
            scored.update({t.cue: (t.effect, t.reason) for t in tested})
            effects = [t.effect for t in tested if not t.reason]
            if effects:
                scored[""] = (sum(effects) / len(effects), "")
            else:
                scored[""] = (math.nan, "; ".join(f"{t.cue}: {t.reason}" for t in tested))
            return scored

        return scores_per_clip(len(batch.explanations), COLUMNS, score_clip)
