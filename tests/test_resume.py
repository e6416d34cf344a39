"""Pieces computed once: resume after SIGKILL, adding a method, damaged pieces, --dry-run, failure exit codes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from bsbench.cli.app import app
from bsbench.core.parameters import NoParameters
from bsbench.grid.piece_cache import PieceCache
from bsbench.grid.run_config import RunConfig
from bsbench.grid.runner import plan_run, run_benchmark
from bsbench.interfaces.hookspecs import hookimpl
from bsbench.registry.loader import load_registry
from tests.conftest import SMALL_CORPUS

SMALL_OPTIONS = [arg for key, value in SMALL_CORPUS.items() for arg in ("--dataset-option", f"{key}={value}")]
#: Fourteen clips in batches of two: seven explanation pieces per method, so a kill lands mid-run.
RUN = [
    "run",
    *SMALL_OPTIONS,
    "--epochs",
    "2",
    "--limit",
    "14",
    "--batch-size",
    "2",
    "--metric-preset",
    "quick",
    "--device",
    "cpu",
    "-q",
]
METHODS = ["-m", "saliency", "-m", "random", "--metric", "faithfulness-correlation", "--metric", "cue-salience"]


def results(run_dir: Path) -> pd.DataFrame:
    return pd.read_parquet(run_dir / "results.parquet")


def pieces(run_dir: Path) -> dict:
    return json.loads((run_dir / "manifest.json").read_text())["pieces"]


def test_a_killed_run_resumes_to_the_uninterrupted_results(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("BSBENCH_CACHE", str(cache))
    cli = CliRunner()
    plan = cli.invoke(app, [*RUN, *METHODS, "--dry-run"])  # nothing trained yet: a plan only
    assert plan.exit_code == 0 and "model: to train" in plan.stdout and "explanations: 14 to compute" in plan.stdout
    assert cli.invoke(app, ["train", *SMALL_OPTIONS, "--epochs", "2", "--device", "cpu"]).exit_code == 0

    out = tmp_path / "killed"
    process = subprocess.Popen(
        [sys.executable, "-m", "bsbench", *RUN, *METHODS, "--out", str(out)],
        env={**os.environ, "BSBENCH_CACHE": str(cache)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    score_folder = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        score_folder = next((cache / "pieces").glob("*/scores"), None) if (cache / "pieces").exists() else None
        if score_folder is not None and len(list(score_folder.glob("*.npz"))) >= 3:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert score_folder is not None
    finished_before = len(list(score_folder.glob("*.npz")))  # temp files end in .tmp: never counted or read
    assert 3 <= finished_before < 28, "the kill must land mid-run"

    resumed = cli.invoke(app, [*RUN, *METHODS, "--out", str(out)])
    assert resumed.exit_code == 0, resumed.output
    counts = pieces(out)
    assert counts["cached"]["scores"] == finished_before  # every piece finished before the kill, nothing else
    assert counts["computed"].get("scores", 0) == 28 - finished_before

    uninterrupted = tmp_path / "clean"
    done = cli.invoke(app, [*RUN, *METHODS, "--out", str(uninterrupted), "--no-cache"])
    assert done.exit_code == 0, done.output
    resumed_rows = results(out)
    pd.testing.assert_frame_equal(resumed_rows.drop(columns="run_id"), results(uninterrupted).drop(columns="run_id"))

    # the same command once more: everything from the cache, the same rows and the same run id
    again = cli.invoke(app, [*RUN, *METHODS, "--out", str(out)])
    assert again.exit_code == 0 and pieces(out)["computed"] == {}
    pd.testing.assert_frame_equal(results(out), resumed_rows)


def test_adding_a_method_computes_only_its_pieces(tmp_path, monkeypatch, registry):
    monkeypatch.setenv("BSBENCH_CACHE", str(tmp_path / "cache"))  # nothing from other tests' runs
    grid = RunConfig(
        dataset_options=SMALL_CORPUS,
        methods=("saliency", "random"),
        metrics=("faithfulness-correlation", "cue-salience"),
        metric_preset="quick",
        limit=14,
        batch_size=2,
        epochs=2,
        device="cpu",
    )
    first = run_benchmark(replace(grid, out=tmp_path / "a"), registry, show_progress=False)
    assert first.manifest["pieces"]["computed"] == {"cue tracks": 14, "explanations": 14, "scores": 28}
    bigger = replace(grid, methods=("saliency", "random", "gradcam"))
    assert plan_run(bigger, registry)["pieces"] == {
        "cue tracks": {"cached": 14, "to_compute": 0},
        "explanations": {"cached": 14, "to_compute": 7},
        "scores": {"cached": 28, "to_compute": 14},
    }
    second = run_benchmark(replace(bigger, out=tmp_path / "b"), registry, show_progress=False)
    # cue tracks: one extraction per clip in the first run, none when a method is added
    assert second.manifest["pieces"] == {
        "computed": {"explanations": 7, "scores": 14},
        "cached": {"cue tracks": 14, "explanations": 14, "scores": 28},
    }
    shared = second.rows[second.rows.method != "gradcam"].drop(columns="run_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(shared, first.rows.drop(columns="run_id"))


def test_a_damaged_piece_is_recomputed(tmp_path):
    store = PieceCache("m", root=tmp_path)
    store.store_scores("k", [("", np.array([1.0, np.nan]), ["", "why"])])
    assert store.load_scores("k")[0][2] == ("", "why")
    path = tmp_path / "pieces" / "m" / "scores" / "k.npz"
    path.write_bytes(path.read_bytes()[:40])
    assert store.load_scores("k") is None
    store.store_explanation("e", np.ones((2, 3, 4)), [{"concepts": [1, 2]}, {}])
    relevance, details = store.load_explanation("e")
    assert relevance.shape == (2, 3, 4) and details == [{"concepts": [1, 2]}, {}]
    assert PieceCache("m", root=tmp_path, enabled=False).load_explanation("e") is None


class _FailsOnAngry:
    """A method that raises on every batch holding an angry clip: a plugin bug on some inputs."""

    name, description, version, cost, parameters = (
        "fails-on-angry",
        "Raises on angry clips.",
        "1",
        "baseline",
        NoParameters,
    )

    def explain(self, model, inputs, targets, params, seed):
        if any(model.labels[int(t)] == "angry" for t in targets):
            raise RuntimeError("cannot explain this clip")
        return np.ones((len(inputs), *inputs.shape[2:]), dtype=np.float32)


class _FailingPlugin:
    @hookimpl
    def bsbench_register_methods(self, register):
        register(_FailsOnAngry())


@pytest.mark.parametrize(("keep_going", "code"), [(False, 1), (True, 0)])
def test_failed_pieces_set_the_exit_code_unless_keep_going(tmp_path, monkeypatch, keep_going, code):
    monkeypatch.setattr(
        "bsbench.cli.shared.registry", lambda: load_registry(extra_plugins={"failing": _FailingPlugin()})
    )
    args = [*RUN, "-m", "fails-on-angry", "-m", "random", "--metric", "sparseness", "--out", str(tmp_path / "r")]
    done = CliRunner().invoke(app, [*args, *(["--keep-going"] if keep_going else [])])
    assert done.exit_code == code, done.output
    failures = json.loads((tmp_path / "r" / "manifest.json").read_text())["failures"]
    assert failures and {f["stage"] for f in failures} == {"method fails-on-angry"}
    assert f"{len(failures)} failed pieces ({len(failures)} x method fails-on-angry)" in done.stderr
    rows = results(tmp_path / "r")
    assert rows[rows.method == "random"].value.notna().all()  # the other method's cells are all there
