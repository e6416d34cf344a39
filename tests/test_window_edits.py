"""Edits confined to time windows: the change measured by Praat inside, the samples outside untouched."""

from __future__ import annotations

import sys

import numpy as np
import parselmouth
import pytest
import soundfile
from typer.testing import CliRunner

from bsbench.audio.window_edits import FADE_SECONDS, edit_inside, gain, parse_windows, window_weights
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


def test_weights_are_one_inside_zero_outside_and_fade_within_the_window():
    weights = window_weights(RATE, RATE, np.array([[0.25, 0.5]]))
    fade = round(FADE_SECONDS * RATE)
    assert weights[: round(0.25 * RATE)].max() == 0 and weights[round(0.5 * RATE) :].max() == 0
    assert np.all(weights[round(0.25 * RATE) + fade : round(0.5 * RATE) - fade] == 1)
    assert 0 < weights[round(0.25 * RATE)] < 0.01 and np.all(np.diff(weights[4000 : 4000 + fade]) > 0)


def test_a_gain_inside_the_windows_is_what_praat_measures_and_nothing_else_moves():
    original = _voice()
    windows = np.array([[0.5, 1.0], [1.3, 1.6]])
    edited = edit_inside(original, RATE, windows, gain(6.0))
    outside = window_weights(len(original), RATE, windows) == 0
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


def test_an_edit_must_keep_the_length():
    with pytest.raises(ValueError, match="keep the clip's length"):
        edit_inside(_voice(0.5), RATE, np.array([[0.1, 0.2]]), lambda samples: samples[:-1])


def _wav(tmp_path, samples=None):
    path = tmp_path / "voice.wav"
    soundfile.write(path, _voice() if samples is None else samples, RATE, subtype="FLOAT")
    return path


def test_bsbench_intervene_writes_the_edited_clip(tmp_path):
    source, out = _wav(tmp_path), tmp_path / "louder.wav"
    done = CliRunner().invoke(
        app,
        ["intervene", str(source), "--cue", "intensity_db", "--change", "-3", "--windows", "0.5-1.0", "-o", str(out)],
    )
    assert done.exit_code == 0, done.output
    edited, rate = soundfile.read(out)
    original, _ = soundfile.read(source)
    assert rate == RATE and edited.shape == original.shape
    weights = window_weights(len(original), RATE, np.array([[0.5, 1.0]]))
    assert np.array_equal(edited[weights == 0], original[weights == 0])
    assert np.allclose(edited[weights == 1], original[weights == 1] * 10 ** (-3 / 20), atol=1e-7)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--cue", "pitch_level", "--change", "-2", "--windows", "0.5-1.0"], "manipulable cues: intensity_db (dB)"),
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
