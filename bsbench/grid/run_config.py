"""A run's settings, declared once: each :class:`RunConfig` field says how it is typed and where it lives.

Every field carries a :class:`RunSetting`: its ``bsbench run`` option and help, the form its
value takes, and whether a suite file sets it (at the top level, inside ``[[datasets]]`` tables,
or not at all). The command line builds the options of ``bsbench run`` from these declarations,
:mod:`bsbench.grid.suites` derives the keys a suite accepts from them, and the manifest records
the dataclass as it is, so a new setting is one field here and nothing else.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bsbench.core.errors import UsageError

DEFAULT_METHODS = ("crp", "gradcam", "energy", "random")
DEFAULT_METRICS = (
    "faithfulness-correlation",
    "road",
    "cue-plausibility",
    "relevance-mass-accuracy",
    "cue-salience",
)

#: The forms a setting's value takes, on the command line and in a suite:
#: ``text`` (a non-empty string), ``specs`` (repeatable ``name[:k=v,...]``, a non-empty array in a
#: suite), ``integer`` (``least`` the smallest value), ``count`` (an integer where 0 means all, kept
#: as None), ``seed`` (an integer in the seed range), ``labels`` (comma-separated on the command
#: line, an array in a suite), ``options`` (repeatable ``key=value``, a table in a suite), ``path``,
#: ``folder`` (an output folder, checked writable), ``switch-off`` (a ``--no-...`` flag that turns
#: the setting off), ``dataset-paths`` (repeatable ``[DATASET=]PATH`` on the command line: one file per dataset of a
#: suite, see :func:`path_for_dataset`).
FORMS = frozenset(
    {"text", "specs", "integer", "count", "seed", "labels", "options", "path", "folder", "switch-off", "dataset-paths"}
)
#: Where a suite file may set a setting: its top level, its ``[[datasets]]`` tables, both, or nowhere.
SUITE_PLACES = frozenset({"shared", "dataset", "shared and dataset", "command line"})


@dataclass(frozen=True)
class RunSetting:
    """How a :class:`RunConfig` field is set: its option on the command line and its place in a suite."""

    option: str
    help: str
    form: str = "text"
    suite: str = "shared"
    #: The key in a suite (or a ``[[datasets]]`` table) when it differs from the field's name.
    suite_key: str = ""
    #: ``-m`` for ``--method``.
    short: str = ""
    #: The least value of an integer setting a suite may give.
    least: int = 0

    def __post_init__(self) -> None:
        if self.form not in FORMS or self.suite not in SUITE_PLACES:
            raise ValueError(f"{self.option}: form {self.form!r} or suite place {self.suite!r} is not known")


def _setting(default: Any = dataclasses.MISSING, *, factory: Any = dataclasses.MISSING, **declared: Any) -> Any:
    """A dataclass field with its :class:`RunSetting`."""
    metadata = {"run": RunSetting(**declared)}
    if factory is not dataclasses.MISSING:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines a run; recorded verbatim in its manifest."""

    dataset: str = _setting(
        "synthetic", option="--dataset", help="Dataset plugin (see `bsbench plugins --kind dataset`).",
        suite="dataset", suite_key="name",
    )  # fmt: skip
    dataset_options: Mapping[str, str] = _setting(
        factory=dict, option="--dataset-option", form="options", suite="dataset", suite_key="options",
        help="Dataset option key=value, repeatable (e.g. placement=localised, sample_rate=16000).",
    )  # fmt: skip
    data_dir: Path | None = _setting(
        None, option="--data-dir", form="path", suite="dataset",
        help="Where the dataset's files are [default: $BSBENCH_DATA/<dataset>].",
    )  # fmt: skip
    #: Canonical labels to keep (all when empty).
    emotions: tuple[str, ...] = _setting(
        (), option="--emotions", form="labels", suite="shared and dataset",
        help="Keep only these canonical emotions, comma-separated (e.g. angry,happy,sad).",
    )  # fmt: skip
    model: str = _setting(
        "resnet-small", option="--model", help="Model plugin; trained on the dataset and cached unless --checkpoint."
    )
    #: ``--model-option`` settings for models that take them (e.g. hf-audio's source).
    model_options: Mapping[str, str] = _setting(
        factory=dict, option="--model-option", form="options",
        help="Model option key=value, repeatable (e.g. hf-audio's source=<directory>).",
    )  # fmt: skip
    checkpoint: Path | None = _setting(
        None, option="--checkpoint", form="dataset-paths", suite="command line",
        help="Weights to explain instead of training (loaded weights-only); in a suite, one per dataset: "
        "--checkpoint tess=best_model_tess.pth --checkpoint crema-d=best_model_crema.pth.",
    )  # fmt: skip
    #: JSON object from the checkpoint's outputs (by name or index) to the corpus's labels.
    label_map: Path | None = _setting(
        None, option="--label-map", form="dataset-paths", suite="command line",
        help="JSON file naming the checkpoint's outputs in the corpus's labels, e.g. {\"ps\": \"surprise\", "
        "\"3\": \"angry\"} [default: the label_map of the checkpoint's model card, if any]; per dataset like "
        "--checkpoint.",
    )  # fmt: skip
    methods: tuple[str, ...] = _setting(
        DEFAULT_METHODS, option="--method", short="-m", form="specs",
        help="Method, repeatable, with optional parameters: occlusion:window=1x10,stride=1x3 "
        f"(`bsbench methods` lists each one's parameters and cost) [default: {' '.join(DEFAULT_METHODS)}]",
    )  # fmt: skip
    cues: str = _setting("librosa", option="--cues", help="Cue extractor for the cue metrics.")
    metrics: tuple[str, ...] = _setting(
        DEFAULT_METRICS, option="--metric", form="specs",
        help="Metric, repeatable, with optional parameters: pixel-flipping:steps=32, cue-plausibility:"
        "profile=scherer-2003 (`bsbench metrics` lists each one's parameters, needs and cost) "
        f"[default: {' '.join(DEFAULT_METRICS)}]",
    )  # fmt: skip
    #: Cost preset for sampling metrics (quick, standard, paper); a metric's own ``preset=`` wins.
    metric_preset: str = _setting(
        "standard", option="--metric-preset",
        help="Cost preset of the sampling metrics: quick, standard or paper; fixes their steps and samples "
        "(`bsbench metrics --preset P` prints the passes per clip each one costs).",
    )  # fmt: skip
    split: str = _setting(
        "auto",
        option="--split",
        help="Clips to explain: train, validation, test or all. auto: the test split, or every clip with "
        "--checkpoint (a model bsbench did not train on this corpus has no held-out part to keep apart).",
    )
    limit: int | None = _setting(
        28, option="--limit", form="count", help="Explain at most N clips, balanced over classes (0: all)."
    )
    seed: int = _setting(0, option="--seed", form="seed", help="Seed for data, training, methods and metrics.")
    device: str = _setting("auto", option="--device", suite="command line", help="cpu, cuda, cuda:N or auto.")
    epochs: int | None = _setting(
        None, option="--epochs", form="integer", least=1,
        help="Training epochs if the model must be trained [default: the model's recipe].",
    )  # fmt: skip
    batch_size: int = _setting(
        32, option="--batch-size", form="integer", least=1,
        help="Clips per explanation batch (a batch is the unit that is cached and resumed).",
    )  # fmt: skip
    out: Path | None = _setting(
        None, option="--out", form="folder", suite="command line",
        help="Run directory [default: runs/<timestamp>-<id>].",
    )  # fmt: skip
    #: Read and write explanation and score pieces in the cache (off: compute everything afresh).
    use_cache: bool = _setting(
        True, option="--no-cache", form="switch-off", suite="command line",
        help="Recompute every explanation and score instead of reading the cache.",
    )  # fmt: skip
    #: Where the (method, batch) jobs run: an executor plugin (local, dask, slurm, ...).
    executor: str = _setting(
        "local", option="--executor", suite="command line",
        help="Executor plugin: local (this machine: one process, or a pool with --workers), dask, or slurm "
        "(--workers jobs through dask-jobqueue); see `bsbench plugins --kind executor`.",
    )  # fmt: skip
    #: ``--executor-option`` settings of the executor (e.g. dask's scheduler, slurm's cluster_config).
    executor_options: Mapping[str, str] = _setting(
        factory=dict, option="--executor-option", form="options", suite="command line",
        help="Executor option key=value, repeatable: scheduler=tcp://host:8786 (dask; default: a LocalCluster), "
        "cluster_config=hpc.toml (slurm: a TOML file whose [slurm] table sets queue, account, cores, memory...).",
    )  # fmt: skip
    workers: int = _setting(
        1, option="--workers", form="integer", least=1, suite="command line",
        help="Processes that explain and score (method, batch) jobs side by side; each gets cores/N torch threads.",
    )  # fmt: skip


def path_for_dataset(option: str, given: Mapping[str, Path], dataset: str, datasets: Sequence[str]) -> Path | None:
    """The file of ``dataset`` among ``given`` (dataset name -> path; ``""`` for a path given without a name).

    A run over one dataset takes a bare path or one named after it; a suite over several
    needs each named (``--checkpoint tess=A --checkpoint crema-d=B``), since a model is
    trained on one corpus. A name that is no dataset of the run is refused rather than
    ignored: a typo would otherwise train a model where the user meant to load one.
    """
    unknown = sorted(name for name in given if name and name not in datasets)
    if unknown:
        raise UsageError(
            f"{option} {unknown[0]}={given[unknown[0]]}: {unknown[0]} is not a dataset of this run "
            f"(it runs {', '.join(datasets)})"
        )
    if "" in given and len(datasets) > 1:
        named = " ".join(f"{option} {name}=PATH" for name in datasets)
        raise UsageError(
            f"{option} {given['']}: this suite runs {len(datasets)} datasets ({', '.join(datasets)}) and one file "
            f"cannot serve them all; name the dataset of each ({named}), or add --dataset to run one"
        )
    if "" in given and dataset in given:
        raise UsageError(f"{option}: given twice for {dataset} ({given['']} and {dataset}={given[dataset]})")
    return given.get(dataset, given.get(""))


def with_dataset_paths(values: Mapping[str, Any], dataset: str, datasets: Sequence[str]) -> dict[str, Any]:
    """``values`` with each ``dataset-paths`` setting (a mapping, as parsed) resolved to ``dataset``'s path."""
    resolved = dict(values)
    for name, setting in run_settings().items():
        if setting.form == "dataset-paths" and name in values:
            resolved[name] = path_for_dataset(setting.option, values[name] or {}, dataset, datasets)
    return resolved


def single_run(values: Mapping[str, Any]) -> RunConfig:
    """The RunConfig of settings parsed from a command line without ``--suite``: one run, of ``values["dataset"]``."""
    return RunConfig(**with_dataset_paths(values, values["dataset"], [values["dataset"]]))


def run_settings() -> dict[str, RunSetting]:
    """Field name -> its declaration, in field order (the order ``bsbench run --help`` lists them)."""
    return {f.name: f.metadata["run"] for f in dataclasses.fields(RunConfig)}
