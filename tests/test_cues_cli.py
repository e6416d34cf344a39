"""`bsbench cues` on a real file and `bsbench profiles`: what a voice scientist reads first."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest
import soundfile
from typer.testing import CliRunner

from bsbench.cli.app import app
from tests.test_run_chain import bsbench


@pytest.fixture(scope="module")
def spoken(tmp_path_factory) -> str:
    """A sentence from espeak-ng (a Debian package CI installs), else a synthetic vowel-like buzz."""
    path = tmp_path_factory.mktemp("speech") / "sentence.wav"
    if shutil.which("espeak-ng"):
        subprocess.run(["espeak-ng", "-w", str(path), "-v", "en", "Kids are talking by the door."], check=True)
    else:
        t = np.arange(32_000) / 16_000
        f0 = 140 + 20 * np.sin(2 * np.pi * 1.5 * t)
        phase = 2 * np.pi * np.cumsum(f0) / 16_000
        buzz = sum(np.sin(k * phase) / k for k in range(1, 20)) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t) ** 2)
        soundfile.write(path, (0.2 * buzz).astype(np.float32), 16_000)
    return str(path)


def test_cues_summarises_a_file_and_draws_its_tracks(spoken, tmp_path):
    plot = tmp_path / "tracks.png"
    # in-process: pYIN's numba compilation (~25 s) is then paid once per test session, not per command
    done = CliRunner().invoke(app, ["cues", spoken, "--json", "--plot", str(plot)], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    rows = {row["cue"]: row for row in json.loads(done.stdout)}
    assert {"pitch_level", "loudness", "intensity_db", "shrillness"} <= set(rows)
    pitch = rows["pitch_level"]
    assert pitch["voiced_only"] and pitch["frames"] > 20
    assert 18.5 < pitch["mean"] < 60  # 80-880 Hz in semitones re 27.5 Hz
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and plot.stat().st_size > 10_000


def test_cues_errors_name_the_file(tmp_path):
    missing = bsbench("cues", str(tmp_path / "nope.wav"))
    assert missing.returncode == 1 and missing.stderr.strip() == f"error: {tmp_path / 'nope.wav'}: no such file"
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF....WAVEfmt nonsense")
    done = bsbench("cues", str(broken))
    assert done.returncode == 1 and done.stderr.startswith(f"error: {broken}: cannot decode audio")
    silent = tmp_path / "nan.wav"
    soundfile.write(silent, np.full(1600, np.nan, dtype=np.float32), 16_000, subtype="FLOAT")
    done = bsbench("cues", str(silent))
    assert done.returncode == 1 and "not finite" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_profiles_list_and_show_with_citations():
    def invoke(*args: str):
        return CliRunner().invoke(app, list(args), catch_exceptions=False)

    listed = invoke("profiles", "list")
    assert listed.exit_code == 0
    for name in ("consensus", "juslin-laukka-2003", "scherer-2003"):
        assert name in listed.stdout
    shown = invoke("profiles", "show", "consensus")
    assert "Juslin, P. N. & Laukka, P. (2003)" in shown.stdout and "Scherer, K. R. (2003)" in shown.stdout
    cells = json.loads(invoke("profiles", "show", "consensus", "--format", "json").stdout)
    by_cell = {(cell["emotion"], cell["cue"]): cell for cell in cells}
    assert by_cell[("sad", "pitch_level")]["direction"] == "down"
    assert by_cell[("sad", "pitch_level")]["sources"] == "JL, S03"
    assert by_cell[("fear", "loudness")]["direction"].startswith("~")  # JL low, S03 up: never settled
    unknown = bsbench("profiles", "show", "nobody-2020")
    assert unknown.returncode == 2 and "unknown profile 'nobody-2020'" in unknown.stderr
