"""The runner's side of executors: plan one from ``--executor`` and its options, run a grid's jobs on it.

Executors are plugins (``bsbench_register_executors``): the built-in ``local``, ``dask`` and
``slurm`` are registered exactly like a third-party one. Every executor runs the same
:func:`bsbench.grid.work.execute` on the same :class:`GridSpec`, and this module keys the
outcomes by job, so results are the same whatever the executor (tested, and a contract check
of every executor).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bsbench.core.errors import UsageError
from bsbench.core.parameters import build_parameters
from bsbench.grid.work import GridSpec, Job, JobOutcome, execute
from bsbench.interfaces.protocols import ExecutorPlugin


@dataclass(frozen=True)
class PlannedExecutor:
    """An executor with its parsed ``--executor-option`` settings and worker count, checked."""

    plugin: ExecutorPlugin
    params: Any
    workers: int


def threads_per_worker(workers: int) -> int:
    """Torch threads for each of ``workers`` processes on this machine: the cores shared out, at least one."""
    return max(1, (os.cpu_count() or 1) // max(1, workers))


def plan_executor(plugin: ExecutorPlugin, options: Mapping[str, str], workers: int) -> PlannedExecutor:
    """``plugin`` with ``options``, refusing settings that cannot work before any work starts."""
    if workers < 1:
        raise UsageError(f"--workers {workers}: must be at least 1")
    params = build_parameters(plugin.parameters, options, f"--executor {plugin.name}")
    plugin.check(params, workers)
    return PlannedExecutor(plugin, params, workers)


def run_jobs(
    spec: GridSpec,
    jobs: Sequence[Job],
    executor: PlannedExecutor,
    on_done: Callable[[JobOutcome], None] = lambda _: None,
) -> dict[Job, JobOutcome]:
    """Run every job and return its outcome by job; ``on_done`` sees each outcome as it arrives."""
    outcomes = {}
    for outcome in executor.plugin.run(execute, spec, jobs, executor.workers, executor.params):
        outcomes[outcome.job] = outcome
        on_done(outcome)
    return outcomes
