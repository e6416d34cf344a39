"""Executors: the same grid gives the same rows in one process, a process pool and a Dask LocalCluster."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
from bsbench_plugins.executors.slurm import load_slurm_settings, slurm_cluster, torch_threads

from bsbench.contracts.catalogue import checks_for
from bsbench.contracts.context import CheckContext
from bsbench.contracts.contract import run_check
from bsbench.core.errors import UsageError
from bsbench.core.parameters import NoParameters
from bsbench.grid.executors import plan_executor, threads_per_worker
from bsbench.grid.run_config import RunConfig
from bsbench.grid.runner import run_benchmark
from bsbench.interfaces.hookspecs import hookimpl
from bsbench.registry.loader import load_registry
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
    ("executor", "options", "workers", "message"),
    [
        ("pbs", {}, 1, "unknown executor 'pbs'; valid names: dask, local, slurm"),
        ("slurm", {}, 1, "--executor slurm: needs --executor-option cluster_config=FILE"),
        ("slurm", {"cluster_config": "/nowhere/hpc.toml"}, 1, "cluster_config=/nowhere/hpc.toml: no such file"),
        ("local", {}, 0, "--workers 0: must be at least 1"),
        ("local", {"scheduler": "tcp://127.0.0.1:1"}, 1, "--executor local: unknown parameter 'scheduler'"),
        (
            "dask",
            {"cluster_config": "x"},
            1,
            "unknown parameter 'cluster_config'; valid parameters: scheduler",
        ),
    ],
)
def test_bad_executor_options_are_one_line(registry, executor, options, workers, message):
    with pytest.raises(UsageError, match=message):
        plan_executor(registry.get("executor", executor), options, workers)


def test_a_run_refuses_bad_executor_options_before_any_work(registry, tmp_path, monkeypatch):
    def no_training(*_, **__):
        raise AssertionError("trained before the executor's options were checked")

    monkeypatch.setattr("bsbench.grid.runner.trained_model", no_training)
    config = RunConfig(**GRID, executor="slurm", out=tmp_path / "run")
    with pytest.raises(UsageError, match="needs --executor-option cluster_config"):
        run_benchmark(config, registry, show_progress=False)


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


class _ReversedExecutor:
    """Runs the jobs in reverse order in this process: a valid executor (the runner orders results)."""

    name = "reversed"
    description = "Every job in this process, last first."
    version = "0.1.0"
    parameters = NoParameters

    def check(self, params, workers):
        pass

    def run(self, work, shared, jobs, workers, params):
        yield from (work(shared, job) for job in reversed(jobs))


class _LosingExecutor(_ReversedExecutor):
    """Drops the last job: the contract must catch it."""

    name = "losing"

    def run(self, work, shared, jobs, workers, params):
        yield from (work(shared, job) for job in jobs[:-1])


class _SeedingExecutor(_ReversedExecutor):
    """Explains with another seed than the grid's: the random method's maps change, which the contract sees."""

    name = "reseeding"

    def run(self, work, shared, jobs, workers, params):
        yield from (work(replace(shared, seed=shared.seed + 1), job) for job in jobs)


@pytest.mark.parametrize(
    ("plugin", "failure"),
    [
        (_ReversedExecutor(), None),
        (_LosingExecutor(), "expected each of the 6 jobs once"),
        (_SeedingExecutor(), "expected the serial map of"),
    ],
    ids=lambda value: getattr(value, "name", value),
)
def test_the_executor_contract_compares_with_the_serial_grid(registry, plugin, failure):
    context = CheckContext(registry=registry)
    result = run_check(checks_for("executor")[-1], plugin, context, {})
    assert result.status == ("pass" if failure is None else "fail"), result.detail
    if failure is not None:
        assert failure in result.detail


def test_a_third_party_executor_runs_a_grid(registry, tmp_path, serial_rows):
    extended = load_registry(extra_plugins={"reversed-executor": _ReversedPackage()})
    config = RunConfig(**GRID, executor="reversed", out=tmp_path / "run")
    rows = run_benchmark(config, extended, show_progress=False).rows.drop(columns="run_id")
    pd.testing.assert_frame_equal(rows, serial_rows)


class _ReversedPackage:
    @hookimpl
    def bsbench_register_executors(self, register):
        register(_ReversedExecutor())
