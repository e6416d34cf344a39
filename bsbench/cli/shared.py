"""What several command modules share: the consoles, the registry, output helpers and option aliases.

Commands load plugins through :func:`registry` called on this module (``shared.registry()``),
never a copy imported by name, so that one ``monkeypatch`` of ``bsbench.cli.shared.registry``
hands every command the same registry.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from bsbench.audio.reading import AudioFacts, AudioFileError, read_audio
from bsbench.cli.options import emotion_list, seed_option
from bsbench.cli.terminal_text import TerminalConsole
from bsbench.core.errors import DataError
from bsbench.core.parameters import parse_key_values
from bsbench.core.types import Corpus
from bsbench.grid.run_config import run_settings
from bsbench.grid.runner import load_corpus
from bsbench.interfaces.vocabulary import ANALYSIS_RATE
from bsbench.registry.loader import Registry, load_registry

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


def registry() -> Registry:
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("ignore")
        registry = load_registry()
    for problem in registry.problems:
        stderr.print(f"warning: {problem}", markup=False)
    return registry


def print_output(text: str, fmt: str) -> None:
    """A command's result on stdout: JSON verbatim, every other format through the terminal-safe console.

    JSON never meets rich (which would turn ``:smile:`` in a file name into an emoji), and needs
    no escaping: ``json.dumps`` writes every control character as ``\\uXXXX`` already.
    """
    if fmt == "json":
        sys.stdout.write(text + "\n")
    else:
        stdout.print(text)


@contextmanager
def said_on_interrupt(what_survives: str) -> Iterator[None]:
    """Ctrl-C ends with one line saying what was kept (typer then exits with 130)."""
    try:
        yield
    except KeyboardInterrupt:
        stderr.print(f"interrupted: {what_survives}", markup=False)
        raise


def dataset_corpus(
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


def model_summary(card: dict) -> str:
    """One line on how good the explained model is: an explanation of a bad model explains little."""
    test = card.get("test")
    if not test:
        return f"model {card.get('model')}: accuracy unknown (checkpoint without a model card)"
    return (
        f"model {card['model']} trained on {card['dataset']}: test accuracy {test['accuracy']:.3f}, "
        f"UAR {test['unweighted_average_recall']:.3f} on {card['split_sizes']['test']} held-out clips"
    )


def read_user_audio(audio: Path) -> tuple[np.ndarray, AudioFacts]:
    """A user's audio file, mono at the analysis rate, or one line saying why it cannot be read."""
    if not audio.is_file():
        raise DataError(f"{audio}: no such file")
    try:
        return read_audio(audio, ANALYSIS_RATE)
    except AudioFileError as error:
        raise DataError(f"{audio}: {error}") from None
