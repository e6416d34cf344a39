"""How each cue of the vocabulary is changed inside time windows, and why some cannot be.

An intervention test asks: does the model's output move when the cue an explanation names
moves, inside the windows it calls salient, and nothing else does? That needs one edit per
cue that moves that cue by a known amount and leaves the others as they were. Each
:class:`CueManipulation` makes a whole-clip edited copy and lets :func:`bsbench.audio.
window_edits.splice` keep only the windows of it. Pitch and rate go through Praat's PSOLA
(pitch-synchronous overlap-add), which changes F0 or duration while keeping the spectral
envelope, so formants and tilt stay put; level is a plain gain; tilt is a zero-phase high
shelf. The cues that no edit moves cleanly are listed in :data:`NOT_MANIPULABLE` with the
reason, so a refusal can say why instead of offering a change that would also move others.

Names and units here must match :data:`bsbench.interfaces.vocabulary.BUILTIN_CUE_VOCABULARY`
(tested: every vocabulary cue is in exactly one of the two tables). This module cannot import
the vocabulary: the audio stage sits below the interfaces stage.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import parselmouth
from parselmouth.praat import call
from scipy import signal

from bsbench.audio.window_edits import aligned_windows, splice
from bsbench.core.errors import DataError, UsageError

#: Praat's Manipulation settings: 10 ms pitch step, F0 searched between 75 and 600 Hz
#: (the range of adult and child speech, as in Praat's own defaults for manipulation).
PSOLA_TIME_STEP, PITCH_FLOOR, PITCH_CEILING = 0.01, 75.0, 600.0
#: The duration tier returns from a window's rate to 1 over this much time outside the window,
#: so beside each window the copy runs at the original rate, which is where the splice aligns it.
RATE_RAMP_SECONDS = 0.001
#: Corner of the high shelf that tilts the spectrum: the boundary of the alpha ratio's bands.
SHELF_CORNER_HZ = 1000.0

#: A whole-clip edit: (samples, sample rate, windows, change) -> (edited copy, where the windows
#: lie in it, or None when it kept the clip's length and the windows where they were).
Edit = Callable[[np.ndarray, int, np.ndarray, float], tuple[np.ndarray, np.ndarray | None]]


@dataclass(frozen=True)
class CueManipulation:
    """One cue's window-local edit: what ``change`` means, its allowed range, and how it is made."""

    cue: str
    #: Unit of ``change`` as a user types it: "st", "dB", "x" (a factor) or "%".
    unit: str
    #: "add": a signed amount, 0 = no change; "factor": a positive ratio, 1 = no change.
    scale: Literal["add", "factor"]
    #: One sentence on how the change is made (shown in ``--help`` and in manifests).
    how: str
    #: The smallest and largest change :func:`check_change` accepts.
    limits: tuple[float, float]
    edit: Edit = field(repr=False)

    def towards(self, direction: int, magnitude: float) -> float:
        """The change that moves the cue AGAINST ``direction`` (+1 or -1) by ``magnitude``.

        An explanation says a cue is raised (+1) or lowered (-1) for an emotion; the causal test
        undoes that, so an "add" cue gets ``-direction * magnitude`` and a "factor" cue
        ``magnitude ** -direction`` (``magnitude`` > 1: its inverse shrinks, itself grows).
        """
        if direction not in (1, -1):
            raise ValueError(f"direction must be +1 or -1, got {direction!r}")
        if self.scale == "factor":
            if not magnitude > 1:
                raise ValueError(f"{self.cue}: a factor's magnitude must be above 1, got {magnitude!r}")
            return float(magnitude ** (-direction))
        if not magnitude >= 0:
            raise ValueError(f"{self.cue}: the magnitude must be 0 or more, got {magnitude!r}")
        return float(-direction * magnitude)

    def apply(self, samples: np.ndarray, sample_rate: int, windows: np.ndarray, change: float) -> np.ndarray:
        """The clip with the cue changed inside ``windows`` only ((k, 2) seconds, as ``parse_windows`` gives).

        Every sample outside the windows is the input's, bit for bit; only a time-changing edit
        (speech_rate) returns a different length: :meth:`apply_with_windows` says where its windows went.
        """
        return self.apply_with_windows(samples, sample_rate, windows, change)[0]

    def apply_with_windows(
        self, samples: np.ndarray, sample_rate: int, windows: np.ndarray, change: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`apply`'s clip and where the windows lie in it (seconds; the input's windows unless time changed)."""
        check_change(self, change, "change")
        windows = np.asarray(windows, dtype=float).reshape(-1, 2)
        if not len(windows):
            return samples.copy(), windows  # no window, nothing to change (and no Praat run for it)
        edited, edited_windows = self.edit(samples, sample_rate, windows, change)
        return splice(samples, sample_rate, windows, edited, edited_windows)


def check_change(manip: CueManipulation, change: float, option: str = "--change") -> None:
    """Refuse, in one line, a change the manipulation cannot make or that would wreck the sound.

    The limits keep edits in the range where PSOLA and filters still sound like speech (an
    octave of pitch, a factor of 4 in pitch range, half to double the rate, 40 dB of gain).
    """
    low, high = manip.limits
    if not math.isfinite(change):
        raise UsageError(f"{option} {change}: must be a finite number")
    if not low <= change <= high:
        if manip.scale == "factor":
            allowed = f"a factor from {low:g} to {high:g} (1 = no change)"
        else:
            allowed = f"{low:g} to {high:g} {manip.unit} (0 = no change)"
        raise UsageError(f"{option} {change:g}: {manip.cue} takes {allowed}")


def _gain(samples: np.ndarray, sample_rate: int, windows: np.ndarray, change: float) -> tuple[np.ndarray, None]:
    """Every sample times the gain of ``change`` dB: the level moves by exactly that."""
    return samples * 10 ** (change / 20), None


def _high_shelf(gain_db: float, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """RBJ audio-EQ-cookbook high shelf at :data:`SHELF_CORNER_HZ`, slope S = 1 (the steepest without overshoot)."""
    amplitude = 10 ** (gain_db / 40)
    omega = 2 * np.pi * SHELF_CORNER_HZ / sample_rate
    cos = np.cos(omega)
    root = 2 * np.sqrt(amplitude) * np.sin(omega) / 2 * np.sqrt(2)  # 2 sqrt(A) alpha, alpha at S = 1
    plus, minus = amplitude + 1, amplitude - 1
    b = amplitude * np.array([plus + minus * cos + root, -2 * (minus + plus * cos), plus + minus * cos - root])
    a = np.array([plus - minus * cos + root, 2 * (minus - plus * cos), plus - minus * cos - root])
    return b / a[0], a / a[0]


def _tilt(samples: np.ndarray, sample_rate: int, windows: np.ndarray, change: float) -> tuple[np.ndarray, None]:
    """Energy above about 1 kHz raised (or lowered) by ``change`` dB, below it kept.

    ``filtfilt`` runs the shelf forwards and backwards, which squares its magnitude and
    cancels its phase: half the gain per pass gives the full change, and with no phase shift
    the blend at the window fades mixes two signals in step (no comb filtering).
    """
    b, a = _high_shelf(change / 2, sample_rate)
    return signal.filtfilt(b, a, samples), None


#: The last clip's Manipulation, keyed by a digest of its samples and rate (see :func:`_manipulation`).
_last_analysis: dict[tuple[bytes, int], Any] = {}


def _manipulation(samples: np.ndarray, sample_rate: int) -> Any:
    """Praat's Manipulation of the clip (pitch pulses, pitch tier, duration tier), the input to PSOLA.

    A copy of the last clip's analysis when the samples are the same: an intervention test
    makes a dozen PSOLA edits of one clip, and the pitch analysis is most of each edit's cost
    (12 of 14 ms for a pitch shift of a 2 s clip). The analysis depends on the samples alone,
    so a copy gives the same resynthesis bit for bit (tested).
    """
    global _last_analysis
    if len(samples) < 3 / PITCH_FLOOR * sample_rate:
        raise DataError(f"a PSOLA edit needs at least {3000 / PITCH_FLOOR:.0f} ms of audio (three periods at 75 Hz)")
    values = np.asarray(samples, dtype=np.float64)
    key = (hashlib.blake2b(values.tobytes(), digest_size=16).digest(), sample_rate)
    analysis = _last_analysis.get(key)
    if analysis is None:
        sound = parselmouth.Sound(values, sampling_frequency=sample_rate)
        analysis = call(sound, "To Manipulation", PSOLA_TIME_STEP, PITCH_FLOOR, PITCH_CEILING)
        _last_analysis = {key: analysis}
    return analysis.copy()


def voiced_in_windows(samples: np.ndarray, sample_rate: int, windows: np.ndarray) -> bool:
    """Whether Praat finds voicing (its pitch analysis, PSOLA's own range) inside any of ``windows``.

    A pitch edit of a window without voicing changes nothing: the caller can say so rather
    than write a clip that looks edited.
    """
    sound = parselmouth.Sound(np.asarray(samples, dtype=np.float64), sampling_frequency=sample_rate)
    pitch = sound.to_pitch(time_step=PSOLA_TIME_STEP, pitch_floor=PITCH_FLOOR, pitch_ceiling=PITCH_CEILING)
    times, voiced = pitch.xs(), pitch.selected_array["frequency"] > 0
    return any(np.any(voiced & (times >= start) & (times < end)) for start, end in windows)


#: Seed of Praat's random generator during a resynthesis (see :func:`_resynthesis`).
PRAAT_SEED = 20_251_201


def _resynthesis(manipulation: Any) -> np.ndarray:
    """PSOLA's output, the same on every call.

    Praat's overlap-add draws from its process-wide random generator where it stretches or
    shrinks unvoiced stretches (measured: two speech_rate edits of one clip differed by up to
    0.05), so a score would change between calls. The generator is seeded for the call and
    put back to Praat's own unpredictable state afterwards, so nothing else sees a fixed seed.
    """
    parselmouth.praat.run(f"random_initializeWithSeedUnsafelyButPredictably ({PRAAT_SEED})\n")
    try:
        return call(manipulation, "Get resynthesis (overlap-add)").values[0]
    finally:
        parselmouth.praat.run("random_initializeSafelyAndUnpredictably ()\n")


def _retuned(
    samples: np.ndarray, sample_rate: int, windows: np.ndarray, retune: Callable[[Any, np.ndarray], None]
) -> tuple[np.ndarray, None]:
    """PSOLA resynthesis after ``retune`` changed the pitch tier in the windows, cut or padded to the input length."""
    manipulation = _manipulation(samples, sample_rate)
    tier = call(manipulation, "Extract pitch tier")
    retune(tier, windows)
    call([tier, manipulation], "Replace pitch tier")
    edited = _resynthesis(manipulation)[: len(samples)]
    return np.pad(edited, (0, len(samples) - len(edited))), None


def _shift_pitch(samples: np.ndarray, sample_rate: int, windows: np.ndarray, change: float) -> tuple[np.ndarray, None]:
    """F0 raised (or lowered) by ``change`` semitones inside the windows."""

    def shift(tier: Any, spans: np.ndarray) -> None:
        for start, end in spans:
            call(tier, "Shift frequencies", start, end, change, "semitones")

    return _retuned(samples, sample_rate, windows, shift)


def _scale_pitch_range(
    samples: np.ndarray, sample_rate: int, windows: np.ndarray, factor: float
) -> tuple[np.ndarray, None]:
    """F0's excursions around each window's mean (in semitones) multiplied by ``factor``, the mean kept.

    Semitones because pitch variability is an SD of semitones; the mean is that window's own,
    so the window's pitch level does not move with its range.
    """

    def scale(tier: Any, spans: np.ndarray) -> None:
        # Praat formulas on the tier itself: reading and re-adding its points one call at a
        # time cost five times as much (measured, 67 vs 13 ms per clip) for the same samples
        semitones = tier.copy()
        call(semitones, "Formula", "12 * log2(self)")
        for start, end in spans.tolist():
            mean = call(semitones, "Get mean (points)", start, end)
            if not math.isfinite(mean):
                continue  # nothing voiced in this window: no pitch to scale
            centre = 2 ** (mean / 12)
            call(
                tier,
                "Formula",
                f"if x >= {start!r} and x <= {end!r} then {centre!r} * (self / {centre!r}) ^ {float(factor)!r} "
                "else self fi",
            )

    return _retuned(samples, sample_rate, windows, scale)


def _rate_factor(change: float) -> float:
    """+20 % = 20 % faster: each window lasts 1 / 1.2 as long."""
    return 1 / (1 + change / 100)


def _duration_points(windows: np.ndarray, factor: float, duration: float) -> list[tuple[float, float]]:
    """The duration tier: ``factor`` at every window edge, 1 just outside it (or mid-gap when windows nearly touch)."""
    points = [(float(edge), factor) for window in windows for edge in window]
    gaps = zip([0.0, *windows[:, 1]], [*windows[:, 0], duration], strict=True)
    for index, (low, high) in enumerate(gaps):
        if high <= low:
            continue  # abutting windows (or one at a clip end): the rate stays the window's
        if high - low <= 2 * RATE_RAMP_SECONDS:
            points.append(((low + high) / 2, 1.0))
            continue
        if index > 0:
            points.append((low + RATE_RAMP_SECONDS, 1.0))
        if index < len(windows):
            points.append((high - RATE_RAMP_SECONDS, 1.0))
    return points


def _change_rate(
    samples: np.ndarray, sample_rate: int, windows: np.ndarray, change: float
) -> tuple[np.ndarray, np.ndarray]:
    """PSOLA resynthesis with each window ``change`` % faster, and where the windows lie in it.

    Praat's own ``Get target duration`` maps the window edges into the resynthesis; PSOLA keeps
    only whole periods, so each edge is then moved (by under half the longest period) to where
    the copy continues the original in phase, and the windows change length by the nearest
    whole number of periods to the change asked for.
    """
    manipulation = _manipulation(samples, sample_rate)
    duration = len(samples) / sample_rate
    tier = call("Create DurationTier", "rate", 0, duration)
    for time, value in _duration_points(windows, _rate_factor(change), duration):
        call(tier, "Add point", time, value)
    call([manipulation, tier], "Replace duration tier")
    edited = _resynthesis(manipulation)
    nominal = np.array([[call(tier, "Get target duration", 0, edge) for edge in window] for window in windows])
    return edited, aligned_windows(samples, sample_rate, windows, edited, nominal, 0.5 / PITCH_FLOOR)


_LEVEL = "multiplies the samples by the gain of the change in dB"
_TILT = "raises (positive) or lowers the energy above about 1 kHz by the change in dB with a zero-phase high shelf"

#: The cues a window edit can move, in the order ``--help`` lists them (read-only).
MANIPULATIONS: Mapping[str, CueManipulation] = MappingProxyType(
    {
        manip.cue: manip
        for manip in (
            CueManipulation(
                "pitch_level",
                "st",
                "add",
                "shifts F0 by the change in semitones with Praat's PSOLA",
                (-12, 12),
                _shift_pitch,
            ),
            CueManipulation(
                "pitch_variability",
                "x",
                "factor",
                "multiplies F0's excursions around the window's mean (in semitones) by the factor with Praat's PSOLA",
                (0.25, 4),
                _scale_pitch_range,
            ),
            CueManipulation("intensity_db", "dB", "add", _LEVEL, (-40, 40), _gain),
            CueManipulation("loudness", "dB", "add", f"{_LEVEL} (loudness follows the level)", (-40, 40), _gain),
            CueManipulation("shrillness", "dB", "add", f"{_TILT} (a flatter slope)", (-40, 40), _tilt),
            CueManipulation("alpha_ratio", "dB", "add", _TILT, (-40, 40), _tilt),
            CueManipulation(
                "speech_rate",
                "%",
                "add",
                "makes each window faster (positive) or slower by the change in percent with Praat's PSOLA, "
                "so the clip gets shorter or longer",
                (-50, 100),
                _change_rate,
            ),
        )
    }
)

_FORMANT = "one formant cannot be moved without the others and without the voice source in a clean way"

#: The other cues of the vocabulary, each with why no window edit moves it cleanly (read-only).
NOT_MANIPULABLE: Mapping[str, str] = MappingProxyType(
    {
        "pitch_contour": "a terminal rise belongs to a phrase's last syllable, so it needs phrase boundaries, "
        "not windows",
        "jitter": "PSOLA can add period-to-period perturbation but not take away the voice's own, "
        "so it cannot move jitter towards neutral",
        "shimmer": "amplitude perturbation can be added period by period but not taken away from the voice's own, "
        "so it cannot move shimmer towards neutral",
        "hnr": "noise can be added to lower it but not removed to raise it, and resynthesis adds noise of its own",
        "hammarberg_index": "no filter moves its two spectral peaks apart without moving shrillness and alpha_ratio "
        "as well",
        "spectral_flux": "frame-to-frame spectral change follows the sounds, their rate and pitch movement; "
        "no edit moves it alone",
        "f1": _FORMANT,
        "f2": _FORMANT,
        "f3": _FORMANT,
    }
)


def manipulation(cue: str, option: str = "--cue") -> CueManipulation:
    """The manipulation of ``cue``, or one line saying why it has none and which cues have one."""
    if cue in MANIPULATIONS:
        return MANIPULATIONS[cue]
    reason = f" ({NOT_MANIPULABLE[cue]})" if cue in NOT_MANIPULABLE else ""
    choices = ", ".join(f"{name} ({manip.unit})" for name, manip in MANIPULATIONS.items())
    raise UsageError(f"{option} {cue!r}: cannot be manipulated{reason}; manipulable cues: {choices}")
