"""The ``data`` group: a dataset's counts (``info``), fetching it (``download``), listening copies (``export``) and
how well cue extractors recover its true cues (``cue-accuracy``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from bsbench.cli import shared
from bsbench.cli.options import output_option
from bsbench.cli.shared import (
    DataDirOption,
    DatasetOption,
    DatasetOptions,
    EmotionsOption,
    SeedOption,
    dataset_corpus,
    print_output,
    stdout,
)
from bsbench.core.errors import UsageError
from bsbench.core.progress import progress_bar
from bsbench.core.types import SPLITS
from bsbench.corpus.export import export_clips
from bsbench.corpus.info import corpus_summary, counts
from bsbench.cues.accuracy import cue_accuracy
from bsbench.grid.runner import select_clips
from bsbench.results.leaderboard import FORMATS, render_table
from bsbench.results.table_formats import records_text

data_app = typer.Typer(
    help="Inspect a dataset: counts, listening copies, and how well cue extractors recover its true cues.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


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
    corpus = dataset_corpus(shared.registry(), dataset, data_dir, dataset_option, seed, emotions)
    summary = corpus_summary(corpus)
    if as_json:
        print_output(json.dumps(summary, indent=2, default=str), "json")
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
    plugin = shared.registry().get("dataset", dataset)
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
    corpus = dataset_corpus(shared.registry(), dataset, data_dir, dataset_option, seed, emotions)
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
    registry = shared.registry()
    extractor = registry.get("cues", cues)
    corpus = dataset_corpus(registry, dataset, None, dataset_option, seed)
    clips = select_clips(corpus.split(split), limit or None)
    with progress_bar(not quiet) as progress:
        task = progress.add_task(f"cues {cues}", total=len(clips), status="")
        table = cue_accuracy(extractor, clips, advance=lambda: progress.update(task, advance=1))
    print_output(render_table(table, fmt), fmt)
