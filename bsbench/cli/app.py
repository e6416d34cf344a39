"""The ``bsbench`` command line.

Every command is a thin layer over a Python function that returns pandas objects, so a
notebook takes the same code path. Domain errors become one line on stderr and a
non-zero exit code; ``--debug`` keeps the traceback.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import math
import sys
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from typing import Annotated, Any

import typer

from bsbench import __version__
from bsbench.audio.reading import AudioFacts, AudioFileError, read_audio
from bsbench.cli.method_catalogue import method_catalogue
from bsbench.cli.metric_catalogue import metric_catalogue
from bsbench.cli.options import (
    RUN_OPTION_FIELDS,
    config_values,
    emotion_list,
    output_option,
    run_option_parameters,
    seed_option,
)
from bsbench.cli.terminal_text import TerminalConsole, safe_for_terminal
from bsbench.contracts.catalogue import checks_for
from bsbench.contracts.context import CheckContext
from bsbench.contracts.contract import FAILING
from bsbench.contracts.session import check_plugins, rejection_text, result_rows, select_plugins
from bsbench.core.cache import cache_dir, write_atomic
from bsbench.core.errors import BsbenchError, DataError, UsageError, describe_error
from bsbench.core.parameters import parse_key_values
from bsbench.core.progress import progress_bar
from bsbench.core.types import SPLITS, Clip, Corpus
from bsbench.corpus.export import export_clips
from bsbench.corpus.info import corpus_summary, counts
from bsbench.cues.accuracy import cue_accuracy
from bsbench.explain.clip import explain_clip
from bsbench.grid.cache_report import CACHE_KINDS, cache_summary, clear_cache
from bsbench.grid.run_config import RunConfig, run_settings
from bsbench.grid.runner import (
    RunResult,
    load_corpus,
    metric_directions,
    plan_methods,
    plan_run,
    resolve_device,
    run_benchmark,
    select_clips,
)
from bsbench.grid.suites import apply_overrides, load_suite
from bsbench.grid.validation import ValidationConfig, as_records, validate
from bsbench.interfaces.protocols import DatasetRequest
from bsbench.interfaces.vocabulary import ANALYSIS_RATE
from bsbench.models.augmentation import AUGMENTATIONS
from bsbench.models.store import cached_models, configure_model, load_checkpoint, trained_model
from bsbench.models.training import check_training_config
from bsbench.registry.loader import KINDS, PluginRecord, Registry, load_registry
from bsbench.report.cue_report import cue_summary, plot_tracks, profile_table
from bsbench.report.figures import save_figure
from bsbench.report.figures.clip import clip_figure
from bsbench.report.figures.run import cue_profile_figure, metric_figure
from bsbench.report.html import build_report
from bsbench.results.example_store import read_examples
from bsbench.results.leaderboard import (
    BREAKDOWNS,
    FORMATS,
    aggregate,
    metric_direction,
    ranked_metrics,
    render,
    render_table,
    select_metrics,
)
from bsbench.results.run_set import read_runs
from bsbench.results.statistics import pairwise_comparisons
from bsbench.results.store import read_run
from bsbench.results.table_formats import records_text
from bsbench.results.validation_findings import load_findings, save_findings

app = typer.Typer(
    name="bsbench",
    help="Benchmark speech emotion recognition explanations: faithful to the model, plausible to a voice scientist.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
stdout = TerminalConsole()
stderr = TerminalConsole(stderr=True)

# Options other commands share with `bsbench run`, with the help RunConfig declares for them.
_SETTINGS = run_settings()
DatasetOption = Annotated[str, typer.Option(help=_SETTINGS["dataset"].help)]
DataDirOption = Annotated[Path | None, typer.Option(help=_SETTINGS["data_dir"].help)]
DatasetOptions = Annotated[list[str] | None, typer.Option("--dataset-option", help=_SETTINGS["dataset_options"].help)]
EmotionsOption = Annotated[str | None, typer.Option(help=_SETTINGS["emotions"].help)]
SeedOption = Annotated[int, seed_option("Seed for generation and the split.")]
ModelOptions = Annotated[list[str] | None, typer.Option("--model-option", help=_SETTINGS["model_options"].help)]
EpochsOption = Annotated[int | None, typer.Option(help=_SETTINGS["epochs"].help)]


def _registry() -> Registry:
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("ignore")
        registry = load_registry()
    for problem in registry.problems:
        stderr.print(f"warning: {problem}", markup=False)
    return registry


def _print_output(text: str, fmt: str) -> None:
    """A command's result on stdout: JSON verbatim, every other format through the terminal-safe console.

    JSON never meets rich (which would turn ``:smile:`` in a file name into an emoji), and needs
    no escaping: ``json.dumps`` writes every control character as ``\\uXXXX`` already.
    """
    if fmt == "json":
        sys.stdout.write(text + "\n")
    else:
        stdout.print(text)


@contextmanager
def _said_on_interrupt(what_survives: str) -> Iterator[None]:
    """Ctrl-C ends with one line saying what was kept (typer then exits with 130)."""
    try:
        yield
    except KeyboardInterrupt:
        stderr.print(f"interrupted: {what_survives}", markup=False)
        raise


def _version(value: bool) -> None:
    if value:
        stdout.print(f"bsbench {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks instead of one-line errors.")] = False,
) -> None:
    """Score saliency methods for SER models on faithfulness (Quantus) and acoustic-cue alignment."""


@app.command("plugins")
def plugins_command(
    kind: Annotated[str | None, typer.Option("--kind", help=f"Only this kind: {', '.join(KINDS)}.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON list of {kind,name,package,version,description}.")
    ] = False,
) -> None:
    """List every installed plugin: built-ins and third-party packages alike."""
    if kind is not None and kind not in KINDS:
        raise UsageError(f"--kind {kind!r}: choose one of {', '.join(KINDS)}")
    records = [record.as_dict() for record in _registry().records(kind)]
    if as_json:
        _print_output(records_text(records, as_json=True), "json")
        return
    stdout.print(records_text(records, as_json=False), markup=False)


@app.command("methods")
def methods_command(
    model: Annotated[str, typer.Option(help="Model whose input grid prices the passes.")] = "resnet-small",
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list of the rows.")] = False,
) -> None:
    """List saliency methods with their cost: model passes per clip and every parameter with its default.

    Parameters are given after the name on `run`: `-m occlusion:window=1x10,stride=1x3`.
    """
    rows = method_catalogue(_registry(), model)
    if as_json:
        _print_output(records_text(rows, as_json=True), "json")
        return
    shown = [{key: value for key, value in row.items() if key != "description"} for row in rows]
    stdout.print(records_text(shown, as_json=False), markup=False)


@app.command("metrics")
def metrics_command(
    model: Annotated[str, typer.Option(help="Model whose input grid prices the passes.")] = "resnet-small",
    preset: Annotated[str, typer.Option(help="Cost preset to price: quick, standard or paper.")] = "standard",
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list of the rows.")] = False,
) -> None:
    """List metrics: direction, what each needs, passes and re-explanations per clip under a preset, parameters.

    Parameters are given after the name on `run`: `--metric pixel-flipping:steps=32`; the
    preset for all sampling metrics with `run --metric-preset quick|standard|paper`.
    """
    rows = metric_catalogue(_registry(), model, preset)
    if as_json:
        _print_output(records_text(rows, as_json=True), "json")
        return
    shown = [{key: value for key, value in row.items() if key not in {"description", "package"}} for row in rows]
    stdout.print(records_text(shown, as_json=False, missingval="-"), markup=False)


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
        configs: tuple[RunConfig, ...] = (RunConfig(**values),)
    else:
        typed = {name for name in ctx.params if _typed(ctx, name)}
        overrides = {field: values[field] for option, field in RUN_OPTION_FIELDS.items() if option in typed}
        configs = apply_overrides(load_suite(suite), overrides)
    registry = _registry()
    if dry_run:
        for config in configs:
            if len(configs) > 1:
                stdout.print(f"--- {config.dataset}", markup=False)
            _print_plan(plan_run(config, registry))
        return
    failed = 0
    for config in configs:
        with _said_on_interrupt("a model in training resumes from its last finished epoch when the run is repeated"):
            result = run_benchmark(config, registry, show_progress=not quiet)
        failed += _report_run(result, config.dataset)
    if failed and not keep_going:
        raise typer.Exit(1)


# The run settings' options come from RunConfig's declarations (bsbench.grid.run_config), after --suite.
_own = list(inspect.signature(run_command, eval_str=True).parameters.values())[:-1]
_flags = [parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY) for parameter in _own[2:]]
run_command.__signature__ = inspect.Signature([*_own[:2], *run_option_parameters(), *_flags])  # type: ignore[attr-defined]
app.command("run")(run_command)


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
    stdout.print(f"{model_summary(result.manifest['model']['card'])}", markup=False)
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


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{kind} {count}" for kind, count in counts.items()) or "none"


def _print_plan(plan: dict[str, Any]) -> None:
    stdout.print(f"model: {plan['model']}", markup=False)
    stdout.print(f"clips: {plan['clips']} in {plan['batches_per_method']} batches per method", markup=False)
    for skipped in plan["skipped_metrics"]:
        stdout.print(f"skipped metric {skipped['metric']}: {skipped['reason']}", markup=False)
    for kind, tally in plan["pieces"].items():
        stdout.print(f"{kind}: {tally['to_compute']} to compute, {tally['cached']} cached", markup=False)


@app.command("leaderboard")
def leaderboard_command(
    run_dirs: Annotated[
        list[Path], typer.Argument(help="Run directories written by `bsbench run`; several are merged.")
    ],
    fmt: Annotated[str, typer.Option("--format", "-f", help=f"One of {', '.join(FORMATS)}.")] = "table",
    rank_by: Annotated[
        str | None,
        typer.Option(
            "--rank-by", help="Metric the methods are ranked on [default: the first metric with a direction]."
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="Split every cell: correct (correct vs misclassified clips), emotion (the true label), speaker, "
            "or dataset (merged runs: one block per model, a row per dataset).",
        ),
    ] = None,
    metrics: Annotated[
        str | None,
        typer.Option(help="Metric columns to show, comma-separated (cue-salience selects every cue-salience:*)."),
    ] = None,
    cues: Annotated[
        bool,
        typer.Option(
            "--cues", help="The per-cue table instead: one row per cue (cue-salience, ...), one column per method."
        ),
    ] = False,
    output: Annotated[
        Path | None, output_option("--output", "-o", help_text="Write to this file instead of printing.")
    ] = None,
) -> None:
    """Print the leaderboard of one or more runs from their files alone.

    Each cell is the mean over clips with its 95% bootstrap interval; the rank column
    ranks methods within each dataset and model on one metric, with its rank interval.
    The best mean of a column is marked (bold in markdown, latex and html, a `*` in the
    terminal) only where it beats the runner-up, paired by clip; a cell that cannot be
    told from `random` is marked °, one worse than random †. Per-cue sub-scores
    (cue-salience:pitch_level, ...) are shown by `--cues`. `--format latex` writes a
    booktabs table for a paper; `--format html` a table for a web page; json and csv
    the long rows, every column included.
    """
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if by is not None and by not in BREAKDOWNS:
        raise UsageError(f"--by {by!r}: choose one of {', '.join(BREAKDOWNS)}")
    runs = read_runs(run_dirs)
    rows = runs.rows if metrics is None else select_metrics(runs.rows, _names(metrics))
    ranked = ranked_metrics(rows, runs.directions)
    if rank_by is not None and rank_by not in ranked:
        present = list(dict.fromkeys(rows["metric"]))
        absent = f"is not a metric of {'this run' if len(run_dirs) == 1 else 'these runs'}"
        reason = "has no direction (higher or lower is better)" if rank_by in present else absent
        raise UsageError(
            f"--rank-by {rank_by!r} {reason}; metrics: {', '.join(present)}; rankable: {', '.join(ranked) or 'none'}"
        )
    board = aggregate(rows, runs.directions, quality=runs.quality, rank_by=rank_by, by=by)
    text = render(board, fmt, cues=cues, findings=load_findings())
    if output is None:
        _print_output(text, fmt)
        return
    write_atomic(output, lambda temp: temp.write_text(text + "\n"))
    stderr.print(f"leaderboard: {output}", markup=False)


def _names(listed: str) -> list[str]:
    """Names from a comma-separated option value, blanks dropped."""
    return [name.strip() for name in listed.split(",") if name.strip()]


@app.command("compare")
def compare_command(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by `bsbench run`.")],
    metric: Annotated[str, typer.Option("--metric", help="The metric (result column) the methods are compared on.")],
    method: Annotated[
        list[str] | None,
        typer.Option("--method", "-m", help="Method, repeatable, at least two [default: every method of the run]."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help=f"One of {', '.join(FORMATS)}.")] = "table",
) -> None:
    """Every pair of methods on one metric, paired by clip: difference, 95% CI, Wilcoxon and Holm p, verdict.

    The difference is mean(A - B) over the clips both methods scored (a clip either one
    could not score is dropped and counted), its interval a bootstrap over those clip
    pairs. Holm adjusts the Wilcoxon p-values over every pair shown. The verdict names
    the better method when the interval excludes 0, using the metric's direction.
    """
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    manifest, rows = read_run(run_dir)
    metrics = list(dict.fromkeys(rows["metric"]))
    if metric not in metrics:
        raise UsageError(f"--metric {metric!r} is not a metric of this run; metrics: {', '.join(metrics)}")
    scored = rows[rows["metric"] == metric]
    present = list(dict.fromkeys(scored["method"]))
    chosen = list(dict.fromkeys(method or present))
    unknown = [name for name in chosen if name not in present]
    if unknown:
        raise UsageError(f"--method {unknown[0]!r} has no {metric} scores in this run; methods: {', '.join(present)}")
    if len(chosen) < 2:
        raise UsageError(f"--method: compare needs at least two methods, got {', '.join(chosen)}")
    direction = metric_direction(metric, metric_directions(manifest))
    table = pairwise_comparisons(scored[scored["method"].isin(chosen)], direction, chosen)
    _print_output(render_table(table, fmt), fmt)


@app.command("validate")
def validate_command(
    model: Annotated[str, typer.Option(help="Model trained on the localised synthetic corpus (cached).")] = (
        "resnet-small"
    ),
    method: Annotated[
        list[str] | None,
        typer.Option(
            "--method",
            "-m",
            help="Method to check, repeatable [default: saliency integrated-gradients "
            "gradcam lrp crp]; random is always added as the reference.",
        ),
    ] = None,
    metric: Annotated[
        list[str] | None,
        typer.Option(
            "--metric",
            help=f"Metric to check, repeatable [default: {' '.join(ValidationConfig.metrics)}].",
        ),
    ] = None,
    metric_preset: Annotated[str, typer.Option(help="Cost preset of the sampling metrics.")] = "quick",
    dataset_option: DatasetOptions = None,
    limit: Annotated[int, typer.Option(help="Test clips to use, balanced over classes.")] = 28,
    seed: Annotated[int, seed_option("Seed for data, training, methods and metrics.")] = 0,
    device: Annotated[str, typer.Option(help="cpu, cuda, cuda:N or auto.")] = "auto",
    epochs: EpochsOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list of the rows.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines.")] = False,
) -> None:
    """Check the benchmark itself and print a pass/fail table (exit code 1 when a check fails).

    On the synthetic corpus with localised evidence: (a) every method beats random on
    localisation; (b) maps change when the model's weights are re-drawn (MPRT);
    (c) a new seed moves each metric less than half its 95% interval; (d) each metric
    resists a minor weight perturbation and reacts to noise maps (after MetaQuantus).
    """
    config = ValidationConfig(
        model=model,
        methods=tuple(method) if method else ValidationConfig.methods,
        metrics=tuple(metric) if metric else ValidationConfig.metrics,
        metric_preset=metric_preset,
        dataset_options=parse_key_values(dataset_option, "--dataset-option"),
        limit=limit,
        seed=seed,
        device=device,
        epochs=epochs,
    )
    say = (lambda _: None) if quiet or as_json else (lambda stage: stderr.print(f"validate: {stage}", markup=False))
    records = as_records(validate(config, _registry(), say, show_progress=not (quiet or as_json)))
    kept = save_findings(records, asdict(config))
    if not as_json:
        stderr.print(f"validate: findings kept in {kept}; leaderboards and reports footnote the failed ones")
    if as_json:
        _print_output(records_text(records, as_json=True), "json")
    else:
        shown = [{**r, "pass": "pass" if r["pass"] else "FAIL"} for r in records]
        stdout.print(records_text(shown, as_json=False), markup=False)
    failed = sum(not r["pass"] for r in records)
    if failed:
        stderr.print(f"{failed} of {len(records)} checks failed", markup=False)
        raise typer.Exit(1)


@app.command("check")
def check_command(
    names: Annotated[
        list[str] | None,
        typer.Argument(help="Plugins to check [default: every plugin, or every plugin of --kind].", show_default=False),
    ] = None,
    kind: Annotated[
        str | None, typer.Option(help="dataset, model, method, cues, metric or profile: which kind NAME is.")
    ] = None,
    model: Annotated[str, typer.Option(help="Model whose untrained, seeded network methods and metrics run on.")] = (
        "resnet-small"
    ),
    model_option: ModelOptions = None,
    data_dir: DataDirOption = None,
    dataset_option: DatasetOptions = None,
    seed: Annotated[int, seed_option("Seed of the check corpus, the network and the methods.")] = 0,
    list_checks: Annotated[bool, typer.Option("--list", help="List the checks of each kind and exit.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list of the results.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines.")] = False,
) -> None:
    """Check plugins against their kind's contract and print a pass/fail table (exit code 1 on a failure).

    The same checks as the pytest base classes of bsbench.testing: metadata and unique
    names for every kind; clips, labels and seeded splits for datasets; the input grid
    and class count for models; finite, target-specific, seeded maps that leave model
    and input alone for methods; declared cues on the 10 ms grid, surviving silence,
    for cue extractors; direction, needs and one score per clip for metrics; cited
    directions for profiles. `--list` prints every check. A plugin may declare checks
    it is known to fail (expected_check_failures) with the reason; those print as
    "expected failure", and a declared check that passes fails. Every plugin offered
    under a name is checked, each row naming its package, so a name two packages
    register shows both; one rejected at load is reported with the reason (exit code 1).

    Examples: `bsbench check crp`; `bsbench check --kind metric`; `bsbench check tess
    --data-dir ~/data/tess`; `bsbench check hf-audio --model-option source=./wav2vec2`.
    """
    registry = _registry()
    if list_checks:
        kinds = [kind] if kind else list(KINDS)
        rows = [{"kind": k, "check": c.name, "expects": c.summary} for k in kinds for c in checks_for(k)]
        stdout.print(records_text(rows, as_json), markup=False)
        return
    selection = select_plugins(registry, names or [], kind)
    options = parse_key_values(model_option, "--model-option")
    context = CheckContext(
        registry=registry,
        default_request=DatasetRequest(data_dir, seed, parse_key_values(dataset_option, "--dataset-option")),
        model_plugin=configure_model(registry.get("model", model), options),
        seed=seed,
    )

    def configured(record: PluginRecord) -> object:
        return configure_model(record.plugin, options) if record.kind == "model" else record.plugin

    def announce(record: PluginRecord) -> None:
        if not (quiet or as_json):
            stderr.print(f"check: {record.kind} {record.name} from {record.package}", markup=False)

    results = result_rows(check_plugins(selection.records, context, configured, announce))
    if as_json:
        stdout.print(records_text(results, as_json=True), markup=False)
    elif results:
        shown = [{**r, "status": r["status"].upper() if r["status"] in FAILING else r["status"]} for r in results]
        stdout.print(records_text(shown, as_json=False, maxcolwidths=[None] * 5 + [70]), markup=False)
    for rejected in selection.rejected:
        stderr.print(rejection_text(rejected), markup=False)
    failed = sum(r["status"] in FAILING for r in results)
    if failed:
        stderr.print(f"{failed} of {len(results)} checks failed", markup=False)
    if failed or selection.rejected:
        raise typer.Exit(1)


@app.command("explain")
def explain_command(
    audio: Annotated[Path, typer.Argument(help="An audio file (wav, flac, ogg ...); any rate, mixed down to mono.")],
    model: Annotated[str, typer.Option(help="Model plugin (see `bsbench plugins --kind model`).")] = "resnet-small",
    checkpoint: Annotated[
        Path | None,
        typer.Option(help="Weights to explain (weights-only state dict) [default: the model trained on --dataset]."),
    ] = None,
    dataset: Annotated[
        str, typer.Option(help="Without --checkpoint: the dataset the cached model was trained on (trains if absent).")
    ] = "synthetic",
    method: Annotated[str, typer.Option(help="Saliency method, with parameters (e.g. occlusion:window=1x10).")] = (
        "crp"
    ),
    cues: Annotated[str, typer.Option(help="Cue extractor (see `bsbench plugins --kind cues`).")] = "librosa",
    profile: Annotated[str, typer.Option(help="Expert profile the cue findings are judged by.")] = "consensus",
    output: Annotated[
        Path | None,
        output_option("--output", "-o", help_text="Save the figure here (PNG; a PDF is written beside it)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
    model_option: ModelOptions = None,
    seed: Annotated[int, seed_option("Seed of the method (and of training, if the model must be trained).")] = 0,
    device: Annotated[str, typer.Option(help="cpu, cuda, cuda:N or auto.")] = "auto",
) -> None:
    """Explain one recording: prediction, salient windows, and what the cues there say, in words.

    Predicts the emotion with class probabilities, explains the predicted class with
    --method, finds the most relevant 150 ms windows (the paper's rule) and compares
    each cue inside them with the whole clip, against the direction --profile expects
    for the predicted emotion ("loudness inside the salient windows is 1.8 SD above
    the clip mean; profile consensus expects higher loudness for angry: plausible").
    `-o figure.png` draws the spectrogram with the relevance and windows, the waveform
    and the cue chart.
    """
    registry = _registry()
    clip, _ = _audio_clip(audio)
    [planned] = plan_methods(registry, [method])
    extractor = registry.get("cues", cues)
    expert = registry.get("profile", profile)
    plugin = configure_model(registry.get("model", model), parse_key_values(model_option, "--model-option"))
    chosen_device = resolve_device(device)
    if checkpoint is not None:
        loaded = load_checkpoint(plugin, checkpoint, chosen_device)
    else:
        corpus = load_corpus(registry.get("dataset", dataset), None, seed, {})
        loaded = trained_model(plugin, corpus, seed=seed, device=chosen_device, show_progress=not as_json)
    # the front end reads only its input length: cues are compared over that stretch too, and a long
    # recording costs no more than the part that is explained
    explained = math.ceil(loaded.frontend.clip_samples * clip.sample_rate / loaded.frontend.sample_rate)
    if clip.waveform.shape[0] > explained:
        stderr.print(
            f"{audio}: explaining the first {explained / clip.sample_rate:.2f} s of "
            f"{clip.waveform.shape[0] / clip.sample_rate:.2f} s (the model's input length)"
        )
        clip = dataclasses.replace(clip, waveform=clip.waveform[:explained])
    example = explain_clip(loaded, clip, planned, extractor, expert, seed)
    if output is not None:
        written = save_figure(clip_figure(example), output.with_suffix(""))
        if not as_json:
            stderr.print(f"figure: {', '.join(str(path) for path in written)}", markup=False)
    summary = example.summary()
    if as_json:
        _print_output(json.dumps(summary, indent=2), "json")
        return
    ranked = sorted(summary["probabilities"].items(), key=lambda item: -item[1])
    stdout.print(
        f"{audio}: {example.prediction} (p = {ranked[0][1]:.2f}; then "
        + ", ".join(f"{label} {p:.2f}" for label, p in ranked[1:4])
        + f") from {loaded.name}",
        markup=False,
    )
    windows = ", ".join(f"{start:.2f}-{end:.2f} s" for start, end in example.windows) or "none"
    stdout.print(f"{planned.label}: salient windows {windows}", markup=False)
    for finding in example.findings:
        stdout.print(f"- {finding.sentence(example.prediction, example.profile)}", markup=False)


@app.command("report")
def report_command(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by `bsbench run`.")],
    output: Annotated[Path, output_option("--output", "-o", help_text="The HTML file to write.")] = Path("report.html"),
) -> None:
    """Write one self-contained HTML page of a run: configuration, leaderboard, breakdowns, figures, examples.

    Images are embedded and nothing is loaded from elsewhere, so the file opens offline.
    The examples are the explanations the run kept: per method, a correctly and a
    wrongly classified clip.
    """
    page = build_report(run_dir, _registry())
    write_atomic(output, lambda temp: temp.write_text(page, encoding="utf-8"))
    stderr.print(f"report: {output} ({len(page) / 1e6:.1f} MB)", markup=False)


@app.command("figures")
def figures_command(
    run_dirs: Annotated[list[Path], typer.Argument(help="Run directories written by `bsbench run`; merged.")],
    output: Annotated[
        Path, output_option("--output", "-o", help_text="Folder for the PNG and PDF files.", folder=True)
    ] = Path("figures"),
) -> None:
    """Draw a run's figures as PNG and PDF: metrics by method, cue profiles by emotion, the kept examples."""
    registry = _registry()
    runs = read_runs(run_dirs)
    board = aggregate(runs.rows, runs.directions, quality=runs.quality)
    written = save_figure(metric_figure(board), output / "metrics")
    cue_figure = cue_profile_figure(runs.rows, registry.profiles().get(runs.cue_profile))
    if cue_figure is not None:
        written += save_figure(cue_figure, output / "cue-profiles")
    for run_dir in run_dirs:
        for example in read_examples(run_dir):
            name = f"example-{example.method}-{example.clip_id}".replace(":", "_").replace("/", "_")
            written += save_figure(clip_figure(example), output / name)
    for path in written:
        stdout.print(str(path), markup=False)


@app.command("train")
def train_command(
    dataset: Annotated[str, typer.Option(help="Dataset plugin.")] = "synthetic",
    model: Annotated[str, typer.Option(help="Model plugin (see `bsbench plugins --kind model`).")] = "resnet-small",
    model_option: ModelOptions = None,
    epochs: EpochsOption = None,
    batch_size: Annotated[int | None, typer.Option(help="Clips per optimiser step [default: the recipe's].")] = None,
    learning_rate: Annotated[
        float | None, typer.Option(help="Peak rate of the cosine schedule [default: the recipe's].")
    ] = None,
    patience: Annotated[
        int | None,
        typer.Option(
            help="Early stopping: stop after N epochs without a better validation UAR and keep the best "
            "validation epoch (never the test split). 0: train every epoch, keep the final weights [default: 0]."
        ),
    ] = None,
    augment: Annotated[
        str | None, typer.Option(help=f"Training-input augmentation: {' or '.join(AUGMENTATIONS)} [default: none].")
    ] = None,
    seed: Annotated[int, seed_option("Seed for the split and the training.")] = 0,
    device: Annotated[str, typer.Option(help="cpu, cuda, cuda:N or auto (mixed precision on GPU).")] = "auto",
    data_dir: DataDirOption = None,
    dataset_option: DatasetOptions = None,
    emotions: EmotionsOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Train a model on a dataset's speaker-independent train split and cache it with its model card.

    The card (validation and test scores, confusion matrix, label order, front end, seed,
    versions) lands beside the checkpoint; `bsbench models` lists them. Rerunning the same
    command reuses the cached model; an interrupted training resumes from its last epoch.
    """
    registry = _registry()
    plugin = configure_model(registry.get("model", model), parse_key_values(model_option, "--model-option"))
    overrides = {
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "patience": patience,
        "augment": augment,
    }
    recipe = replace(plugin.training, **{key: value for key, value in overrides.items() if value is not None})
    check_training_config(recipe)
    corpus = _corpus(registry, dataset, data_dir, dataset_option, seed, emotions)
    with _said_on_interrupt("the training resumes from its last finished epoch when this command is run again"):
        loaded = trained_model(
            plugin, corpus, seed=seed, device=resolve_device(device), config=recipe, show_progress=not quiet
        )
    stdout.print(f"{model_summary(loaded.card)}\ncheckpoint: {loaded.card['checkpoint']}", markup=False)


@app.command("models")
def models_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list of the rows.")] = False,
) -> None:
    """List trained models in the cache with their model cards: what each was trained on and how good it is."""
    rows = cached_models()
    if as_json:
        _print_output(records_text(rows, as_json=True), "json")
        return
    if not rows:
        stdout.print("no trained models in the cache yet; `bsbench train` or `bsbench run` trains one", markup=False)
        return
    stdout.print(records_text(rows, as_json=False, floatfmt=".3f"), markup=False)


def _audio_clip(audio: Path) -> tuple[Clip, AudioFacts]:
    """A user's audio file as an unlabelled clip at the analysis rate, or one line saying why it cannot be read."""
    if not audio.is_file():
        raise DataError(f"{audio}: no such file")
    try:
        samples, facts = read_audio(audio, ANALYSIS_RATE)
    except AudioFileError as error:
        raise DataError(f"{audio}: {error}") from None
    return Clip(audio.stem, samples, ANALYSIS_RATE, "unknown", "unknown", "test", source=str(audio)), facts


@app.command("cues")
def cues_command(
    audio: Annotated[Path, typer.Argument(help="An audio file (wav, flac, ogg ...); any rate, mixed down to mono.")],
    extractor: Annotated[str, typer.Option(help="Cue extractor (see `bsbench plugins --kind cues`).")] = "librosa",
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON records.")] = False,
    plot: Annotated[
        Path | None, output_option("--plot", help_text="Also draw every cue track over time into this PNG.")
    ] = None,
) -> None:
    """Summarise one clip's acoustic cues: unit, defined frames, mean, SD and range per cue."""
    plugin = _registry().get("cues", extractor)
    clip, facts = _audio_clip(audio)
    tracks = plugin.extract(clip)
    summary = cue_summary(tracks)
    if plot is not None:
        plot_tracks(tracks, plot)
    if as_json:
        _print_output(render_table(summary, "json"), "json")
        return
    voiced = float(tracks.voiced.mean()) if tracks.n_frames else 0.0
    stdout.print(
        f"{audio}: {facts.seconds:.2f} s at {facts.sample_rate} Hz, {tracks.n_frames} frames of "
        f"{1000 * tracks.seconds_per_frame:.0f} ms, {voiced:.0%} voiced ({plugin.name})",
        markup=False,
    )
    stdout.print(render_table(summary, "table"), markup=False)
    if plot is not None:
        stdout.print(f"tracks drawn in {plot}", markup=False)


cache_app = typer.Typer(
    help="What the cache holds (models, corpora, cue tracks, explanation and score pieces) and clearing it.",
    no_args_is_help=True,
)
app.add_typer(cache_app, name="cache")


@cache_app.command("info")
def cache_info_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list of the rows.")] = False,
) -> None:
    """Files and megabytes per kind of cache entry, and where the cache is ($BSBENCH_CACHE)."""
    rows = cache_summary()
    if as_json:
        _print_output(records_text(rows, as_json=True), "json")
        return
    stdout.print(f"cache: {cache_dir()}", markup=False)
    stdout.print(records_text(rows, as_json=False), markup=False)


@cache_app.command("clear")
def cache_clear_command(
    kind: Annotated[
        list[str] | None,
        typer.Option("--kind", help=f"Kind to delete, repeatable: {', '.join(CACHE_KINDS)} [default: pieces]."),
    ] = None,
) -> None:
    """Delete cache entries (pieces by default); the next run recomputes whatever it needs."""
    for folder in clear_cache(list(kind or ["pieces"])):
        stdout.print(f"removed {folder}", markup=False)


profiles_app = typer.Typer(
    help="Expert cue profiles: the direction voice research expects for each cue and emotion, with citations.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(profiles_app, name="profiles")


@profiles_app.command("list")
def profiles_list_command() -> None:
    """Every installed profile with its description."""
    records = [record.as_dict() for record in _registry().records("profile")]
    stdout.print(records_text(records, as_json=False), markup=False)


@profiles_app.command("show")
def profiles_show_command(
    name: Annotated[str, typer.Argument(help="Profile name (see `bsbench profiles list`).")],
    fmt: Annotated[str, typer.Option("--format", "-f", help=f"One of {', '.join(FORMATS)}.")] = "table",
) -> None:
    """One profile: expected direction vs. neutral per emotion and cue, the sources of each cell, citations."""
    profile = _registry().get("profile", name)
    table = profile_table(profile)
    if fmt in ("json", "csv"):
        _print_output(render_table(table, fmt), fmt)
        return
    stdout.print(f"{profile.name} {profile.version}: {profile.description}\n", markup=False)
    stdout.print(render_table(table, fmt), markup=False)
    stdout.print("\nsources:", markup=False)
    for key, citation in profile.citations.items():
        stdout.print(f"  {key}: {citation}", markup=False)


data_app = typer.Typer(
    help="Inspect a dataset: counts, listening copies, and how well cue extractors recover its true cues.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(data_app, name="data")


def _corpus(
    registry: Registry,
    dataset: str,
    data_dir: Path | None,
    options: list[str] | None,
    seed: int,
    emotions: str | None = None,
) -> Corpus:
    corpus = load_corpus(
        registry.get("dataset", dataset),
        data_dir,
        seed,
        parse_key_values(options, "--dataset-option"),
        emotion_list(emotions),
    )
    for warning in corpus.warnings:
        stderr.print(f"warning: dataset {corpus.name}: {warning}", markup=False)
    return corpus


@data_app.command("info")
def data_info_command(
    dataset: DatasetOption = "synthetic",
    data_dir: DataDirOption = None,
    dataset_option: DatasetOptions = None,
    emotions: EmotionsOption = None,
    seed: SeedOption = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
) -> None:
    """Clips per class, speaker and split; the label mapping, split policy, and every skipped file with its reason."""
    corpus = _corpus(_registry(), dataset, data_dir, dataset_option, seed, emotions)
    summary = corpus_summary(corpus)
    if as_json:
        _print_output(json.dumps(summary, indent=2, default=str), "json")
        return
    parameters = ", ".join(f"{key}={value}" for key, value in summary["parameters"].items())
    stdout.print(
        f"dataset {corpus.name}: {summary['clips']} clips, {len(corpus.labels)} classes, "
        f"{summary['ground_truth']} with ground truth\nsplit: {corpus.split_policy}\nparameters: {parameters}\n",
        markup=False,
    )
    if corpus.label_mapping:
        mapping = ", ".join(f"{code} -> {label}" for code, label in corpus.label_mapping.items())
        stdout.print(f"labels: {mapping}\n", markup=False)
    for by in ("label", "speaker"):
        # the counts come as a crosstab indexed by ``by``: as records, that index is the first column
        rows = counts(corpus, by).reset_index().to_dict(orient="records")
        stdout.print(records_text(rows, as_json=False) + "\n", markup=False)
    if corpus.skipped:
        stdout.print(f"skipped {len(corpus.skipped)} files:", markup=False)
        for skip in corpus.skipped:
            stdout.print(f"  {skip.path}: {skip.reason}", markup=False)


@data_app.command("download")
def data_download_command(
    dataset: Annotated[str, typer.Argument(help="A corpus with a download route, e.g. tess or crema-d.")],
) -> None:
    """Fetch a corpus through kagglehub (your Kaggle credentials), or say how to get it by hand."""
    plugin = _registry().get("dataset", dataset)
    if not callable(getattr(plugin, "download", None)):
        raise UsageError(f"dataset {dataset} has no download route (it reads files you provide or generates them)")
    folder = plugin.download()
    stdout.print(f"{dataset} is in {folder}\nuse it with: --dataset {dataset} --data-dir '{folder}'", markup=False)


@data_app.command("export")
def data_export_command(
    out: Annotated[
        Path, output_option("--out", "-o", help_text="Folder to write WAV files (and ground truth) into.", folder=True)
    ],
    dataset: DatasetOption = "synthetic",
    n: Annotated[int, typer.Option("--n", help="How many clips, taken round-robin over classes.")] = 7,
    split: Annotated[str | None, typer.Option(help="Only clips of this split [default: any].")] = None,
    data_dir: DataDirOption = None,
    dataset_option: DatasetOptions = None,
    emotions: EmotionsOption = None,
    seed: SeedOption = 0,
) -> None:
    """Write clips as 16-bit WAV files to listen to, with <clip>.truth.json and labels.csv beside them."""
    if n < 1:
        raise UsageError(f"--n {n}: must be at least 1")
    if split is not None and split not in SPLITS:
        raise UsageError(f"--split {split!r}: choose one of {', '.join(SPLITS)}")
    corpus = _corpus(_registry(), dataset, data_dir, dataset_option, seed, emotions)
    clips = corpus.split(split) if split else corpus.clips
    written = export_clips(select_clips(clips, n), out)
    for path in written:
        stdout.print(str(path), markup=False)


@data_app.command("cue-accuracy")
def data_cue_accuracy_command(
    cues: Annotated[str, typer.Option(help="Cue extractor to score against the true cue tracks.")] = "librosa",
    dataset: DatasetOption = "synthetic",
    limit: Annotated[int, typer.Option(help="Score at most N clips, balanced over classes (0: all).")] = 28,
    split: Annotated[str, typer.Option(help="Split whose clips are scored.")] = "test",
    dataset_option: DatasetOptions = None,
    seed: SeedOption = 0,
    fmt: Annotated[str, typer.Option("--format", "-f", help=f"One of {', '.join(FORMATS)}.")] = "table",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """How well a cue extractor recovers the cues a dataset with ground truth was generated with."""
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    registry = _registry()
    extractor = registry.get("cues", cues)
    corpus = _corpus(registry, dataset, None, dataset_option, seed)
    clips = select_clips(corpus.split(split), limit or None)
    with progress_bar(not quiet) as progress:
        task = progress.add_task(f"cues {cues}", total=len(clips), status="")
        table = cue_accuracy(extractor, clips, advance=lambda: progress.update(task, advance=1))
    _print_output(render_table(table, fmt), fmt)


def model_summary(card: dict) -> str:
    """One line on how good the explained model is: an explanation of a bad model explains little."""
    test = card.get("test")
    if not test:
        return f"model {card.get('model')}: accuracy unknown (checkpoint without a model card)"
    return (
        f"model {card['model']} trained on {card['dataset']}: test accuracy {test['accuracy']:.3f}, "
        f"UAR {test['unweighted_average_recall']:.3f} on {card['split_sizes']['test']} held-out clips"
    )


#: The exit code of an unexpected exception: EX_SOFTWARE of sysexits.h, "internal software error".
INTERNAL_ERROR_EXIT = 70


def main() -> None:
    """Console entry point: one-line errors unless --debug.

    A :class:`BsbenchError` is the user's to fix and prints as ``error: ...``. Any other
    exception is a bug in bsbench or a plugin: it still prints one line (a traceback is
    no use to someone running a benchmark) saying so and how to get the traceback, and
    exits 70. KeyboardInterrupt and SystemExit are not ``Exception`` and pass untouched.
    """
    try:
        app()
    except BsbenchError as error:
        if "--debug" in sys.argv[1:]:
            raise
        stderr.print(f"error: {safe_for_terminal(str(error), one_line=True)}")
        sys.exit(error.exit_code)
    except Exception as error:
        if "--debug" in sys.argv[1:]:
            raise
        message = safe_for_terminal(describe_error(error), one_line=True)
        stderr.print(
            f"bsbench: internal error: {message} (a bug in bsbench or a plugin; rerun with --debug for the traceback)"
        )
        sys.exit(INTERNAL_ERROR_EXIT)
