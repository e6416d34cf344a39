"""Leaderboards of merged runs in every format, figures, the HTML report (in headless Chromium), and explain."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from bsbench.contracts.context import CheckContext
from bsbench.explain.clip import explain_clip
from bsbench.grid.run_config import RunConfig
from bsbench.grid.runner import plan_methods, run_benchmark
from bsbench.models.store import MODEL_FILE, model_folder
from bsbench.registry.loader import load_registry
from bsbench.report.figures.clip import clip_figure
from bsbench.report.html import build_report
from bsbench.results.example_store import read_examples
from bsbench.results.leaderboard import aggregate, render
from tests.conftest import SMALL_CORPUS

QUICK = RunConfig(dataset_options=SMALL_CORPUS, epochs=2, limit=14, device="cpu", metric_preset="quick")


def bsbench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bsbench", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def runs(registry, tmp_path_factory) -> tuple[Path, Path]:
    """Two runs on the same model: crp and random, then saliency; both with cue and faithfulness metrics."""
    root = tmp_path_factory.mktemp("runs")
    first = run_benchmark(replace(QUICK, methods=("crp", "random"), out=root / "a"), registry, show_progress=False)
    second = run_benchmark(replace(QUICK, methods=("saliency",), out=root / "b"), registry, show_progress=False)
    return first.run_dir, second.run_dir


def test_merged_runs_rank_every_method_and_bold_the_best(runs):
    done = bsbench("leaderboard", *map(str, runs), "--format", "markdown")
    assert done.returncode == 0, done.stderr
    table, _, notes = done.stdout.partition("\n\n")
    lines = table.splitlines()
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    body = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]
    assert [row[header.index("method")] for row in body] == ["crp", "random", "saliency"]
    ranks = sorted(row[header.index("rank")].split()[0] for row in body)
    assert ranks == ["1", "2", "3"]
    bolded = 0
    for column in (c for c in header if c.endswith(("↑", "↓"))):
        values = [row[header.index(column)] for row in body]
        bold = [v for v in values if v.startswith("**")]
        means = [float(v.strip("*°†").split()[0].strip("°†")) for v in values if v != "n/a"]
        best = max(means) if column.endswith("↑") else min(means)
        assert len(bold) <= 1 and all(float(v.strip("*").split()[0].strip("°†")) == best for v in bold), column
        bolded += len(bold)
    assert bolded >= 1 and "bold: best: beats the runner-up" in notes


def test_the_same_scores_twice_are_refused(runs):
    done = bsbench("leaderboard", str(runs[0]), str(runs[0]))
    assert done.returncode == 1
    assert "both score method crp" in done.stderr and "merge runs that add datasets, models or methods" in done.stderr


def test_latex_is_a_booktabs_table_that_compiles(runs, tmp_path):
    done = bsbench("leaderboard", *map(str, runs), "--format", "latex", "--metrics", "road,faithfulness-correlation")
    assert done.returncode == 0, done.stderr
    table = done.stdout
    assert table.count(r"\toprule") == table.count(r"\midrule") == table.count(r"\bottomrule") == 1
    assert r"road $\uparrow$" in table and r"\textbf{" in table and r"$^{\circ}$ not separable" in table
    assert "cue-salience" not in table and "faithfulness-correlation" in table
    rows = table.split(r"\midrule")[1].split(r"\bottomrule")[0].strip().splitlines()
    assert rows and all(line.endswith(r"\\") for line in rows)
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed (Debian texlive-latex-recommended; .ci/run installs it)")
    document = tmp_path / "table.tex"
    document.write_text(
        "\\documentclass{article}\n\\usepackage{booktabs}\n\\usepackage[margin=5mm,landscape]{geometry}\n"
        f"\\begin{{document}}\n{table}\n\\end{{document}}\n"
    )
    compiled = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", document.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert compiled.returncode == 0, compiled.stdout[-2000:]
    assert (tmp_path / "table.pdf").read_bytes().startswith(b"%PDF")


def test_html_and_latex_escape_what_comes_from_data():
    rows = pd.DataFrame(
        {
            "dataset": ["d&d"] * 4,
            "model": ["m_1"] * 4,
            "method": ["<script>alert(1)</script>"] * 2 + ["50%"] * 2,
            "metric": ["faithfulness-correlation"] * 4,
            "clip_id": ["a", "b"] * 2,
            "value": [0.1, 0.3, 0.2, 0.4],
        }
    )
    board = aggregate(rows, {"faithfulness-correlation": True})
    page = render(board, "html")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "d&amp;d" in page
    assert "<strong>0.300 [" in page  # the best mean (50%: 0.3) is marked
    latex = render(board, "latex")
    assert r"d\&d" in latex and r"m\_1" in latex and r"50\%" in latex


def test_breakdowns_by_speaker_and_dataset_and_metric_choice(runs):
    by_speaker = bsbench("leaderboard", str(runs[0]), "--by", "speaker", "--format", "json")
    records = json.loads(by_speaker.stdout)
    speakers = {r["subset"] for r in records}
    assert speakers and all(speaker.startswith("spk") for speaker in speakers)
    by_dataset = json.loads(bsbench("leaderboard", *map(str, runs), "--by", "dataset", "--format", "json").stdout)
    assert {r["subset"] for r in by_dataset} == {"synthetic"} and "dataset" not in by_dataset[0]
    table = bsbench("leaderboard", *map(str, runs), "--by", "dataset")
    assert table.returncode == 0 and "synthetic / resnet-small: test accuracy" in table.stdout, table.stderr
    unknown = bsbench("leaderboard", str(runs[0]), "--metrics", "pixel-flip")
    assert unknown.returncode == 2 and "--metrics 'pixel-flip' is not a result of these runs" in unknown.stderr


def test_figures_are_written_as_png_and_pdf(runs, tmp_path):
    done = bsbench("figures", str(runs[0]), "-o", str(tmp_path))
    assert done.returncode == 0, done.stderr
    names = {path.name for path in tmp_path.iterdir()}
    assert {"metrics.png", "metrics.pdf", "cue-profiles.png", "cue-profiles.pdf"} <= names
    examples = [name for name in names if name.startswith("example-") and name.endswith(".png")]
    assert len(examples) == len(read_examples(runs[0])) >= 2
    assert all((tmp_path / name).stat().st_size > 20_000 for name in names if name.endswith(".png"))
    assert (tmp_path / "metrics.pdf").read_bytes().startswith(b"%PDF")


def test_runs_keep_a_correct_and_a_wrong_example_per_method(runs):
    examples = read_examples(runs[0])
    by_method = {}
    for example in examples:
        by_method.setdefault(example.method, []).append(example.correct)
    assert set(by_method) == {"crp", "random"}
    assert all(outcomes[0] is True for outcomes in by_method.values())
    assert all(len(outcomes) <= 2 and outcomes[1:] in ([], [False]) for outcomes in by_method.values())
    manifest = json.loads((runs[0] / "manifest.json").read_text())
    assert {example.profile for example in examples} == {manifest["cue_profile"]} == {"consensus"}
    crp = examples[0]
    assert crp.relevance.shape == crp.features.shape == crp.grid.shape
    assert crp.findings and all(f.sentence(crp.prediction, crp.profile) for f in crp.findings)
    # each example moved its profile cues towards neutral, or says why it could not; read back as written
    for example in examples:
        assert bool(example.interventions) != bool(example.interventions_note), example.clip_id
        for tested in example.interventions:
            assert 0 <= tested.p_original <= 1 and len(tested.p_controls) in (0, 4)
            assert f"inside {example.method}'s salient windows" in tested.sentence(
                example.prediction, example.method
            ) or (tested.reason)


def test_report_is_self_contained_escaped_html(runs, tmp_path):
    done = bsbench("report", str(runs[0]), "-o", str(tmp_path / "report.html"))
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "report.html").read_text()
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "report.html").stat().st_mode & 0o777 == 0o666 & ~umask  # shareable, not private 0600
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page and "http" not in page.split("<body>")[1]
    assert page.count('<img alt="') >= 4 and page.count("data:image/png;base64,") == page.count("<img")
    assert page.count('<table class="leaderboard">') == 3 and "<h2>By emotion</h2>" in page
    assert "<h2>Cues in the salient windows</h2>" in page and "not separable from random" in page
    assert "crp: clip " in page and "profile consensus expects" in page
    assert "Cue interventions (each cue moved towards neutral)" in page or "No cue intervention: " in page


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HEADLESS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian package chromium; .ci/run installs it)")
def test_report_loads_in_headless_chromium_without_console_errors(runs, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(build_report(runs[0], load_registry()), encoding="utf-8")
    profile = ["--user-data-dir=" + str(tmp_path / "profile")]
    shot = tmp_path / "shot.png"
    logged = subprocess.run(
        [CHROMIUM, *HEADLESS, *profile, "--enable-logging=stderr", "--v=0", "--window-size=1400,1800",
         f"--screenshot={shot}", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert shot.is_file(), logged.stderr[-2000:]
    console = [line for line in logged.stderr.splitlines() if "CONSOLE" in line]
    assert not console, console
    dom = subprocess.run(
        [CHROMIUM, *HEADLESS, *profile, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120
    ).stdout
    assert dom.count("<table") >= 3 and "leaderboard" in dom
    from PIL import Image

    image = np.asarray(Image.open(shot).convert("L"), dtype=float)
    top = image[: image.shape[0] // 2]
    assert top.std() > 20  # the heading and the leaderboard table are drawn, not a blank page
    dark_rows = (top < 128).any(axis=1).sum()
    assert dark_rows > 100  # many lines of text: the table's rows


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian package chromium; .ci/run installs it)")
def test_report_audio_players_decode_in_headless_chromium_with_the_clips_duration(runs, tmp_path):
    page = build_report(runs[0], load_registry())
    sources = re.findall(r'<audio controls preload="metadata" src="(data:audio/wav;base64,[A-Za-z0-9+/=]+)">', page)
    examples = read_examples(runs[0])
    assert len(sources) == 3 * len(examples) >= 6  # original, masked in, masked out for every example
    # the report has no script; a test page loads its sources and logs what Chromium decoded
    probe = tmp_path / "probe.html"
    probe.write_text(
        "<!DOCTYPE html><html><body><script>"
        f"const sources = {json.dumps(sources)};"
        "sources.forEach((src, i) => { const a = new Audio(); a.preload = 'auto';"
        " a.onloadedmetadata = () => console.log('decoded ' + i + ' ' + a.duration.toFixed(3));"
        " a.onerror = () => console.log('failed ' + i); a.src = src; });"
        "</script></body></html>"
    )
    logged = subprocess.run(
        [CHROMIUM, *HEADLESS, "--user-data-dir=" + str(tmp_path / "profile"), "--enable-logging=stderr", "--v=0",
         "--autoplay-policy=no-user-gesture-required", "--virtual-time-budget=10000", "--dump-dom", probe.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    decoded = dict(re.findall(r"decoded (\d+) ([0-9.]+)", logged.stderr))
    failed = re.findall(r"failed (\d+)", logged.stderr)
    assert not failed and len(decoded) == len(sources), [
        line for line in logged.stderr.splitlines() if "CONSOLE" in line
    ]
    seconds = [len(e.listening.original) / e.listening.sample_rate for e in examples for _ in range(3)]
    for index, duration in decoded.items():
        assert abs(float(duration) - seconds[int(index)]) < 0.01, (index, duration)


def write_clip_wav(small_corpus, folder: Path) -> Path:
    clip = next(c for c in small_corpus.split("test") if c.label == "angry")
    path = folder / "angry clip.wav"
    sf.write(path, clip.waveform, clip.sample_rate)
    return path


def test_explain_prints_prediction_windows_and_cue_findings(small_model, small_corpus, registry, tmp_path):
    checkpoint = model_folder(small_model.plugin, small_corpus, 0, replace(small_model.plugin.training, epochs=2))
    audio = write_clip_wav(small_corpus, tmp_path)
    common = ["explain", str(audio), "--checkpoint", str(checkpoint / MODEL_FILE), "--method", "gradcam"]
    done = bsbench(*common, "--device", "cpu", "-o", str(tmp_path / "why.png"))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"{audio}: ") and "(p = " in lines[0]
    assert lines[1].startswith("gradcam: salient windows ") and " s" in lines[1]
    assert any("inside the salient windows is" in line and "profile consensus" in line for line in lines[2:])
    assert (tmp_path / "why.png").stat().st_size > 20_000 and (tmp_path / "why.pdf").is_file()
    found = json.loads(bsbench(*common, "--device", "cpu", "--json").stdout)
    assert abs(sum(found["probabilities"].values()) - 1) < 1e-3 and found["correct"] is None
    assert all(0 <= start < end <= 2.01 for start, end in found["salient_windows_s"])
    tested = found["interventions"]
    assert tested or found["interventions_note"]
    assert all(
        t["sentence"].startswith(("lowering ", "raising ", "compressing ", "expanding ", "slowing ")) for t in tested
    )
    if tested:
        assert any("inside gradcam's salient windows" in line for line in lines[2:])
    else:
        assert f"no cue intervention: {found['interventions_note']}" in lines
    verdicts = {f["verdict"] for f in found["findings"]}
    heard = bsbench(*common, "--device", "cpu", "--listen", str(tmp_path / "heard"))
    assert heard.returncode == 0, heard.stderr
    written = sorted(path.name for path in (tmp_path / "heard").iterdir())
    assert written == [f"angry clip.{part}.wav" for part in ("masked-in", "masked-out", "original")]
    original, rate = sf.read(tmp_path / "heard" / "angry clip.original.wav")
    assert rate == 16_000 and sf.read(tmp_path / "heard" / "angry clip.masked-in.wav")[0].shape == original.shape
    on_a_file = bsbench(*common, "--listen", str(audio))
    assert on_a_file.returncode == 2 and on_a_file.stderr.strip() == f"error: --listen {audio}: is a file, not a folder"
    assert verdicts <= {"plausible", "implausible", "no evidence", "no expectation", "not measurable"}


def test_explain_refuses_a_file_that_is_not_audio(tmp_path):
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    done = bsbench("explain", str(bad), "--checkpoint", str(bad))
    assert done.returncode == 1 and done.stderr.startswith(f"error: {bad}: cannot decode audio")
    assert len(done.stderr.strip().splitlines()) == 1


def test_clip_figure_draws_a_waveform_model_over_time(registry, small_corpus):
    """A waveform model's map has no frequency axis: the top panel is relevance over time, same windows."""
    model = CheckContext(registry=registry, model_plugin="wav-cnn").model()
    clip = small_corpus.split("test")[0]
    [planned] = plan_methods(registry, ["saliency"])
    example = explain_clip(model, clip, planned, registry.get("cues", "librosa"), registry.get("profile", "consensus"))
    figure = clip_figure(example)
    top, wave, cues = figure.axes[:3]
    assert top.get_ylabel() == "relevance" and len(top.lines[0].get_xdata()) == model.frontend.grid.n_frames
    assert len(top.patches) == len(wave.patches) == len(example.windows) > 0  # the windows, shaded on both
    assert [label.get_text().split()[0] for label in cues.get_yticklabels()] == [f.cue for f in example.findings]
