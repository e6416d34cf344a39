"""The ``cache`` group: what the cache holds per kind of entry (``info``) and deleting entries (``clear``)."""

from __future__ import annotations

from typing import Annotated

import typer

from bsbench.cli.shared import print_output, stdout
from bsbench.core.cache import cache_dir
from bsbench.grid.cache_report import CACHE_KINDS, cache_summary, clear_cache
from bsbench.results.table_formats import records_text

cache_app = typer.Typer(
    help="What the cache holds (models, corpora, cue tracks, explanation and score pieces) and clearing it.",
    no_args_is_help=True,
)


@cache_app.command("info")
def cache_info_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list of the rows.")] = False,
) -> None:
    """Files and megabytes per kind of cache entry, and where the cache is ($BSBENCH_CACHE)."""
    rows = cache_summary()
    if as_json:
        print_output(records_text(rows, as_json=True), "json")
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
