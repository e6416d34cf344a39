"""``local``: the jobs in this process, or in a pool of ``--workers`` processes on this machine.

A pool's workers are spawned, not forked (the parent has started torch's OpenMP threads, which a
forked child can deadlock on); each receives the shared spec once, through the pool initializer,
and ``cores // workers`` torch threads, so N workers do not oversubscribe the machine's cores.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

import torch

from bsbench.plugin import NoParameters, threads_per_worker

_worker: tuple[Callable[[Any, Any], Any], Any] | None = None


class LocalExecutor:
    name = "local"
    description = "This machine: the jobs in this process, or in a pool of --workers spawned processes."
    version = "1.0.0"
    parameters = NoParameters

    def check(self, params: NoParameters, workers: int) -> None:
        """Nothing to check: any worker count of at least one (checked by the runner) works here."""

    def run(
        self, work: Callable[[Any, Any], Any], shared: Any, jobs: Sequence[Any], workers: int, params: NoParameters
    ) -> Iterator[Any]:
        if workers == 1:
            yield from (work(shared, job) for job in jobs)
            return
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_receive,
            initargs=(work, shared, threads_per_worker(workers)),
        ) as pool:
            futures = [pool.submit(_work_on, job) for job in jobs]
            yield from (future.result() for future in as_completed(futures))


def _receive(work: Callable[[Any, Any], Any], shared: Any, threads: int) -> None:
    global _worker
    _worker = (work, shared)
    torch.set_num_threads(threads)


def _work_on(job: Any) -> Any:
    assert _worker is not None  # set by the pool initializer
    work, shared = _worker
    return work(shared, job)
