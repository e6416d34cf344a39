"""``bsbench run --suite paper`` with the paper's two published checkpoints, on TESS and CREMA-D trees of spoken clips.

The trees have the corpora's real folder layout and file names, and espeak-ng speech in
every file (:mod:`tests.spoken_trees`); the checkpoints are read from ``../shared/fixtures``.
Occlusion runs with a coarse window here to keep the suite fast; the paper's 1x10 window
is the suite's own and is what ``README.md`` runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import FIXTURES
from tests.spoken_trees import have_espeak, spoken_crema_d, spoken_tess

TESS_CHECKPOINT = FIXTURES / "best_model_tess.pth"
CREMA_CHECKPOINT = FIXTURES / "best_model_crema.pth"
CLIPS = 8
#: The reference code's output order, which resnet-small assumes for a checkpoint without a card.
PAPER_LABELS = ("fear", "neutral", "happy", "angry", "disgust", "surprise", "sad")

pytestmark = [
    pytest.mark.skipif(
        not (TESS_CHECKPOINT.is_file() and CREMA_CHECKPOINT.is_file()),
        reason="the paper's checkpoints are not in ../shared/fixtures/paper-checkpoints",
    ),
    pytest.mark.skipif(not have_espeak(), reason="espeak-ng is not installed (apt-get install espeak-ng)"),
]


def _bsbench(*arguments: str, data: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **({"BSBENCH_DATA": str(data)} if data else {})}
    return subprocess.run([sys.executable, "-m", "bsbench", *arguments], capture_output=True, text=True, env=env)


@pytest.fixture(scope="module")
def paper_run(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    data = tmp_path_factory.mktemp("corpora")
    spoken_tess(data / "tess", words=("back", "bar", "base"))
    spoken_crema_d(data / "crema-d")
    out = tmp_path_factory.mktemp("paper")
    done = _bsbench(
        "run", "--suite", "paper",
        "--checkpoint", f"tess={TESS_CHECKPOINT}", "--checkpoint", f"crema-d={CREMA_CHECKPOINT}",
        "-m", "occlusion:window=16x10,stride=16x10", "-m", "crp", "-m", "gradcam",
        "--metric-preset", "quick", "--limit", str(CLIPS), "--out", str(out), "-q",
        data=data,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return out, done


def _manifest(out: Path, dataset: str) -> dict:
    return json.loads((out / dataset / "manifest.json").read_text())


def test_the_paper_suite_explains_each_corpus_with_its_own_checkpoint(paper_run):
    out, done = paper_run
    for dataset, checkpoint in (("tess", TESS_CHECKPOINT), ("crema-d", CREMA_CHECKPOINT)):
        manifest = _manifest(out, dataset)
        assert manifest["config"]["checkpoint"] == str(checkpoint) and manifest["dataset"]["split"] == "all"
        assert manifest["model"]["card"]["labels"] == list(PAPER_LABELS)
        assert manifest["cues"]["name"] == "egemaps"
        assert manifest["dataset"]["parameters"]["length_policy"] == "reference"
        measured = manifest["model"]["measured"]
        assert measured["clips"] == CLIPS and 0 <= measured["accuracy"] <= 1
        rows = pd.read_parquet(out / dataset / "results.parquet")
        assert set(rows["metric"]) >= {"faithfulness-correlation", "pixel-flipping", "cue-plausibility"}
        per_clip = rows.drop_duplicates("clip_id")
        assert measured["accuracy"] == pytest.approx(per_clip["correct"].mean())
        line = (
            f"model resnet-small (checkpoint {checkpoint.name}): accuracy {measured['accuracy']:.3f}, "
            f"UAR {measured['unweighted_average_recall']:.3f} measured on the {CLIPS} explained clips"
        )
        assert line in done.stdout
    for dataset in ("tess", "crema-d"):  # said before the work starts, not after
        header = f"{dataset}: explaining every clip (--checkpoint: bsbench did not train this model here"
        assert done.stdout.index(header) < done.stdout.index(f"checkpoint best_model_{dataset.split('-')[0]}.pth")
    # CREMA-D has no surprise: the 7-class model's surprise output is said to have no counterpart
    assert _manifest(out, "crema-d")["model"]["measured"]["outputs_without_counterpart"] == ["surprise"]
    assert "output surprise is no label of crema-d: a prediction of one counts as a mistake" in done.stdout
    assert _manifest(out, "tess")["model"]["measured"]["outputs_without_counterpart"] == []


def test_the_leaderboard_footer_gives_each_checkpoints_measured_accuracy(paper_run):
    out, _ = paper_run
    done = _bsbench("leaderboard", str(out / "tess"), str(out / "crema-d"))
    assert done.returncode == 0, done.stderr
    for dataset in ("tess", "crema-d"):
        measured = _manifest(out, dataset)["model"]["measured"]
        assert (
            f"{dataset} / resnet-small: accuracy {measured['accuracy']:.3f}, UAR "
            f"{measured['unweighted_average_recall']:.3f} measured on the {CLIPS} explained clips (not a held-out test)"
        ) in done.stdout


def test_by_correct_splits_the_rows_of_each_checkpoint(paper_run):
    out, _ = paper_run
    done = _bsbench("leaderboard", str(out / "tess"), str(out / "crema-d"), "--by", "correct", "--format", "json")
    assert done.returncode == 0, done.stderr
    board = pd.DataFrame(json.loads(done.stdout))
    for dataset in ("tess", "crema-d"):
        rows = pd.read_parquet(out / dataset / "results.parquet")
        per_clip = rows.drop_duplicates("clip_id")
        assert (per_clip["correct"] == (per_clip["prediction"] == per_clip["label"])).all()
        expected = {"correct": int(per_clip["correct"].sum()), "misclassified": int((~per_clip["correct"]).sum())}
        mine = board[(board["dataset"] == dataset) & (board["metric"] == "pixel-flipping") & (board["method"] == "crp")]
        assert dict(zip(mine["subset"], mine["n"], strict=True)) == {k: v for k, v in expected.items() if v}
