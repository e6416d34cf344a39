"""``bsbench run``: one run or a suite of runs, its plan under ``--dry-run``, and the report printed after each run.

The run settings' options are not listed here: :func:`run_command` takes its signature from
:func:`bsbench.cli.options.run_option_parameters`, built from RunConfig's declarations.
"""

from __future__ import annotations

import inspect
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer

from bsbench.cli import shared
from bsbench.cli.options import RUN_OPTION_FIELDS, config_values, run_option_parameters
from bsbench.cli.shared import model_summary, said_on_interrupt, stderr, stdout
from bsbench.core.types import ALL_CLIPS
from bsbench.grid.run_config import RunConfig, single_run
from bsbench.grid.runner import RunResult, explained_split, plan_run, run_benchmark
from bsbench.grid.suites import apply_overrides, load_suite
from bsbench.results.leaderboard import render
from bsbench.results.validation_findings import load_findings


def run_command(
    ctx: typer.Context,
    suite: Annotated[
        str | None,
        typer.Option(
            help="A suite of runs from a TOML file: paper, synthetic, quick (benchmarks/suites/) or a path; "
            "options typed on the command line override the suite's entries."
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would be computed and what the cache holds; compute nothing.")
    ] = False,
    keep_going: Annotated[
        bool, typer.Option("--keep-going", help="Exit 0 even when some pieces failed (they are recorded either way).")
    ] = False,
    **settings: Any,
) -> None:
    """Explain clips with every method, score them with every metric, print the leaderboard.

    Every explanation and score is kept in the cache by what produced it: repeating a
    command (after a crash, or with one more method) computes only what is missing.

    With no options: the synthetic corpus, resnet-small (trained once, then cached),
    crp / gradcam / random, librosa cues, Quantus faithfulness, the paper's cue analysis and
    its plausibility against the consensus expert profile.
    """
    values = config_values(settings)
    if suite is None:
        configs: tuple[RunConfig, ...] = (single_run(values),)
    else:
        typed = {name for name in ctx.params if _typed(ctx, name)}
        overrides = {field: values[field] for option, field in RUN_OPTION_FIELDS.items() if option in typed}
        configs = apply_overrides(load_suite(suite), overrides)
    registry = shared.registry()
    if dry_run:
        for config in configs:
            if len(configs) > 1:
                stdout.print(f"--- {config.dataset}", markup=False)
            _print_plan(plan_run(config, registry))
        return
    failed = 0
    for config in configs:
        if config.split == "auto" and explained_split(config) == ALL_CLIPS:
            stdout.print(
                f"{config.dataset}: explaining every clip (--checkpoint: bsbench did not train this model here, so "
                "there is no held-out part to keep apart; --split test explains the test split only)",
                markup=False,
            )
        with said_on_interrupt("a model in training resumes from its last finished epoch when the run is repeated"):
            result = run_benchmark(config, registry, show_progress=not quiet)
        failed += _report_run(result, config.dataset)
    if failed and not keep_going:
        raise typer.Exit(1)


# The run settings' options come from RunConfig's declarations (bsbench.grid.run_config), after --suite.
_own = list(inspect.signature(run_command, eval_str=True).parameters.values())[:-1]
_flags = [parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY) for parameter in _own[2:]]
run_command.__signature__ = inspect.Signature([*_own[:2], *run_option_parameters(), *_flags])  # type: ignore[attr-defined]


def _typed(ctx: typer.Context, name: str) -> bool:
    """Whether the user gave option ``name`` on the command line (not its default)."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name == "COMMANDLINE"


def _report_run(result: RunResult, dataset: str) -> int:
    """Print one run's warnings, leaderboard and summary; return how many pieces failed."""
    for warning in result.manifest["dataset"]["warnings"]:
        stderr.print(f"warning: dataset {dataset}: {warning}", markup=False)
    if result.manifest["dataset"]["skipped"]:
        skipped = len(result.manifest["dataset"]["skipped"])
        stderr.print(f"{skipped} files skipped while reading {dataset}; `bsbench data info` lists them", markup=False)
    failures = result.manifest["failures"]
    for failure in failures[:FAILURES_SHOWN]:
        stderr.print(f"failed: {failure['stage']} on {failure['clip_id']}: {failure['error']}", markup=False)
    stdout.print(render(result.leaderboard, "table", model_lines=False, findings=load_findings()), markup=False)
    for line in model_lines(result.manifest):
        stdout.print(line, markup=False)
    pieces = result.manifest["pieces"]
    stdout.print(
        f"results: {result.run_dir}  ({result.manifest['seconds']} s; pieces computed {_counts(pieces['computed'])}, "
        f"from cache {_counts(pieces['cached'])})",
        markup=False,
    )
    if failures:
        stages = Counter(failure["stage"] for failure in failures)
        summary = "; ".join(f"{count} x {stage}" for stage, count in stages.most_common())
        stderr.print(
            f"{len(failures)} failed pieces ({summary}): each is listed under failures in "
            f"{result.run_dir / 'manifest.json'} and its cells carry the reason in results.parquet",
            markup=False,
        )
    return len(failures)


FAILURES_SHOWN = 5


def model_lines(manifest: dict[str, Any]) -> list[str]:
    """How good the explained model is: its card's test scores, and for a checkpoint what this run measured.

    A checkpoint's lines also say how its outputs met the corpus's labels: outputs the
    corpus lacks, and clips left out because the model has no output for their label.
    """
    model, dataset = manifest["model"], manifest["dataset"]["name"]
    card, measured = model["card"], model.get("measured")
    if manifest["config"]["checkpoint"] is None or not measured:
        return [model_summary(card)]
    lines = [model_summary(card)] if card.get("test") else []
    renamed = f", outputs renamed by {card['label_map_source']}" if "label_map_source" in card else ""
    lines.append(
        f"model {card['model']} (checkpoint {Path(card['checkpoint']).name}{renamed}): accuracy "
        f"{measured['accuracy']:.3f}, UAR {measured['unweighted_average_recall']:.3f} measured on the "
        f"{measured['clips']} explained clips (not a held-out test)"
    )
    if measured["outputs_without_counterpart"]:
        outputs = measured["outputs_without_counterpart"]
        which = f"outputs {', '.join(outputs)} are" if len(outputs) > 1 else f"output {outputs[0]} is"
        lines.append(f"{which} no label of {dataset}: a prediction of one counts as a mistake")
    if measured["clips_left_out"]:
        counts = ", ".join(f"{label} {count}" for label, count in measured["clips_left_out_by_label"].items())
        lines.append(f"{measured['clips_left_out']} clips left out ({counts}): {measured['reason']}")
    return lines


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{kind} {count}" for kind, count in counts.items()) or "none"


def _print_plan(plan: dict[str, Any]) -> None:
    stdout.print(f"model: {plan['model']}", markup=False)
    stdout.print(f"clips: {plan['clips']} in {plan['batches_per_method']} batches per method", markup=False)
    for skipped in plan["skipped_metrics"]:
        stdout.print(f"skipped metric {skipped['metric']}: {skipped['reason']}", markup=False)
    for kind, tally in plan["pieces"].items():
        stdout.print(f"{kind}: {tally['to_compute']} to compute, {tally['cached']} cached", markup=False)
