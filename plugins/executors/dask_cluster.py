"""``dask``: the jobs on a Dask cluster, a running one (``scheduler=ADDRESS``) or a LocalCluster.

Dask is optional (``pip install bsbench[dask]``). Without ``scheduler``, a LocalCluster of
``--workers`` single-threaded worker processes starts on the loopback interface, each worker
given ``cores // workers`` torch threads; a remote cluster's operator sets its workers' threads.
The shared spec is broadcast to the workers once. :func:`run_on_dask` is shared with ``slurm``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from bsbench.plugin import UsageError, threads_per_worker


@dataclass(frozen=True)
class DaskParameters:
    #: A running scheduler's address (tcp://host:8786); empty starts a LocalCluster on this machine.
    scheduler: str = ""


def dask_distributed(executor: str) -> Any:
    """The ``dask.distributed`` module, or one line saying how to install it."""
    try:
        import dask.distributed
    except ImportError:
        raise UsageError(f"--executor {executor}: Dask is not installed (pip install 'bsbench[dask]')") from None
    return dask.distributed


class DaskExecutor:
    name = "dask"
    description = "A Dask cluster: --executor-option scheduler=tcp://host:8786, or a LocalCluster of --workers."
    version = "1.0.0"
    parameters = DaskParameters

    def check(self, params: DaskParameters, workers: int) -> None:
        dask_distributed(self.name)

    def run(
        self, work: Callable[[Any, Any], Any], shared: Any, jobs: Sequence[Any], workers: int, params: DaskParameters
    ) -> Iterator[Any]:
        distributed = dask_distributed(self.name)
        if params.scheduler:
            yield from run_on_dask(distributed.Client(params.scheduler), None, None, work, shared, jobs)
            return
        cluster = distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
        )
        yield from run_on_dask(distributed.Client(cluster), cluster, threads_per_worker(workers), work, shared, jobs)


def run_on_dask(
    client: Any,
    cluster: Any,
    threads: int | None,
    work: Callable[[Any, Any], Any],
    shared: Any,
    jobs: Sequence[Any],
) -> Iterator[Any]:
    """Every job through ``client``, yielded as each finishes; closes the client and the cluster it owns."""
    from dask.distributed import as_completed

    try:
        scattered = client.scatter(shared, broadcast=True)
        futures = [client.submit(_with_threads, work, scattered, job, threads, pure=False) for job in jobs]
        yield from (future.result() for future in as_completed(futures))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _with_threads(work: Callable[[Any, Any], Any], shared: Any, job: Any, threads: int | None) -> Any:
    if threads is not None:
        torch.set_num_threads(threads)
    return work(shared, job)
