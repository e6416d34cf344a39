"""A run killed with SIGKILL and repeated gives the uninterrupted run's results, whatever the cache held."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from benchmarks.speed.kill_resume import kill_trials, result_values
from bsbench.core.errors import ResultsError
from bsbench.grid.run_config import RunConfig
from bsbench.grid.runner import run_benchmark
from bsbench.registry.loader import load_registry
from bsbench.results.store import read_run
from tests.conftest import SMALL_CORPUS


def test_two_kills_at_random_points_leave_results_equal_to_an_uninterrupted_run(tmp_path, isolated_cache, small_model):
    trials = kill_trials(tmp_path, kills=2, clips=7, seed=3, warm=isolated_cache)
    assert [t["exit"] for t in trials] == [0, 0]
    assert any(t["killed"] for t in trials), trials
    assert [t["differ"] for t in trials] == [0, 0], trials
    assert len(result_values(tmp_path / "reference")) > 0


def test_a_new_configuration_claims_the_folder_before_rewriting_its_manifest(tmp_path, monkeypatch, small_model):
    out = tmp_path / "run"
    registry = load_registry()
    first = RunConfig(
        dataset_options=SMALL_CORPUS,
        methods=("energy",),
        metrics=("relevance-mass-accuracy",),
        limit=7,
        epochs=2,
        device="cpu",
        out=out,
    )
    run_benchmark(first, registry, show_progress=False)
    assert (out / "results.parquet").is_file() and (out / "explanations.jsonl").is_file()
    # rows under another run's manifest (a folder written by an older bsbench, or by hand) are refused
    manifest = json.loads((out / "manifest.json").read_text())
    (out / "manifest.json").write_text(json.dumps({**manifest, "run_id": "another-run"}))
    with pytest.raises(ResultsError, match="under the manifest of run another-run"):
        read_run(out)
    (out / "manifest.json").write_text(json.dumps(manifest))

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # as a kill right after the new manifest was written

    monkeypatch.setattr("bsbench.grid.runner.predict_clips", killed)
    with pytest.raises(KeyboardInterrupt):
        run_benchmark(replace(first, methods=("random",)), registry, show_progress=False)
    manifest = json.loads((out / "manifest.json").read_text())
    assert [m["label"] for m in manifest["methods"]] == ["random"]
    assert not (out / "results.parquet").exists() and not (out / "explanations.jsonl").exists()
