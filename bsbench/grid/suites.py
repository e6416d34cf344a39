"""Suite files: a benchmark setting written once in TOML and run by name (``bsbench run --suite paper``).

A suite is data, never code: it may only name registered plugins (the runner resolves
them and lists the valid names), so running someone else's suite file cannot execute
anything they wrote. Each ``[[datasets]]`` table becomes one :class:`RunConfig`; the rest
of the file is shared by all of them.

The built-in suites live in ``benchmarks/suites/`` at the repository root, the one place
the design puts benchmark definitions, so a reader finds the paper's setting next to the
other benchmarks and there is a single copy to keep right. They are found from this
module's location, which holds for a checkout and its editable install; an installation
without the repository has no built-in suites and says so, and any ``.toml`` path still works.

Settings that belong to one machine or one invocation (``out``, ``device``, ``use_cache``,
``checkpoint``, ``label_map``) are not accepted in a suite: a shared file must run the same anywhere,
and the command line sets them.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bsbench.core.errors import UsageError
from bsbench.core.option_checks import check_seed
from bsbench.core.parameters import split_spec
from bsbench.grid.run_config import RunConfig, RunSetting, run_settings, with_dataset_paths

#: Where the built-in suites are: the repository's ``benchmarks/suites`` (see the module docstring).
BUILTIN_DIR = Path(__file__).resolve().parents[2] / "benchmarks" / "suites"
SUITE_SUFFIX = ".toml"

_SETTINGS = run_settings()
#: RunConfig fields a suite sets at its top level, by key (every field's place is declared in RunConfig).
_SHARED = {name: s for name, s in _SETTINGS.items() if s.suite in ("shared", "shared and dataset")}
#: RunConfig fields a suite sets inside ``[[datasets]]`` tables, by the key they have there.
_PER_DATASET = {
    s.suite_key or name: name for name, s in _SETTINGS.items() if s.suite in ("dataset", "shared and dataset")
}
#: RunConfig fields a suite leaves to the command line, with the flag that sets each.
_COMMAND_LINE_ONLY = {name: s.option for name, s in _SETTINGS.items() if s.suite == "command line"}
_TOP_LEVEL_KEYS = frozenset({"description", "datasets", *_SHARED})
_DATASET_KEYS = frozenset(_PER_DATASET)
_RUN_FIELDS = frozenset(_SETTINGS)


@dataclass(frozen=True)
class Suite:
    """A loaded suite: one run per dataset, and which settings the file chose.

    ``entries`` names the RunConfig fields the file set, so a caller can tell a suite's
    choice from a RunConfig default (e.g. to report what a command-line flag replaced).
    ``base`` is the shared part of the file before any ``[[datasets]]`` table is applied:
    it is what a run over a dataset the suite does not list starts from.
    """

    name: str
    description: str
    path: Path
    runs: tuple[RunConfig, ...]
    entries: frozenset[str]
    base: RunConfig = field(default_factory=RunConfig)


def builtin_suites() -> list[str]:
    """Names of the suites shipped in ``benchmarks/suites`` (empty when the repository is not there)."""
    if not BUILTIN_DIR.is_dir():
        return []
    return sorted(path.stem for path in BUILTIN_DIR.glob(f"*{SUITE_SUFFIX}") if path.is_file())


def suite_path(name_or_path: str) -> Path:
    """A ``.toml`` path as given (``~`` expanded), else the built-in suite of that name.

    Bare names are only looked up among the listed built-ins, so a name can never reach
    a file outside ``benchmarks/suites``.
    """
    if name_or_path.endswith(SUITE_SUFFIX):
        path = Path(name_or_path).expanduser()
        if not path.is_file():
            raise UsageError(f"--suite {name_or_path}: no such file")
        return path.resolve()
    names = builtin_suites()
    if name_or_path not in names:
        if not names:
            raise UsageError(
                f"--suite {name_or_path!r}: this installation has no built-in suites ({BUILTIN_DIR} is missing); "
                f"pass the path of a {SUITE_SUFFIX} file"
            )
        choices = f"{', '.join(names)} (or the path of a {SUITE_SUFFIX} file)"
        raise UsageError(f"unknown suite {name_or_path!r}; built-in suites: {choices}")
    return BUILTIN_DIR / f"{name_or_path}{SUITE_SUFFIX}"


def load_suite(name_or_path: str) -> Suite:
    """Read and check a suite file: a built-in name (``paper``, ``synthetic``, ``quick``) or a ``.toml`` path.

    Every problem is one :class:`UsageError` line naming the file and the key; plugin
    names are left to the runner, which knows the registry and lists the valid ones.
    """
    path = suite_path(name_or_path)
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"suite {path}: not valid TOML: {_one_line(str(error))}") from None
    except RecursionError:  # tomllib reads nested arrays and tables recursively
        raise UsageError(f"suite {path}: not valid TOML: arrays or tables nested too deeply to read") from None
    except UnicodeDecodeError:
        raise UsageError(f"suite {path}: not valid TOML: the file is not UTF-8 text") from None
    except OSError as error:
        raise UsageError(f"suite {path}: cannot be read: {error.strerror or error}") from None
    return _parse(document, path)


def apply_overrides(suite: Suite, overrides: Mapping[str, Any]) -> tuple[RunConfig, ...]:
    """The suite's runs with the command line's settings in place of the suite's.

    Pass only what the user typed: every key given wins, a value of ``None`` included
    (``limit=None`` asks for every clip). Option mappings are merged key by key, so
    ``--dataset-option sample_rate=22050`` keeps the suite's ``length_policy``. A
    ``dataset`` replaces the suite's list of datasets by that one, keeping the suite's
    own table for it when it has one (``--suite paper --dataset tess`` runs paper's tess).
    With several runs, one ``data_dir`` cannot fit them all (refused); ``checkpoint`` and ``label_map`` come as
    mappings from dataset to path (``--checkpoint tess=A``, see :func:`~bsbench.grid.run_config.path_for_dataset`);
    and ``out`` becomes ``out/<dataset>`` for each so the runs do not overwrite each other.
    """
    unknown = sorted(set(overrides) - _RUN_FIELDS)
    if unknown:
        # The caller's bug, not the user's: keep the traceback.
        raise ValueError(f"not RunConfig fields: {', '.join(unknown)}")
    runs = suite.runs
    if "dataset" in overrides:
        chosen = overrides["dataset"]
        matching = [run for run in runs if run.dataset == chosen]
        runs = (matching[0],) if matching else (dataclasses.replace(suite.base, dataset=chosen),)
    if len(runs) > 1 and "data_dir" in overrides:
        datasets = ", ".join(run.dataset for run in runs)
        raise UsageError(
            f"--data-dir: suite {suite.name} runs {len(runs)} datasets ({datasets}) and one folder cannot hold them "
            f"all; add --dataset to run one of them, or set data_dir in the suite's [[datasets]] tables"
        )
    changes: dict[str, Any] = {}
    for key, value in overrides.items():
        if key in {"methods", "metrics", "emotions"} and value is not None:
            changes[key] = tuple(value)
        elif key != "out":
            changes[key] = value
    datasets = [run.dataset for run in runs]
    result = []
    for run in runs:
        run_changes = with_dataset_paths(changes, run.dataset, datasets)
        for key in ("dataset_options", "model_options"):
            if key in overrides:
                run_changes[key] = {**getattr(run, key), **(overrides[key] or {})}
        if "out" in overrides:
            out = overrides["out"]
            run_changes["out"] = Path(out) / run.dataset if out is not None and len(runs) > 1 else out
        result.append(dataclasses.replace(run, **run_changes))
    return tuple(result)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _parse(document: Mapping[str, Any], path: Path) -> Suite:
    """Turn a TOML document into a :class:`Suite`, checking every key and type."""
    where = f"suite {path}"
    for key in document:
        if key not in _TOP_LEVEL_KEYS:
            raise UsageError(f"{where}: {_unknown_key_reason(key)}; valid keys: {', '.join(sorted(_TOP_LEVEL_KEYS))}")
    description = document.get("description", "")
    if not isinstance(description, str):
        raise UsageError(f"{where}: key 'description': expected a string, got {_type_name(description)}")

    shared = {
        name: _read(document[name], setting, where, name) for name, setting in _SHARED.items() if name in document
    }
    base = RunConfig(**shared)
    entries = set(shared)

    tables = document.get("datasets")
    if tables is None:
        runs: tuple[RunConfig, ...] = (base,)
    else:
        if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
            raise UsageError(f"{where}: key 'datasets': expected one or more [[datasets]] tables")
        runs = tuple(_dataset_run(base, table, index, where, path.parent) for index, table in enumerate(tables))
        names = [run.dataset for run in runs]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise UsageError(f"{where}: key 'datasets': {', '.join(repeated)} listed more than once")
        entries.update(name for key, name in _PER_DATASET.items() if any(key in table for table in tables))
    return Suite(
        name=path.stem,
        description=description,
        path=path,
        runs=runs,
        entries=frozenset(entries),
        base=base,
    )


def _dataset_run(base: RunConfig, table: Mapping[str, Any], index: int, where: str, folder: Path) -> RunConfig:
    """One ``[[datasets]]`` table applied to the shared settings; ``index`` (from 1 in messages) names it."""
    key_prefix = f"datasets[{index + 1}]"
    for key in table:
        if key not in _DATASET_KEYS:
            raise UsageError(
                f"{where}: key '{key_prefix}.{key}' is unknown; valid keys: {', '.join(sorted(_DATASET_KEYS))}"
            )
    if "name" not in table:
        raise UsageError(f"{where}: key '{key_prefix}': every [[datasets]] table needs a name (e.g. name = \"tess\")")
    changes: dict[str, Any] = {}
    for key, name in _PER_DATASET.items():
        if key in table:
            changes[name] = _read(table[key], _SETTINGS[name], where, f"{key_prefix}.{key}", folder)
    return dataclasses.replace(base, **changes)


def _read(value: Any, setting: RunSetting, where: str, key: str, folder: Path | None = None) -> Any:
    """A suite value of ``setting``'s form, checked; one UsageError line naming the file and the key."""
    form = setting.form
    if form == "specs":
        return _spec_list(value, where, key)
    if form == "labels":
        return _string_list(value, where, key)
    if form == "options":
        return _options(value, where, key)
    if form in ("integer", "count", "seed"):
        number = _integer(value, where, key, setting.least)
        if form == "seed":
            check_seed(number, f"{where}: key '{key}':")
        return None if form == "count" and number == 0 else number
    if form == "path":
        given = Path(_string(value, where, key)).expanduser()
        # Relative to the suite file, not to wherever the command happens to run.
        return given if given.is_absolute() or folder is None else folder / given
    return _string(value, where, key)


def _unknown_key_reason(key: str) -> str:
    if key in _COMMAND_LINE_ONLY:
        return f"key '{key}' is not set by a suite (pass {_COMMAND_LINE_ONLY[key]} on the command line)"
    in_tables = {name: table_key for table_key, name in _PER_DATASET.items()}
    if key in in_tables:
        return f"key '{key}' belongs in a [[datasets]] table (as {in_tables[key]})"
    return f"key '{key}' is unknown"


def _type_name(value: Any) -> str:
    """The TOML name of a parsed value's type, for messages a suite author reads."""
    names = {bool: "a boolean", int: "an integer", float: "a float", str: "a string", list: "an array", dict: "a table"}
    return names.get(type(value), type(value).__name__)


def _string(value: Any, where: str, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        got = "an empty string" if isinstance(value, str) else _type_name(value)
        raise UsageError(f"{where}: key '{key}': expected a non-empty string, got {got}")
    return value.strip()


def _string_list(value: Any, where: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        got = _type_name(value) if not isinstance(value, list) else "an array with a non-string or empty item"
        raise UsageError(f"{where}: key '{key}': expected an array of strings, got {got}")
    return tuple(item.strip() for item in value)


def _spec_list(value: Any, where: str, key: str) -> tuple[str, ...]:
    """A non-empty array of ``name[:k=v,...]`` specs whose syntax is checked now (names are the runner's)."""
    specs = _string_list(value, where, key)
    if not specs:
        raise UsageError(f"{where}: key '{key}': expected at least one entry, got an empty array")
    for spec in specs:
        try:
            split_spec(spec)
        except UsageError as error:
            raise UsageError(f"{where}: key '{key}': {error}") from None
    return specs


def _integer(value: Any, where: str, key: str, least: int) -> int:
    # bool is an int subclass in Python; `limit = true` is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageError(f"{where}: key '{key}': expected an integer, got {_type_name(value)}")
    if value < least:
        raise UsageError(f"{where}: key '{key}': {value} is below the least allowed value, {least}")
    return value


def _options(value: Any, where: str, key: str) -> dict[str, str]:
    """A table of plugin options as text, the form ``--dataset-option``/``--model-option`` produce.

    Plugins convert option text by the type of each default, so ``speakers = 4`` and
    ``speakers = "4"`` mean the same; booleans are written the way that conversion reads them.
    """
    if not isinstance(value, dict):
        raise UsageError(f"{where}: key '{key}': expected a table of options, got {_type_name(value)}")
    options = {}
    for name, item in value.items():
        if isinstance(item, bool):
            options[name] = "true" if item else "false"
        elif isinstance(item, str | int | float):
            options[name] = str(item)
        else:
            raise UsageError(f"{where}: key '{key}.{name}': expected a string or number, got {_type_name(item)}")
    return options
