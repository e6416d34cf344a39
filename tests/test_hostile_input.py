"""Hostile or odd input: one clear line and a non-zero exit code, never a traceback; names shown verbatim but safely.

Commands run in-process through ``bsbench.cli.app.main`` (the console entry point, with its
one-line error printer), so an exception that escapes it fails the test with its traceback.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bsbench.cli import app as cli
from bsbench.cli.terminal_text import safe_for_terminal
from bsbench.core.option_checks import MAX_SEED
from bsbench.grid.run_config import RunConfig
from bsbench.grid.runner import run_benchmark
from bsbench.registry.loader import Registry
from bsbench.results.store import MANIFEST, RESULTS

#: A clip name matplotlib would read as mathtext ($5_$ is a subscript) and fail on.
DOLLARS = "cost_$5_$10"
#: Speakers whose names rich would render as bold text and an emoji.
SPEAKERS = tuple(f":smile: [bold]s{number}[/bold]" for number in range(5))
#: A listed file that does not exist, with an escape sequence and a bell in its name.
ESCAPED = "gone\x1b[31m\x07.wav"
RATE = 16_000


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


def bsbench(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: object) -> Outcome:
    """Run the console entry point with ``args``; its exit code and what it printed."""
    monkeypatch.setattr(sys, "argv", ["bsbench", *map(str, args)])
    with pytest.raises(SystemExit) as ended:
        cli.main()
    printed = capsys.readouterr()
    return Outcome(ended.value.code or 0, printed.out, printed.err)


def one_line_error(outcome: Outcome, code: int, *parts: str) -> str:
    """The single stderr line of a refused command, checked for its exit code and the ``parts`` it must name."""
    assert outcome.code == code, outcome
    assert "Traceback" not in outcome.err + outcome.out
    [line] = outcome.err.splitlines()
    for part in parts:
        assert part in line, line
    return line


@pytest.fixture(scope="module")
def folder_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A labelled folder whose clips are named with ``$`` and whose speakers' names hold markup and an emoji code."""
    root = tmp_path_factory.mktemp("hostile-folder")
    times = np.arange(RATE) / RATE
    rows = ["path,label,speaker"]
    for index in range(30):
        label, speaker = ("angry", "happy", "sad")[index % 3], SPEAKERS[index % 5]
        tone = (0.1 + 0.1 * (index % 3)) * np.sin(2 * np.pi * (120 + 60 * (index % 3) + index) * times)
        name = f"{DOLLARS}_{index:02d}.wav"
        sf.write(root / name, tone.astype(np.float32), RATE)
        rows.append(f"{name},{label},{speaker}")
    rows.append(f"{ESCAPED},sad,{SPEAKERS[0]}")
    (root / "labels.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def hostile_run(folder_data: Path, registry: Registry, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small run on that folder: its kept examples carry the ``$`` clip ids into every figure."""
    config = RunConfig(
        dataset="folder",
        data_dir=folder_data,
        methods=("gradcam", "random"),
        metrics=("cue-salience",),
        epochs=2,
        limit=6,
        device="cpu",
        metric_preset="quick",
        out=tmp_path_factory.mktemp("hostile-run") / "run",
    )
    return run_benchmark(config, registry, show_progress=False).run_dir


def _first_clip(run_dir: Path) -> Path:
    """A recording of the run's folder dataset, to explain on its own."""
    config = json.loads((run_dir / MANIFEST).read_text())["config"]
    return next(Path(config["data_dir"]).glob("*.wav"))


def test_dollar_signs_in_a_file_name_are_drawn_literally_by_explain(capsys, monkeypatch, hostile_run, tmp_path):
    audio = tmp_path / f"{DOLLARS}.wav"
    shutil.copy(_first_clip(hostile_run), audio)
    checkpoint = json.loads((hostile_run / MANIFEST).read_text())["model"]["card"]["checkpoint"]
    args = ["explain", audio, "--checkpoint", checkpoint, "--method", "gradcam", "--device", "cpu"]
    done = bsbench(capsys, monkeypatch, *args, "-o", tmp_path / "why.png")
    assert done.code == 0, done.err
    assert done.out.startswith(f"{audio}: ")
    assert (tmp_path / "why.png").stat().st_size > 10_000 and (tmp_path / "why.pdf").is_file()


def test_report_and_figures_draw_clip_ids_with_dollar_signs(capsys, monkeypatch, hostile_run, tmp_path):
    done = bsbench(capsys, monkeypatch, "report", hostile_run, "-o", tmp_path / "report.html")
    assert done.code == 0, done.err
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert f"clip {DOLLARS}_" in page and page.count("data:image/png;base64,") >= 3
    done = bsbench(capsys, monkeypatch, "figures", hostile_run, "-o", tmp_path / "figures")
    assert done.code == 0, done.err
    assert any(DOLLARS in path.name for path in (tmp_path / "figures").glob("example-*.png"))


def test_json_output_keeps_markup_and_emoji_codes_verbatim(capsys, monkeypatch, folder_data):
    done = bsbench(capsys, monkeypatch, "data", "info", "--dataset", "folder", "--data-dir", folder_data, "--json")
    assert done.code == 0, done.err
    summary = json.loads(done.out)
    assert set(SPEAKERS) <= set(summary["by_speaker"])
    assert ESCAPED in [skip["path"] for skip in summary["skipped"]]


def test_human_output_shows_names_escaped_and_uninterpreted(capsys, monkeypatch, folder_data):
    done = bsbench(capsys, monkeypatch, "data", "info", "--dataset", "folder", "--data-dir", folder_data)
    assert done.code == 0, done.err
    assert all(speaker in done.out for speaker in SPEAKERS)  # no bold, no emoji
    assert "\x1b" not in done.out and "\x07" not in done.out
    assert "gone\\x1b[31m\\x07.wav: labels.csv line 32: file not found" in done.out


def test_an_error_line_shows_a_name_escaped(capsys, monkeypatch, tmp_path):
    missing = tmp_path / "a\x1b]0;owned\x07\nb [red]c[/red] :boom:.wav"
    line = one_line_error(bsbench(capsys, monkeypatch, "explain", missing), 1, "no such file")
    assert "\x1b" not in line and "\x07" not in line
    assert line == f"error: {tmp_path}/a\\x1b]0;owned\\x07\\nb [red]c[/red] :boom:.wav: no such file"


def test_safe_for_terminal_escapes_what_draws_nothing_and_keeps_the_rest():
    text = "é 😀 👩\u200d💻 tab\tline\nDEL\x7f C1\x85 RLO\u202e bytes\udcff CR\r"
    assert safe_for_terminal(text) == "é 😀 👩\u200d💻 tab\tline\nDEL\\x7f C1\\x85 RLO\\u202e bytes\\udcff CR\\r"
    assert safe_for_terminal("a\nb", one_line=True) == "a\\nb"


WRONG_MANIFESTS = {
    "a list": ([1, 2], "the top level must be an object, not an array"),
    "a number": (5, "the top level must be an object, not a number"),
    "metrics a number": ({"metrics": 5}, "key 'metrics' must be an array, not a number"),
    "a metric without a direction": ({"metrics": [{"name": "x"}]}, "key 'metrics[0].higher_is_better'"),
    "test scores as text": (
        {"model": {"name": "m", "card": {"test": {"accuracy": "high", "unweighted_average_recall": 0.5}}}},
        "key 'model.card.test.accuracy' must be a number, not a string",
    ),
}


@pytest.mark.parametrize("case", WRONG_MANIFESTS)
def test_a_manifest_of_the_wrong_shape_is_one_line_naming_the_key(capsys, monkeypatch, hostile_run, tmp_path, case):
    manifest, reason = WRONG_MANIFESTS[case]
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    shutil.copy(hostile_run / RESULTS, run_dir / RESULTS)
    (run_dir / MANIFEST).write_text(json.dumps(manifest))
    for command in (["leaderboard", run_dir], ["report", run_dir, "-o", tmp_path / "r.html"]):
        one_line_error(bsbench(capsys, monkeypatch, *command), 1, str(run_dir / MANIFEST), reason)


def test_a_deeply_nested_manifest_is_one_line(capsys, monkeypatch, hostile_run, tmp_path):
    shutil.copy(hostile_run / RESULTS, tmp_path / RESULTS)
    (tmp_path / MANIFEST).write_text('{"metrics": ' + "[" * 3000 + "]" * 3000 + "}")
    one_line_error(bsbench(capsys, monkeypatch, "leaderboard", tmp_path), 1, str(tmp_path / MANIFEST), "nested")


def test_a_deeply_nested_suite_is_one_line_naming_the_file(capsys, monkeypatch, tmp_path):
    suite = tmp_path / "deep.toml"
    suite.write_text("methods = " + "[" * 3000 + "]" * 3000 + "\n")
    done = bsbench(capsys, monkeypatch, "run", "--suite", suite, "--dry-run")
    one_line_error(done, 2, str(suite), "nested too deeply")


def test_a_suite_seed_outside_the_range_is_refused(capsys, monkeypatch, tmp_path):
    suite = tmp_path / "big-seed.toml"
    suite.write_text(f"seed = {2**40}\n")
    done = bsbench(capsys, monkeypatch, "run", "--suite", suite, "--dry-run")
    one_line_error(done, 2, str(suite), "key 'seed'", f"0 to {MAX_SEED}")


SEEDED_COMMANDS = {
    "run": ["run", "--dry-run"],
    "validate": ["validate"],
    "explain": ["explain", "clip.wav"],
    "train": ["train"],
    "data info": ["data", "info"],
    "data export": ["data", "export", "--out", "clips"],
    "data cue-accuracy": ["data", "cue-accuracy"],
}


@pytest.mark.parametrize("seed", [2**63, -1])
@pytest.mark.parametrize("command", SEEDED_COMMANDS)
def test_a_seed_outside_the_range_is_refused_at_parsing(capsys, monkeypatch, command, seed):
    done = bsbench(capsys, monkeypatch, *SEEDED_COMMANDS[command], f"--seed={seed}")
    one_line_error(done, 2, f"--seed {seed}", f"0 to {MAX_SEED}")


def test_output_paths_that_cannot_be_written_are_refused_before_any_work(capsys, monkeypatch, tmp_path):
    a_file, a_folder = tmp_path / "notes.txt", tmp_path / "folder"
    a_file.write_text("not a folder")
    a_folder.mkdir()
    refused = [
        (["run", "--out", a_file], "--out", "is a file, not a folder"),
        (["report", tmp_path / "no-run", "-o", a_folder], "--output", "is a folder, not a file"),
        (["explain", tmp_path / "no.wav", "-o", a_file / "out.png"], "--output", f"{a_file} is a file"),
        (["leaderboard", tmp_path / "no-run", "-o", a_folder], "--output", "is a folder, not a file"),
        (["figures", tmp_path / "no-run", "-o", a_file], "--output", "is a file, not a folder"),
    ]
    for args, option, reason in refused:
        one_line_error(bsbench(capsys, monkeypatch, *args), 2, option, reason)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["folder", "notes.txt"]  # nothing was started


def test_an_unexpected_exception_is_one_line_and_exit_70(capsys, monkeypatch):
    def broken() -> list:
        raise RuntimeError("the cache index\nis not what it seems")

    monkeypatch.setattr("bsbench.cli.cache.cache_summary", broken)
    line = one_line_error(bsbench(capsys, monkeypatch, "cache", "info"), 70)
    assert line == (
        "bsbench: internal error: RuntimeError: the cache index is not what it seems "
        "(a bug in bsbench or a plugin; rerun with --debug for the traceback)"
    )
    monkeypatch.setattr(sys, "argv", ["bsbench", "--debug", "cache", "info"])
    with pytest.raises(RuntimeError, match="the cache index"):
        cli.main()


@pytest.mark.parametrize("examples", ['{"a": 1}', "[1, 2]", '[{"grid": 5}]', "[" * 3000 + "]" * 3000])
def test_kept_examples_of_the_wrong_shape_are_one_line(capsys, monkeypatch, hostile_run, tmp_path, examples):
    run_dir = tmp_path / "run"
    shutil.copytree(hostile_run, run_dir)
    assert (run_dir / "examples.json").is_file()
    (run_dir / "examples.json").write_text(examples)
    done = bsbench(capsys, monkeypatch, "report", run_dir, "-o", tmp_path / "r.html")
    one_line_error(done, 1, "example explanations cannot be read")
