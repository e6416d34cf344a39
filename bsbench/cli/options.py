"""Options shared by commands, and the options of ``bsbench run`` built from :class:`RunConfig`'s declarations.

``bsbench run`` does not list its settings again: each :class:`RunConfig` field declares its
option, help and form (:mod:`bsbench.grid.run_config`), and :func:`run_option_parameters` turns
them into Typer options; :func:`config_values` turns what was parsed back into field values.
Values a user types that must fail before any work (seeds, output paths) are checked while the
options are parsed.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

from bsbench.core.errors import UsageError
from bsbench.core.option_checks import MAX_SEED, check_output, check_seed
from bsbench.core.parameters import parse_key_values
from bsbench.grid.run_config import RunConfig, RunSetting, run_settings


def seed_option(help_text: str) -> Any:
    """The ``--seed`` of every command: refused at parsing outside 0..MAX_SEED, before any work."""
    return typer.Option(help=f"{help_text} [0 to {MAX_SEED}]", callback=lambda value: check_seed(value, "--seed"))


def output_option(*names: str, help_text: str, folder: bool = False) -> Any:
    """An output path option refused at parsing when nothing can be written there (a folder for a file, ...)."""

    def checked(param: typer.CallbackParam, value: Path | None) -> Path | None:
        return None if value is None else check_output(value, max(param.opts, key=len), folder=folder)

    return typer.Option(*names, help=help_text, callback=checked)


def emotion_list(emotions: str | None) -> tuple[str, ...]:
    """``angry, happy,sad`` -> ``("angry", "happy", "sad")``; nothing typed -> every emotion (empty)."""
    return tuple(name.strip() for name in (emotions or "").split(",") if name.strip())


def option_parameter(setting: RunSetting) -> str:
    """The Python name Typer gives an option's value: ``--dataset-option`` -> ``dataset_option``."""
    return setting.option.lstrip("-").replace("-", "_")


#: `bsbench run` option parameter -> the RunConfig field it sets (what a suite entry can be overridden by).
RUN_OPTION_FIELDS = {option_parameter(setting): name for name, setting in run_settings().items()}


def _option(setting: RunSetting, field: dataclasses.Field) -> tuple[Any, Any]:
    """The annotated type and default of one ``bsbench run`` option."""
    names = (setting.option, setting.short) if setting.short else (setting.option,)
    default = field.default_factory() if field.default is dataclasses.MISSING else field.default
    form = setting.form
    if form == "seed":
        return Annotated[int, seed_option(setting.help)], default
    if form == "folder":
        return Annotated[Path | None, output_option(*names, help_text=setting.help, folder=True)], default
    option = typer.Option(*names, help=setting.help)
    typed = {
        "text": (str, default),
        "specs": (list[str] | None, None),
        "integer": (int | None if default is None else int, default),
        "count": (int, default),
        "labels": (str | None, None),
        "options": (list[str] | None, None),
        "path": (Path | None, default),
        "switch-off": (bool, False),
        "dataset-paths": (list[str] | None, None),
    }
    annotation, cli_default = typed[form]
    return Annotated[annotation, option], cli_default


def run_option_parameters() -> list[inspect.Parameter]:
    """One keyword parameter per RunConfig field, in field order, for the ``bsbench run`` signature."""
    fields = {f.name: f for f in dataclasses.fields(RunConfig)}
    parameters = []
    for name, setting in run_settings().items():
        annotation, default = _option(setting, fields[name])
        parameters.append(
            inspect.Parameter(
                option_parameter(setting), inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
            )
        )
    return parameters


def config_values(parsed: Mapping[str, Any]) -> dict[str, Any]:
    """RunConfig field values from the parsed ``bsbench run`` options (by parameter name)."""
    fields = {f.name: f for f in dataclasses.fields(RunConfig)}
    values = {}
    for name, setting in run_settings().items():
        value = parsed[option_parameter(setting)]
        form = setting.form
        if form == "specs":
            value = tuple(value or fields[name].default)
        elif form == "count":
            value = value or None
        elif form == "labels":
            value = emotion_list(value)
        elif form == "options":
            value = parse_key_values(value, setting.option)
        elif form == "switch-off":
            value = not value
        elif form == "dataset-paths":
            value = dataset_paths(value, setting.option)
        values[name] = value
    return values


#: What may stand before ``=`` in ``--checkpoint tess=PATH``: a dataset plugin's name.
_DATASET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def dataset_paths(given: list[str] | None, option: str) -> dict[str, Path]:
    """``["tess=a.pth", "crema-d=b.pth"]`` -> ``{"tess": a.pth, "crema-d": b.pth}``; a bare path is keyed ``""``.

    A value that names an existing file is a path even when it holds ``=`` (``runs/lr=0.1/model.pt``).
    Which dataset each path serves is decided once the run's datasets are known
    (:func:`bsbench.grid.run_config.path_for_dataset`).
    """
    paths: dict[str, Path] = {}
    for item in given or ():
        name, _, rest = item.partition("=")
        if rest and _DATASET_NAME.fullmatch(name) and not Path(item).expanduser().exists():
            key, path = name, rest
        else:
            key, path = "", item
        if not path.strip():
            raise UsageError(f"{option} {item!r}: expected [DATASET=]PATH")
        if key in paths:
            raise UsageError(f"{option}: given twice{f' for {key}' if key else ''} ({paths[key]} and {path})")
        paths[key] = Path(path).expanduser()
    return paths
