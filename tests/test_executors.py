"""Executors: the same grid gives the same rows in one process, a process pool and a Dask LocalCluster."""

from __future__ import annotations

import pandas as pd
import pytest

from bsbench.core.errors import UsageError
from bsbench.grid.cluster_config import load_slurm_settings, slurm_cluster, torch_threads
from bsbench.grid.executors import run_jobs, threads_per_worker
from bsbench.grid.runner import RunConfig, run_benchmark
from tests.conftest import SMALL_CORPUS

GRID = dict(
    dataset_options=SMALL_CORPUS,
    methods=("saliency", "smoothgrad", "random"),
    metrics=("faithfulness-correlation", "cue-salience"),
    metric_preset="quick",
    limit=14,
    batch_size=4,
    epochs=2,
    device="cpu",
    use_cache=False,  # every executor computes every piece itself
)


@pytest.fixture(scope="module")
def serial_rows(registry, tmp_path_factory):
    result = run_benchmark(RunConfig(**GRID, out=tmp_path_factory.mktemp("serial")), registry, show_progress=False)
    return result.rows.drop(columns="run_id")


@pytest.mark.parametrize(("executor", "workers"), [("local", 2), ("dask", 2)])
def test_every_executor_gives_the_serial_rows(registry, tmp_path, serial_rows, executor, workers):
    config = RunConfig(**GRID, executor=executor, workers=workers, out=tmp_path / "run")
    result = run_benchmark(config, registry, show_progress=False)
    rows = result.rows.drop(columns="run_id")
    # Same rows in the same order; values equal to float rounding: torch's CPU kernels sum in an order
    # that depends on the thread count, and a worker runs with cores/N threads (seen: 1.5e-7 on one value).
    pd.testing.assert_frame_equal(rows.drop(columns="value"), serial_rows.drop(columns="value"))
    pd.testing.assert_series_equal(rows["value"], serial_rows["value"], check_exact=False, rtol=1e-5, atol=1e-6)
    computed = result.manifest["pieces"]["computed"]
    assert (computed["explanations"], computed["scores"]) == (12, 24)


def test_threads_are_shared_out():
    assert threads_per_worker(1) >= 1 and threads_per_worker(10_000) == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"executor": "pbs"}, "--executor 'pbs': choose one of local, dask, slurm"),
        ({"executor": "slurm"}, "--cluster-config: needed by --executor slurm, and only by it"),
        ({"workers": 0}, "--workers 0: must be at least 1"),
        ({"scheduler": "tcp://127.0.0.1:1"}, "--scheduler: only meaningful with --executor dask"),
    ],
)
def test_bad_executor_options_are_one_line(options, message):
    with pytest.raises(UsageError, match=message):
        run_jobs(None, [], **options)


SLURM = """
[slurm]
queue = "short"
account = "voice-lab"
cores = 4
processes = 2
memory = "16GB"
walltime = "01:00:00"
"""


def test_a_slurm_cluster_asks_for_what_the_config_says(tmp_path):
    path = tmp_path / "hpc.toml"
    path.write_text(SLURM)
    settings = load_slurm_settings(path)
    assert settings["queue"] == "short" and torch_threads(settings) == 2
    cluster = slurm_cluster(settings)  # builds the job script; nothing is submitted until it is scaled
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    for line in ("#SBATCH -p short", "#SBATCH -A voice-lab", "#SBATCH --cpus-per-task=4", "#SBATCH -t 01:00:00"):
        assert line in script
    assert "--nworkers 2" in script or "--nprocs 2" in script


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[slurm]\ncores = 4\nmemory = "8GB"\njob_extra_directives = ["--gres=gpu:1"]', "writes lines into the job"),
        ('[slurm]\ncores = 4\nmemory = "8GB"\npython = "rm -rf /"', "key 'python' writes lines into the job script"),
        ('[slurm]\ncores = "four"\nmemory = "8GB"', "key 'cores' must be a int, got 'four'"),
        ('[slurm]\ncores = 0\nmemory = "8GB"', "key 'cores' must be at least 1"),
        ('[slurm]\ncores = 4\nmemory = "8GB"\nqueeu = "x"', "unknown key 'queeu' in \\[slurm\\]"),
        ("[slurm]\ncores = 4", "\\[slurm\\] needs memory"),
        ("[other]\nx = 1", "needs a \\[slurm\\] table"),
        ("[slurm\n", "not valid TOML"),
    ],
)
def test_bad_cluster_configs_are_one_line(tmp_path, text, message):
    path = tmp_path / "hpc.toml"
    path.write_text(text)
    with pytest.raises(UsageError, match=message):
        load_slurm_settings(path)
