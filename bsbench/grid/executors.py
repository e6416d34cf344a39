"""Where the jobs of a grid run: in this process, in a local process pool, or on a Dask cluster.

Every executor runs the same :func:`bsbench.grid.work.execute` on the same
:class:`GridSpec`, and the runner orders the outcomes by job, so results are the same
whatever the executor (tested). Each worker gets the spec once (a pool initializer, or
one broadcast to the Dask workers) and ``cores // workers`` torch threads, so N workers
do not oversubscribe the machine's cores.

Dask is optional (``pip install bsbench[dask]``): ``--executor dask`` connects to
``--scheduler ADDRESS`` when given, else starts a LocalCluster of ``--workers``
single-threaded worker processes on the loopback interface. ``--executor slurm``
submits ``--workers`` SLURM jobs through dask-jobqueue, described by the ``[slurm]``
table of ``--cluster-config`` (see :mod:`bsbench.grid.cluster_config`).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import torch

from bsbench.core.errors import UsageError
from bsbench.grid.cluster_config import load_slurm_settings, slurm_cluster, torch_threads
from bsbench.grid.work import GridSpec, Job, JobOutcome, execute

EXECUTORS = ("local", "dask", "slurm")

_worker_spec: GridSpec | None = None


def threads_per_worker(workers: int) -> int:
    """Torch threads for each of ``workers`` processes: the cores shared out, at least one."""
    return max(1, (os.cpu_count() or 1) // max(1, workers))


def run_jobs(
    spec: GridSpec,
    jobs: Sequence[Job],
    *,
    executor: str = "local",
    workers: int = 1,
    scheduler: str | None = None,
    cluster_config: Path | None = None,
    on_done: Callable[[JobOutcome], None] = lambda _: None,
) -> dict[Job, JobOutcome]:
    """Run every job and return its outcome by job; ``on_done`` sees each outcome as it arrives."""
    check_executor(executor, workers, scheduler, cluster_config)
    if executor != "local":
        client, cluster, threads = _dask_client(executor, workers, scheduler, cluster_config)
        return _run_on_dask(client, cluster, threads, spec, jobs, on_done)
    if workers == 1:
        return _collect((execute(spec, job) for job in jobs), on_done)
    return _run_in_pool(spec, jobs, workers, on_done)


def _collect(arriving: Iterable[JobOutcome], on_done: Callable[[JobOutcome], None]) -> dict[Job, JobOutcome]:
    """Outcomes by job, in whatever order they arrive, each shown to ``on_done`` as it comes."""
    outcomes = {}
    for outcome in arriving:
        outcomes[outcome.job] = outcome
        on_done(outcome)
    return outcomes


def check_executor(executor: str, workers: int, scheduler: str | None, cluster_config: Path | None) -> None:
    """Refuse executor options that cannot work, before any piece of a run is computed."""
    if executor not in EXECUTORS:
        raise UsageError(f"--executor {executor!r}: choose one of {', '.join(EXECUTORS)}")
    if workers < 1:
        raise UsageError(f"--workers {workers}: must be at least 1")
    if scheduler is not None and executor != "dask":
        raise UsageError("--scheduler: only meaningful with --executor dask")
    if (cluster_config is None) != (executor != "slurm"):
        raise UsageError("--cluster-config: needed by --executor slurm, and only by it")
    if cluster_config is not None:
        load_slurm_settings(cluster_config)


def _run_in_pool(
    spec: GridSpec, jobs: Sequence[Job], workers: int, on_done: Callable[[JobOutcome], None]
) -> dict[Job, JobOutcome]:
    # spawn, not fork: the parent has started torch's OpenMP threads, which a forked child can deadlock on
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_receive_spec,
        initargs=(spec, threads_per_worker(workers)),
    ) as pool:
        futures = [pool.submit(_execute_received, job) for job in jobs]
        return _collect((future.result() for future in as_completed(futures)), on_done)


def _receive_spec(spec: GridSpec, threads: int) -> None:
    global _worker_spec
    _worker_spec = spec
    torch.set_num_threads(threads)


def _execute_received(job: Job) -> JobOutcome:
    assert _worker_spec is not None  # set by the pool initializer
    return execute(_worker_spec, job)


def _execute_with_threads(spec: GridSpec, job: Job, threads: int | None) -> JobOutcome:
    if threads is not None:
        torch.set_num_threads(threads)
    return execute(spec, job)


def _dask_client(
    executor: str, workers: int, scheduler: str | None, cluster_config: Path | None
) -> tuple[Any, Any, int | None]:
    """A Dask client, the cluster it owns (None for a scheduler someone else runs), torch threads per worker."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise UsageError(f"--executor {executor}: Dask is not installed (pip install 'bsbench[dask]')") from None
    if executor == "slurm":
        assert cluster_config is not None  # checked by run_jobs
        settings = load_slurm_settings(cluster_config)
        cluster = slurm_cluster(settings)
        cluster.scale(jobs=workers)
        return Client(cluster), cluster, torch_threads(settings)
    if scheduler is not None:
        # None: a remote cluster, whose operator set its workers' threads
        return Client(scheduler), None, None
    cluster = LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    )
    return Client(cluster), cluster, threads_per_worker(workers)


def _run_on_dask(
    client: Any,
    cluster: Any,
    threads: int | None,
    spec: GridSpec,
    jobs: Sequence[Job],
    on_done: Callable[[JobOutcome], None],
) -> dict[Job, JobOutcome]:
    from dask.distributed import as_completed as dask_completed

    try:
        shared = client.scatter(spec, broadcast=True)
        futures = [client.submit(_execute_with_threads, shared, job, threads, pure=False) for job in jobs]
        return _collect((future.result() for future in dask_completed(futures)), on_done)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
