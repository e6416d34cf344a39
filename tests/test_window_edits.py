"""Edits confined to time windows: the change measured by Praat inside, the samples outside untouched.

The per-cue manipulations are tested in ``test_cue_manipulations.py``; here, the windows and the splice.
"""

from __future__ import annotations

import sys

import numpy as np
import parselmouth
import pytest
import soundfile
from typer.testing import CliRunner

from bsbench.audio.window_edits import FADE_SECONDS, aligned_windows, parse_windows, splice
from bsbench.cli.app import app, main
from bsbench.core.errors import UsageError

RATE = 16_000


def _voice(seconds: float = 2.0) -> np.ndarray:
    """A vowel-like tone: 140 Hz with falling harmonics and a slow vibrato, at a moderate level."""
    t = np.arange(round(seconds * RATE)) / RATE
    f0 = 140 * (1 + 0.02 * np.sin(2 * np.pi * 5 * t))
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    return (0.1 * sum(np.sin(k * phase) / k for k in range(1, 12))).astype(np.float64)


def _intensity(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    intensity = parselmouth.Sound(samples, sampling_frequency=RATE).to_intensity(minimum_pitch=75.0)
    return intensity.xs(), intensity.values[0]


def test_windows_are_read_in_time_order():
    assert parse_windows("1.05-1.20, 0.45-0.60", 2.0).tolist() == [[0.45, 0.60], [1.05, 1.20]]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0.6-0.4", "'0.6-0.4': the window is empty"),
        ("0.5-2.5", "'0.5-2.5': outside the clip \\(0 to 2.000 s\\)"),
        ("0.2-0.6,0.5-0.9", "windows ending at 0.6 s and starting at 0.5 s overlap"),
        ("soon-later", "'soon-later': expected start-end in seconds"),
        ("0.5", "'0.5': expected start-end in seconds"),
        (" , ", "no window given"),
    ],
)
def test_bad_windows_are_one_line(text, message):
    with pytest.raises(UsageError, match=message):
        parse_windows(text, 2.0)


def outside_windows(n_samples: int, windows: np.ndarray) -> np.ndarray:
    """Samples beyond every window, from the windows alone (what a splice must leave untouched)."""
    outside = np.ones(n_samples, dtype=bool)
    for start, end in windows:
        outside[round(start * RATE) : round(end * RATE)] = False
    return outside


def splice_weights(n_samples: int, windows: np.ndarray) -> np.ndarray:
    """How much of a same-length edit a splice takes per sample: an edit of ones spliced into zeros."""
    return splice(np.zeros(n_samples), RATE, windows, np.ones(n_samples))[0]


def raised_cosine(fade: int) -> np.ndarray:
    return 0.5 - 0.5 * np.cos(np.pi * (np.arange(fade) + 0.5) / fade)


def test_weights_are_one_inside_zero_outside_and_fade_within_the_window():
    weights = splice_weights(RATE, np.array([[0.25, 0.5]]))
    fade = round(FADE_SECONDS * RATE)
    assert weights[: round(0.25 * RATE)].max() == 0 and weights[round(0.5 * RATE) :].max() == 0
    assert np.all(weights[round(0.25 * RATE) + fade : round(0.5 * RATE) - fade] == 1)
    assert 0 < weights[round(0.25 * RATE)] < 0.01 and np.all(np.diff(weights[4000 : 4000 + fade]) > 0)


def test_a_gain_inside_the_windows_is_what_praat_measures_and_nothing_else_moves():
    original = _voice()
    windows = np.array([[0.5, 1.0], [1.3, 1.6]])
    edited, placed = splice(original, RATE, windows, original * 10 ** (6 / 20))
    assert np.array_equal(placed, windows) and edited.shape == original.shape
    outside = outside_windows(len(original), windows)
    assert np.array_equal(edited[outside], original[outside])  # bit for bit beyond the windows
    times, before = _intensity(original)
    _, after = _intensity(edited)
    # Praat's intensity window is 3.2 / 75 Hz = 43 ms long: frames at least 40 ms from an edge see only one side
    margin = 0.04
    inside = np.zeros(len(times), dtype=bool)
    for start, end in windows:
        inside |= (times > start + margin) & (times < end - margin)
    far = np.ones(len(times), dtype=bool)
    for start, end in windows:
        far &= (times < start - margin) | (times > end + margin)
    assert abs(np.mean(after[inside] - before[inside]) - 6.0) < 0.2
    assert np.max(np.abs(after[inside] - before[inside] - 6.0)) < 0.2
    assert np.max(np.abs(after[far] - before[far])) < 0.01


def test_an_edit_must_keep_the_length_unless_it_says_where_the_windows_went():
    with pytest.raises(ValueError, match="keep the clip's length"):
        splice(_voice(0.5), RATE, np.array([[0.1, 0.2]]), _voice(0.5)[:-1])


def test_a_splice_refuses_windows_out_of_order():
    with pytest.raises(ValueError, match="in time order and must not overlap"):
        splice(_voice(0.5), RATE, np.array([[0.3, 0.4], [0.1, 0.2]]), _voice(0.5))


def test_a_same_length_splice_takes_the_edit_inside_each_window_with_a_fade_at_either_edge():
    windows = np.array([[0.1, 0.3], [0.3, 0.32], [0.7, 1.0]])  # the first two abut
    weights, fade = splice_weights(RATE, windows), round(FADE_SECONDS * RATE)
    assert np.all(weights[outside_windows(RATE, windows)] == 0)
    for start, end in (1600, 4800), (4800, 5120), (11200, 16000):
        np.testing.assert_allclose(weights[start : start + fade], raised_cosine(fade))
        np.testing.assert_allclose(weights[end - fade : end], raised_cosine(fade)[::-1])
        assert np.all(weights[start + fade : end - fade] == 1)


def test_a_length_changing_splice_keeps_the_original_outside_and_fades_with_it_at_each_edge():
    original = np.arange(RATE, dtype=np.float64)  # every sample tells where it came from
    windows = np.array([[0.2, 0.3], [0.6, 0.7]])
    copy = -np.ones(2 * RATE)
    edited_windows = np.array([[0.25, 0.40], [0.9, 0.95]])  # 160 ms, then 80 ms, in the copy
    edited, placed = splice(original, RATE, windows, copy, edited_windows)
    assert np.allclose(placed, [[0.2, 0.35], [0.65, 0.70]])  # each window moved by what the ones before gained
    assert len(edited) == RATE  # one window gained 50 ms, the other lost 50 ms
    fade = round(FADE_SECONDS * RATE)
    ramp = raised_cosine(fade)
    assert np.array_equal(edited[:3200], original[:3200])
    assert np.array_equal(edited[5600:10400], original[4800:9600])  # between windows: the original, shifted
    assert np.array_equal(edited[11200:], original[11200:])  # after the last window: the original's tail
    assert np.all(edited[3200 + fade : 5600 - fade] == -1)
    # the start fade blends with the samples after the window's start, the end fade with those before its end
    assert np.allclose(edited[3200 : 3200 + fade], (1 - ramp) * original[3200 : 3200 + fade] - ramp)
    assert np.allclose(edited[5600 - fade : 5600], (1 - ramp[::-1]) * original[4800 - fade : 4800] - ramp[::-1])
    assert np.allclose(edited[11200 - fade : 11200], (1 - ramp[::-1]) * original[11200 - fade : 11200] - ramp[::-1])


def test_window_edges_move_to_where_the_copy_continues_the_original_in_phase():
    original = _voice(1.0)
    first, last, early = 4000, 8000, 37  # the copy resumes the original 37 samples before its nominal window end
    copy = np.concatenate([original[:first], np.zeros(6000 - early), original[last:]])
    windows = np.array([[first / RATE, last / RATE]])
    nominal = np.array([[first / RATE, (first + 6000) / RATE]])
    moved = aligned_windows(original, RATE, windows, copy, nominal, max_shift_seconds=0.006)
    assert np.allclose(moved * RATE, [[first, first + 6000 - early]])
    rng = np.random.default_rng(0)
    noise, other_noise = 1e-6 * rng.standard_normal(RATE), rng.standard_normal(20_000)
    silent = aligned_windows(noise, RATE, windows, other_noise, nominal, max_shift_seconds=0.006)
    assert np.array_equal(silent, nominal)  # nothing alike to align on: the nominal cut stays


def _wav(tmp_path, samples=None):
    path = tmp_path / "voice.wav"
    soundfile.write(path, _voice() if samples is None else samples, RATE, subtype="FLOAT")
    return path


def _intervene(source, out, cue: str, change: str, windows: str):
    """``bsbench intervene`` in this process; it must succeed."""
    done = CliRunner().invoke(
        app, ["intervene", str(source), "--cue", cue, "--change", change, "--windows", windows, "-o", str(out)]
    )
    assert done.exit_code == 0, done.output
    return done


def test_bsbench_intervene_writes_the_edited_clip(tmp_path):
    source, out = _wav(tmp_path), tmp_path / "louder.wav"
    done = _intervene(source, out, "intensity_db", "-3", "0.5-1.0")
    assert f"intensity_db -3 dB inside 1 window(s): {out}" in done.output
    edited, rate = soundfile.read(out)
    original, _ = soundfile.read(source)
    assert rate == RATE and edited.shape == original.shape
    weights = splice_weights(len(original), np.array([[0.5, 1.0]]))
    assert np.array_equal(edited[weights == 0], original[weights == 0])
    assert np.allclose(edited[weights == 1], original[weights == 1] * 10 ** (-3 / 20), atol=1e-7)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--cue", "jitter", "--change", "-2", "--windows", "0.5-1.0"], "cannot be manipulated (PSOLA can add"),
        (["--cue", "f0", "--change", "-2", "--windows", "0.5-1.0"], "manipulable cues: pitch_level (st), pitch_var"),
        (["--cue", "pitch_level", "--change", "13", "--windows", "0.5-1.0"], "pitch_level takes -12 to 12 st"),
        (["--cue", "speech_rate", "--change", "nan", "--windows", "0.5-1.0"], "--change nan: must be a finite"),
        (["--cue", "intensity_db", "--change", "3", "--windows", "1.5-2.5"], "outside the clip"),
        (["--cue", "intensity_db", "--change", "3", "--windows", "0.2-0.6,0.5-0.9"], "overlap"),
    ],
)
def test_bsbench_intervene_refuses_bad_input_in_one_line(tmp_path, capsys, monkeypatch, arguments, message):
    out = tmp_path / "o.wav"
    monkeypatch.setattr(sys, "argv", ["bsbench", "intervene", str(_wav(tmp_path)), *arguments, "-o", str(out)])
    with pytest.raises(SystemExit) as ended:
        main()
    printed = capsys.readouterr().err.strip()
    assert ended.value.code == 2 and "\n" not in printed and message in printed and printed.startswith("error: ")
    assert not out.exists()


def test_bsbench_intervene_says_how_long_a_rate_change_made_the_clip(tmp_path):
    source, out = _wav(tmp_path), tmp_path / "slower.wav"
    done = _intervene(source, out, "speech_rate", "-20", "0.5-1.0")
    edited, _ = soundfile.read(out)
    # 0.5 s at 80 % of the rate lasts 0.625 s, to within half a period of the 140 Hz voice (PSOLA keeps whole periods)
    assert abs(len(edited) / RATE - 2.125) < 0.004
    said = f"speech_rate -20 % inside 1 window(s); 2.000 s -> {len(edited) / RATE:.3f} s, windows now 0.500-"
    assert said in done.output


def test_bsbench_intervene_says_when_a_pitch_edit_finds_nothing_voiced(tmp_path, capsys, monkeypatch):
    noise = tmp_path / "noise.wav"
    soundfile.write(noise, 0.05 * np.random.default_rng(0).standard_normal(2 * RATE), RATE)
    out = tmp_path / "o.wav"
    arguments = ["--cue", "pitch_level", "--change", "-2", "--windows", "0.4-0.6", "-o", str(out)]
    for source, warned in ((noise, True), (_wav(tmp_path), False)):
        monkeypatch.setattr(sys, "argv", ["bsbench", "intervene", str(source), *arguments])
        with pytest.raises(SystemExit) as ended:
            main()
        printed = capsys.readouterr().err
        assert ended.value.code in (0, None) and out.is_file()
        line = f"{source}: no voiced frames inside the windows (Praat): pitch_level stays as it was"
        assert (line in printed) == warned, printed
