"""Trained models: ``train`` (one model on a dataset, cached with its model card) and ``models`` (the cached ones)."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer

from bsbench.cli import shared
from bsbench.cli.options import seed_option
from bsbench.cli.shared import (
    DataDirOption,
    DatasetOptions,
    EmotionsOption,
    EpochsOption,
    ModelOptions,
    dataset_corpus,
    model_summary,
    print_output,
    said_on_interrupt,
    stdout,
)
from bsbench.core.parameters import parse_key_values
from bsbench.grid.runner import resolve_device
from bsbench.models.augmentation import AUGMENTATIONS
from bsbench.models.store import cached_models, configure_model, trained_model
from bsbench.models.training import check_training_config
from bsbench.results.table_formats import records_text


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
    registry = shared.registry()
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
    corpus = dataset_corpus(registry, dataset, data_dir, dataset_option, seed, emotions)
    with said_on_interrupt("the training resumes from its last finished epoch when this command is run again"):
        loaded = trained_model(
            plugin, corpus, seed=seed, device=resolve_device(device), config=recipe, show_progress=not quiet
        )
    stdout.print(f"{model_summary(loaded.card)}\ncheckpoint: {loaded.card['checkpoint']}", markup=False)


def models_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list of the rows.")] = False,
) -> None:
    """List trained models in the cache with their model cards: what each was trained on and how good it is."""
    rows = cached_models()
    if as_json:
        print_output(records_text(rows, as_json=True), "json")
        return
    if not rows:
        stdout.print("no trained models in the cache yet; `bsbench train` or `bsbench run` trains one", markup=False)
        return
    stdout.print(records_text(rows, as_json=False, floatfmt=".3f"), markup=False)
