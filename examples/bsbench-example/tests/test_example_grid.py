"""The example package installed next to bsbench: listed by ``bsbench plugins`` and run in a grid."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

EXAMPLE_PLUGINS = {
    ("dataset", "hum"),
    ("model", "tiny-cnn"),
    ("method", "deconvolution"),
    ("cues", "energy"),
    ("metric", "top-decile-share"),
    ("profile", "arousal-basics"),
}


def bsbench(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bsbench", *arguments], capture_output=True, text=True, check=False)


def test_bsbench_plugins_lists_one_plugin_of_each_kind_from_the_package():
    listed = json.loads(bsbench("plugins", "--json").stdout)
    ours = {(item["kind"], item["name"]) for item in listed if item["package"] == "bsbench-example"}
    assert ours == EXAMPLE_PLUGINS


def test_a_grid_runs_with_every_example_plugin(tmp_path: Path):
    done = bsbench(
        "run", "--dataset", "hum", "--model", "tiny-cnn", "--method", "deconvolution", "--method", "saliency",
        "--cues", "energy", "--metric", "top-decile-share", "--metric", "cue-plausibility:profile=arousal-basics",
        "--metric", "pixel-flipping", "--metric-preset", "quick", "--out", str(tmp_path), "--quiet",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = pd.read_parquet(tmp_path / "results.parquet")
    assert set(rows["method"]) == {"deconvolution", "saliency"}
    assert set(rows["metric"]) == {"top-decile-share", "cue-plausibility", "pixel-flipping"}
    share = rows[rows["metric"] == "top-decile-share"]["value"]
    assert len(share) == 2 * 16 and share.between(0.1, 1.0).all()  # 16 test clips of the one test speaker
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["model"]["card"]["test"]["unweighted_average_recall"] > 0.5  # chance is 0.25
