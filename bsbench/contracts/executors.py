"""Executor checks: a grid through the executor gives the rows of the same grid run serially.

The grid is tiny and needs nothing downloaded: the context's untrained network, its checked
clips one per job, two methods (the reference gradient method and ``random``) and the
``sparseness`` metric, so every job explains and scores. An executor that needs settings the
context was not given (``slurm`` without a cluster file) is reported as "needs configuration".
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bsbench.contracts.context import CheckContext
from bsbench.contracts.contract import Check, expect
from bsbench.explain.method_plan import PlannedMethod
from bsbench.grid.executors import plan_executor, run_jobs
from bsbench.grid.work import GridSpec, JobOutcome, execute
from bsbench.scoring.plans import plan_metrics

#: Workers the executor is checked with: more than one, so a pool or cluster really shares the jobs.
CHECK_WORKERS = 2
#: Values may differ by float rounding: torch's CPU kernels sum in an order that depends on a
#: worker's thread count (seen: 1.5e-7).
TOLERANCE = 1e-5


def _grid(context: CheckContext) -> GridSpec:
    def build() -> GridSpec:
        model, clips = context.model(), context.clips()
        random = context.registry.get("method", "random")
        methods = (context.reference_method(), PlannedMethod(random.name, random, random.parameters()))
        inputs = context.inputs().numpy()
        return GridSpec(
            model=model,
            model_digest="untrained, seeded",
            clips=clips,
            inputs=inputs,
            predictions=context.targets().numpy(),
            methods=methods,
            metrics=tuple(plan_metrics(context.registry, ["sparseness"], "quick")),
            profiles={},
            extractor=None,
            cue_tracks=None,
            cue_errors={},
            masks=None,
            batch_size=1,
            seed=context.seed,
            use_cache=False,
        )

    return context.once("executor grid", build)


def _serial(context: CheckContext) -> dict[Any, JobOutcome]:
    spec = _grid(context)
    return context.once("serial outcomes", lambda: {job: execute(spec, job) for job in spec.jobs()})


def gives_the_serial_rows(plugin: Any, context: CheckContext) -> None:
    """Every job runs once and returns what the same job returns in this process: maps, scores, failures."""
    spec = _grid(context)
    planned = plan_executor(plugin, context.parameters.get(plugin.name, {}), CHECK_WORKERS)
    arrived: list[Any] = []
    outcomes = run_jobs(spec, spec.jobs(), planned, on_done=lambda outcome: arrived.append(outcome.job))
    jobs = spec.jobs()
    expect(sorted(arrived, key=jobs.index) == jobs, f"expected each of the {len(jobs)} jobs once, got {arrived}")
    for job, serial in _serial(context).items():
        outcome = outcomes[job]
        where = f"job (method {spec.methods[job.method_index].label}, clip {job.start})"
        expect(
            outcome.failures == serial.failures, f"{where}: expected failures {serial.failures}, got {outcome.failures}"
        )
        expect(outcome.explanations is not None, f"{where}: expected explanations, got none")
        for mine, theirs in zip(outcome.explanations, serial.explanations, strict=True):
            expect(
                np.allclose(mine.relevance, theirs.relevance, rtol=TOLERANCE, atol=TOLERANCE),
                f"{where}: expected the serial map of {theirs.clip_id}",
            )
        for mine, theirs in zip(outcome.columns, serial.columns, strict=True):
            for got, expected in zip(mine, theirs, strict=True):
                expect(
                    got.column == expected.column
                    and np.allclose(got.values, expected.values, rtol=TOLERANCE, atol=TOLERANCE, equal_nan=True),
                    f"{where}: expected the serial scores {expected.values}, got {got.values}",
                )


CHECKS = (Check("executor", "gives-the-serial-rows", gives_the_serial_rows),)
