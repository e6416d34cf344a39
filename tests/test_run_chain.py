"""The whole chain from the command line, and failure isolation inside a run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from bsbench_plugins.cues.librosa_cues import LibrosaCues

from bsbench import hookimpl
from bsbench.core.types import RESULT_COLUMNS
from bsbench.grid.run_config import RunConfig
from bsbench.grid.runner import run_benchmark
from bsbench.registry.loader import load_registry
from tests.conftest import SMALL_CORPUS

SMALL_OPTIONS = [arg for key, value in SMALL_CORPUS.items() for arg in ("--dataset-option", f"{key}={value}")]
#: A quick run: the small corpus, a two-epoch model, seven clips (one per class), CPU, no progress bars.
QUICK_RUN = ["run", *SMALL_OPTIONS, "--epochs", "2", "--limit", "7", "--device", "cpu", "-q"]


def bsbench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bsbench", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "r"
    done = bsbench(
        *QUICK_RUN,
        "--out",
        str(out),
        "-m",
        "crp",
        "-m",
        "random",
        "-m",
        "occlusion:window=16x20,stride=16x20",
    )
    assert done.returncode == 0, done.stderr
    return out


def test_run_writes_manifest_and_long_rows(finished_run):
    manifest = json.loads((finished_run / "manifest.json").read_text())
    assert manifest["dataset"]["name"] == "synthetic" and manifest["dataset"]["clips_scored"] == 7
    assert manifest["dataset"]["split_policy"].startswith("speaker-independent")
    assert manifest["model"]["card"]["labels"][0] == "angry"
    assert [m["label"] for m in manifest["methods"]] == [
        "crp",
        "random",
        "occlusion:stride=16x20,window=16x20",
    ]
    assert manifest["methods"][2]["parameters"]["window"] == [16, 20]
    assert manifest["packages"]["quantus"] == "0.6.0" and manifest["seed"] == 0
    assert manifest["failures"] == []
    rows = pd.read_parquet(finished_run / "results.parquet")
    assert list(rows.columns) == list(RESULT_COLUMNS)
    # 3 methods x 7 clips x (2 faithfulness + cue plausibility + localisation + 8 librosa cue columns)
    assert len(rows) == 3 * 7 * 12
    assert set(rows.metric) == {"faithfulness-correlation", "road", "cue-plausibility", "relevance-mass-accuracy"} | {
        f"cue-salience:{cue}" for cue in LibrosaCues.cues
    }
    # every NaN says why; every number has no reason
    assert (rows.value.isna() == (rows.reason != "")).all()
    metric_records = {m["name"]: m for m in manifest["metrics"]}
    assert len(metric_records["road"]["settings"]["fractions"]) == 9
    assert metric_records["road"]["settings"]["removal"] == "mean"
    assert metric_records["road"]["parameters"]["preset"] == "standard"
    assert metric_records["road"]["model_passes_per_clip"] == 18
    assert set(rows[rows.metric.str.startswith("cue")].cues) == {"librosa"}
    assert set(rows[~rows.metric.str.startswith("cue")].cues) == {""}
    assert sorted(rows.label.unique()) == ["angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"]
    assert (rows.correct == (rows.label == rows.prediction)).all()


def test_explanations_keep_targets_salient_windows_and_concepts(finished_run):
    manifest = json.loads((finished_run / "manifest.json").read_text())
    # model passes per clip: crp one, random none, occlusion two clean passes + 8 x 7 windows of 16 x 20
    assert [m["model_passes_per_clip"] for m in manifest["methods"]] == [1, 0, 2 + 8 * 7]
    records = [json.loads(line) for line in (finished_run / "explanations.jsonl").read_text().splitlines()]
    assert len(records) == 3 * 7
    labels = set(manifest["model"]["card"]["labels"])
    for record in records:
        assert record["target"] in labels
        windows = record["salient_windows"]
        # at most five; fewer when fewer windows hold positive relevance (an occlusion map may hold none)
        assert len(windows) <= 5 and all(0 <= start < end <= 2.01 for start, end in windows)
        assert len(windows) == 5 or record["method"] != "random"
        assert all(end - start == pytest.approx(0.15, abs=0.016) for start, end in windows)
    crp = [r for r in records if r["method"] == "crp"]
    assert all(len(r["details"]["top_concepts"]) == 5 and r["details"]["concept_layer"] == "layer2" for r in crp)
    assert all(r["details"] == {} for r in records if r["method"] != "crp")


def test_methods_lists_cost_and_parameters():
    done = bsbench("methods", "--json")
    assert done.returncode == 0, done.stderr
    rows = {row["name"]: row for row in json.loads(done.stdout)}
    assert rows["occlusion"]["passes_per_clip"] == 2 + 128 * 43
    assert rows["occlusion"]["parameters"] == "window=1x10,stride=1x3,baseline=floor,batch=192"
    assert rows["integrated-gradients"]["cost"] == "gradient" and rows["random"]["passes_per_clip"] == 0
    waveform = {row["name"]: row for row in json.loads(bsbench("methods", "--model", "wav-cnn", "--json").stdout)}
    # 2,400-sample windows every 720 samples over 32,000: ceil(29,600 / 720) + 1 = 43
    assert waveform["occlusion"]["passes_per_clip"] == 2 + 43


def test_leaderboard_reprints_from_files(finished_run):
    done = bsbench("leaderboard", str(finished_run), "--format", "json")
    assert done.returncode == 0, done.stderr
    board = pd.DataFrame(json.loads(done.stdout))
    assert set(board.method) == {"crp", "random", "occlusion:stride=16x20,window=16x20"}
    assert len(board) == 3 * 12 and (board.n[board.metric == "road"] == 7).all()
    ranked = board[board.metric == "faithfulness-correlation"]
    assert sorted(ranked["rank"]) == [1.0, 2.0, 3.0] and ranked["p_first"].sum() == pytest.approx(1.0)
    rows = pd.read_parquet(finished_run / "results.parquet")
    crp_fc = rows[(rows.method == "crp") & (rows.metric == "faithfulness-correlation")].value.mean()
    assert board[(board.method == "crp") & (board.metric == "faithfulness-correlation")][
        "mean"
    ].item() == pytest.approx(crp_fc)
    table = bsbench("leaderboard", str(finished_run)).stdout
    assert "road ↑" in table and "correlation ↑" in table and "° not separable from random" in table
    assert bsbench("leaderboard", str(finished_run), "--format", "markdown").stdout.startswith("| method")


def test_rerun_is_deterministic(finished_run, tmp_path):
    done = bsbench(
        *QUICK_RUN,
        "--out",
        str(tmp_path / "again"),
        "-m",
        "crp",
        "-m",
        "random",
        "--metric",
        "faithfulness-correlation",
        "--no-cache",  # computed afresh, not read back from the first run's pieces
    )
    assert done.returncode == 0, done.stderr
    cached = json.loads((tmp_path / "again" / "manifest.json").read_text())["pieces"]["cached"]
    assert "explanations" not in cached and "scores" not in cached
    first = pd.read_parquet(finished_run / "results.parquet")
    second = pd.read_parquet(tmp_path / "again" / "results.parquet")
    key = ["method", "clip_id"]
    a = (
        first[(first.metric == "faithfulness-correlation") & first.method.isin(["crp", "random"])][[*key, "value"]]
        .sort_values(key)
        .reset_index(drop=True)
    )
    b = second[[*key, "value"]].sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["run", "--method", "crpp"],
            2,
            "error: unknown method 'crpp'; valid names: constant, crp, ",
        ),
        (
            ["run", "--dataset", "tesss"],
            2,
            "error: unknown dataset 'tesss'; valid names: crema-d, emodb, folder",
        ),
        (["run", "-m", "occlusion:size=3"], 2, "error: method occlusion: unknown parameter 'size'"),
        (
            ["run", "--metric", "road:removal=blur"],
            2,
            "error: metric road: removal='blur' is not one of floor, mean, noisy-linear, audio",
        ),
        (["run", "--data-dir", "/nonexistent/tess"], 2, "error: --data-dir /nonexistent/tess: no such directory"),
        (
            ["run", "--dataset", "tess", "--data-dir", "/nonexistent/tess"],
            2,
            "error: --data-dir /nonexistent/tess: no such directory; expected folders such as OAF_angry/",
        ),
        (["run", "--data-dir", "/"], 2, "error: dataset synthetic generates its clips: --data-dir"),
        (["leaderboard", "/nonexistent/run"], 1, "error: run directory /nonexistent/run: no such directory"),
        (
            ["run", "--dataset-option", "speakers=many"],
            2,
            "error: dataset synthetic: parameter speakers='many' is not a valid int",
        ),
    ],
)
def test_bad_input_is_one_line(args, code, message, tmp_path):
    done = bsbench(*args, "--out", str(tmp_path / "x")) if args[0] == "run" else bsbench(*args)
    assert done.returncode == code
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert done.stderr.strip().startswith(message)


def test_debug_shows_traceback():
    done = bsbench("--debug", "leaderboard", "/nonexistent/run")
    assert done.returncode != 0 and "Traceback" in done.stderr


class FlakyCues:
    """A cue extractor that fails on one clip, as a corrupt recording would."""

    name = "flaky"
    description = "Fails on the first angry clip."
    version = "1"
    cues: ClassVar[dict[str, str]] = {"loudness": "a.u."}

    def extract(self, clip):
        from bsbench.core.types import CueTracks

        if clip.label == "angry":
            raise RuntimeError("cannot decode")
        energy = np.array([np.mean(clip.waveform**2)] * 201)
        return CueTracks(clip.clip_id, 0.01, {"loudness": energy}, {"loudness": "a.u."}, np.ones(201, bool))


class FlakyPlugin:
    @hookimpl
    def bsbench_register_cues(self, register):
        register(FlakyCues())


def test_bad_clip_is_recorded_and_run_goes_on(tmp_path, small_model):
    registry = load_registry(extra_plugins={"flaky-test": FlakyPlugin()})
    config = RunConfig(
        dataset_options=SMALL_CORPUS,
        methods=("random",),
        cues="flaky",
        metrics=("cue-salience",),
        limit=7,
        epochs=2,
        device="cpu",
        out=tmp_path / "run",
    )
    result = run_benchmark(config, registry, show_progress=False)
    failures = result.manifest["failures"]
    assert [(f["stage"], f["error"]) for f in failures] == [("cues flaky", "RuntimeError: cannot decode")]
    assert len(result.rows) == 7
    assert result.rows.set_index("label").value.isna().to_dict()["angry"]
    assert json.loads((tmp_path / "run" / "manifest.json").read_text())["failures"] == failures
