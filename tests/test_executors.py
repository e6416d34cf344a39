"""Executors: the same grid gives the same rows in one process, a process pool and a Dask LocalCluster."""

from __future__ import annotations

import pandas as pd
import pytest

from bsbench.errors import UsageError
from bsbench.executors import run_jobs, threads_per_worker
from bsbench.runner import RunConfig, run_benchmark
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
        ({"executor": "slurm"}, "--executor 'slurm': choose one of local, dask"),
        ({"workers": 0}, "--workers 0: must be at least 1"),
        ({"scheduler": "tcp://127.0.0.1:1"}, "--scheduler: only meaningful with --executor dask"),
    ],
)
def test_bad_executor_options_are_one_line(options, message):
    with pytest.raises(UsageError, match=message):
        run_jobs(None, [], **options)
