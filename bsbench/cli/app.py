"""The ``bsbench`` command line: the Typer app, its commands in the order ``--help`` lists them, and ``main``.

Every command is a thin layer over a Python function that returns pandas objects, so a
notebook takes the same code path. Domain errors become one line on stderr and a
non-zero exit code; ``--debug`` keeps the traceback. The commands live in modules by what
a user does (:mod:`~bsbench.cli.plugins`, :mod:`~bsbench.cli.run`, :mod:`~bsbench.cli.results`,
...); this module only registers them.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from bsbench import __version__
from bsbench.cli import cache, data, explain, intervene, models, plugins, results, run, validate
from bsbench.cli.shared import stderr, stdout
from bsbench.cli.terminal_text import safe_for_terminal
from bsbench.core.errors import BsbenchError, describe_error

app = typer.Typer(
    name="bsbench",
    help="Benchmark speech emotion recognition explanations: faithful to the model, plausible to a voice scientist.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


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


app.command("plugins")(plugins.plugins_command)
app.command("methods")(plugins.methods_command)
app.command("metrics")(plugins.metrics_command)
app.command("run")(run.run_command)
app.command("leaderboard")(results.leaderboard_command)
app.command("compare")(results.compare_command)
app.command("validate")(validate.validate_command)
app.command("check")(plugins.check_command)
app.command("explain")(explain.explain_command)
app.command("report")(results.report_command)
app.command("figures")(results.figures_command)
app.command("train")(models.train_command)
app.command("models")(models.models_command)
app.command("cues")(explain.cues_command)
app.command("intervene")(intervene.intervene_command)
app.add_typer(cache.cache_app, name="cache")
app.add_typer(plugins.profiles_app, name="profiles")
app.add_typer(data.data_app, name="data")


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
