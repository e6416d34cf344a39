"""Reading finished runs: ``leaderboard``, ``compare`` (methods paired by clip), ``report`` (one HTML page) and
``figures``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bsbench.cli import shared
from bsbench.cli.options import output_option
from bsbench.cli.shared import print_output, stderr, stdout
from bsbench.core.cache import write_atomic
from bsbench.core.errors import UsageError
from bsbench.grid.runner import metric_directions
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
from bsbench.results.validation_findings import load_findings


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
        print_output(text, fmt)
        return
    write_atomic(output, lambda temp: temp.write_text(text + "\n"))
    stderr.print(f"leaderboard: {output}", markup=False)


def _names(listed: str) -> list[str]:
    """Names from a comma-separated option value, blanks dropped."""
    return [name.strip() for name in listed.split(",") if name.strip()]


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
    print_output(render_table(table, fmt), fmt)


def report_command(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by `bsbench run`.")],
    output: Annotated[Path, output_option("--output", "-o", help_text="The HTML file to write.")] = Path("report.html"),
) -> None:
    """Write one self-contained HTML page of a run: configuration, leaderboard, breakdowns, figures, examples.

    Images are embedded and nothing is loaded from elsewhere, so the file opens offline.
    The examples are the explanations the run kept: per method, a correctly and a
    wrongly classified clip.
    """
    page = build_report(run_dir, shared.registry())
    write_atomic(output, lambda temp: temp.write_text(page, encoding="utf-8"))
    stderr.print(f"report: {output} ({len(page) / 1e6:.1f} MB)", markup=False)


def figures_command(
    run_dirs: Annotated[list[Path], typer.Argument(help="Run directories written by `bsbench run`; merged.")],
    output: Annotated[
        Path, output_option("--output", "-o", help_text="Folder for the PNG and PDF files.", folder=True)
    ] = Path("figures"),
) -> None:
    """Draw a run's figures as PNG and PDF: metrics by method, cue profiles by emotion, the kept examples."""
    registry = shared.registry()
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
