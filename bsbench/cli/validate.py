"""``bsbench validate``: checks of the benchmark itself on the localised synthetic corpus, kept as findings that
leaderboards and reports footnote.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from bsbench.cli import shared
from bsbench.cli.options import seed_option
from bsbench.cli.shared import DatasetOptions, EpochsOption, print_output, stderr, stdout
from bsbench.core.parameters import parse_key_values
from bsbench.grid.validation import ValidationConfig, as_records, validate
from bsbench.results.table_formats import records_text
from bsbench.results.validation_findings import save_findings


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
    records = as_records(validate(config, shared.registry(), say, show_progress=not (quiet or as_json)))
    kept = save_findings(records, asdict(config))
    if not as_json:
        stderr.print(f"validate: findings kept in {kept}; leaderboards and reports footnote the failed ones")
    if as_json:
        print_output(records_text(records, as_json=True), "json")
    else:
        shown = [{**r, "pass": "pass" if r["pass"] else "FAIL"} for r in records]
        stdout.print(records_text(shown, as_json=False), markup=False)
    failed = sum(not r["pass"] for r in records)
    if failed:
        stderr.print(f"{failed} of {len(records)} checks failed", markup=False)
        raise typer.Exit(1)
