"""What is installed: ``plugins``, ``methods``, ``metrics``, ``check`` (plugins against their contracts) and the
``profiles`` group (expert cue profiles).
"""

from __future__ import annotations

from typing import Annotated

import typer

from bsbench.cli import shared
from bsbench.cli.method_catalogue import method_catalogue
from bsbench.cli.metric_catalogue import metric_catalogue
from bsbench.cli.options import seed_option
from bsbench.cli.shared import DataDirOption, DatasetOptions, ModelOptions, print_output, stderr, stdout
from bsbench.contracts.catalogue import checks_for
from bsbench.contracts.context import CheckContext
from bsbench.contracts.contract import FAILING
from bsbench.contracts.session import check_plugins, rejection_text, result_rows, select_plugins
from bsbench.core.errors import UsageError
from bsbench.core.parameters import parse_key_values
from bsbench.interfaces.protocols import DatasetRequest
from bsbench.models.store import configure_model
from bsbench.registry.loader import KINDS, PluginRecord
from bsbench.report.cue_report import profile_table
from bsbench.results.leaderboard import FORMATS, render_table
from bsbench.results.table_formats import records_text


def plugins_command(
    kind: Annotated[str | None, typer.Option("--kind", help=f"Only this kind: {', '.join(KINDS)}.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON list of {kind,name,package,version,description}.")
    ] = False,
) -> None:
    """List every installed plugin: built-ins and third-party packages alike."""
    if kind is not None and kind not in KINDS:
        raise UsageError(f"--kind {kind!r}: choose one of {', '.join(KINDS)}")
    records = [record.as_dict() for record in shared.registry().records(kind)]
    if as_json:
        print_output(records_text(records, as_json=True), "json")
        return
    stdout.print(records_text(records, as_json=False), markup=False)


def methods_command(
    model: Annotated[str, typer.Option(help="Model whose input grid prices the passes.")] = "resnet-small",
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list of the rows.")] = False,
) -> None:
    """List saliency methods with their cost: model passes per clip and every parameter with its default.

    Parameters are given after the name on `run`: `-m occlusion:window=1x10,stride=1x3`.
    """
    rows = method_catalogue(shared.registry(), model)
    if as_json:
        print_output(records_text(rows, as_json=True), "json")
        return
    shown = [{key: value for key, value in row.items() if key != "description"} for row in rows]
    stdout.print(records_text(shown, as_json=False), markup=False)


def metrics_command(
    model: Annotated[str, typer.Option(help="Model whose input grid prices the passes.")] = "resnet-small",
    preset: Annotated[str, typer.Option(help="Cost preset to price: quick, standard or paper.")] = "standard",
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list of the rows.")] = False,
) -> None:
    """List metrics: direction, what each needs, passes and re-explanations per clip under a preset, parameters.

    Parameters are given after the name on `run`: `--metric pixel-flipping:steps=32`; the
    preset for all sampling metrics with `run --metric-preset quick|standard|paper`.
    """
    rows = metric_catalogue(shared.registry(), model, preset)
    if as_json:
        print_output(records_text(rows, as_json=True), "json")
        return
    shown = [{key: value for key, value in row.items() if key not in {"description", "package"}} for row in rows]
    stdout.print(records_text(shown, as_json=False, missingval="-"), markup=False)


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
    registry = shared.registry()
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


profiles_app = typer.Typer(
    help="Expert cue profiles: the direction voice research expects for each cue and emotion, with citations.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@profiles_app.command("list")
def profiles_list_command() -> None:
    """Every installed profile with its description."""
    records = [record.as_dict() for record in shared.registry().records("profile")]
    stdout.print(records_text(records, as_json=False), markup=False)


@profiles_app.command("show")
def profiles_show_command(
    name: Annotated[str, typer.Argument(help="Profile name (see `bsbench profiles list`).")],
    fmt: Annotated[str, typer.Option("--format", "-f", help=f"One of {', '.join(FORMATS)}.")] = "table",
) -> None:
    """One profile: expected direction vs. neutral per emotion and cue, the sources of each cell, citations."""
    profile = shared.registry().get("profile", name)
    table = profile_table(profile)
    if fmt in ("json", "csv"):
        print_output(render_table(table, fmt), fmt)
        return
    stdout.print(f"{profile.name} {profile.version}: {profile.description}\n", markup=False)
    stdout.print(render_table(table, fmt), markup=False)
    stdout.print("\nsources:", markup=False)
    for key, citation in profile.citations.items():
        stdout.print(f"  {key}: {citation}", markup=False)
