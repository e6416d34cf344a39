"""Finding, loading and checking plugins.

Plugins come from the ``bsbench`` entry-point group, bsbench's own built-ins first.
Each entry point is loaded on its own: a package that fails to import, registers a
name another package already took, or hands over an object that breaks its kind's
protocol costs one warning line naming the package and the reason, and every other
plugin still loads. A plugin that is not kept is still remembered, with the reason
(:attr:`Registry.rejected`), so ``bsbench check NAME`` can check or explain every
plugin offered under a name, not just the one runs use.

Cue vocabulary hooks run first, for every package, so the protocol checks of cue
extractors and profiles see the cues their packages declare.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import pluggy

from bsbench.core.errors import UnknownPluginError
from bsbench.interfaces import hookspecs
from bsbench.interfaces.protocols import (
    COST_CLASSES,
    KIND_PROTOCOLS,
    METRIC_REQUIREMENTS,
    CueExtractorPlugin,
    DatasetPlugin,
    ExecutorPlugin,
    MethodPlugin,
    MetricPlugin,
    ModelPlugin,
    ProfilePlugin,
    protocol_members,
)
from bsbench.interfaces.vocabulary import (
    BUILTIN_CUE_VOCABULARY,
    CUE_NAME_PATTERN,
    CUE_VOCABULARY,
    CueDefinition,
    use_vocabulary,
)

ENTRY_POINT_GROUP = "bsbench"
BUILTIN_PACKAGE = "bsbench"
KINDS = tuple(hookspecs.KIND_HOOKS)
_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class PluginLoadWarning(UserWarning):
    """A third-party plugin could not be used; the message names the package and why."""


@dataclass(frozen=True)
class PluginRecord:
    """A registered plugin and the distribution that provided it."""

    kind: str
    name: str
    package: str
    version: str
    description: str
    plugin: Any

    def as_dict(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "name": self.name,
            "package": self.package,
            "version": self.version,
            "description": self.description,
        }


@dataclass(frozen=True)
class RejectedPlugin:
    """A plugin a package offered at load that is not kept, and why."""

    kind: str
    #: Its ``name``, or its type's name when it has none.
    name: str
    package: str
    #: ``breaks the method protocol: missing explain``, ``is already registered by package 'bsbench'; ...``
    reason: str
    #: The record it would have had: set for a duplicate name (it satisfies its protocol and can
    #: be checked), None for a protocol break.
    record: PluginRecord | None


class Registry:
    """Typed access to every loaded plugin: ``registry.methods()["crp"]``."""

    def __init__(
        self,
        records: Iterable[PluginRecord],
        problems: Iterable[str] = (),
        rejected: Iterable[RejectedPlugin] = (),
    ) -> None:
        self._records: dict[str, dict[str, PluginRecord]] = {kind: {} for kind in KINDS}
        for record in records:
            self._records[record.kind][record.name] = record
        self.problems: tuple[str, ...] = tuple(problems)
        self.rejected: tuple[RejectedPlugin, ...] = tuple(rejected)

    def candidates(self, kind: str, name: str) -> list[PluginRecord]:
        """Every plugin of ``kind`` registered as ``name``: the one runs use first, then other packages' duplicates."""
        kept = self._records[kind].get(name)
        duplicates = [r.record for r in self.rejections(kind, name) if r.record is not None]
        return ([] if kept is None else [kept]) + duplicates

    def rejections(self, kind: str, name: str) -> list[RejectedPlugin]:
        """The plugins of ``kind`` offered as ``name`` and not kept (duplicates and protocol breaks), in load order."""
        return [r for r in self.rejected if (r.kind, r.name) == (kind, name)]

    def records(self, kind: str | None = None) -> list[PluginRecord]:
        kinds = KINDS if kind is None else (kind,)
        return [record for k in kinds for record in sorted(self._records[k].values(), key=lambda r: r.name)]

    def record(self, kind: str, name: str) -> PluginRecord:
        try:
            return self._records[kind][name]
        except KeyError:
            raise UnknownPluginError(kind, name, list(self._records[kind])) from None

    def get(self, kind: str, name: str) -> Any:
        return self.record(kind, name).plugin

    def _plugins(self, kind: str) -> dict[str, Any]:
        return {name: record.plugin for name, record in sorted(self._records[kind].items())}

    def datasets(self) -> dict[str, DatasetPlugin]:
        return self._plugins("dataset")

    def models(self) -> dict[str, ModelPlugin]:
        return self._plugins("model")

    def methods(self) -> dict[str, MethodPlugin]:
        return self._plugins("method")

    def cue_extractors(self) -> dict[str, CueExtractorPlugin]:
        return self._plugins("cues")

    def metrics(self) -> dict[str, MetricPlugin]:
        return self._plugins("metric")

    def profiles(self) -> dict[str, ProfilePlugin]:
        return self._plugins("profile")

    def executors(self) -> dict[str, ExecutorPlugin]:
        return self._plugins("executor")


def missing_members(kind: str, plugin: Any) -> list[str]:
    """The members of ``kind``'s protocol ``plugin`` lacks: whether it is shaped like that kind at all."""
    return [member for member in protocol_members(KIND_PROTOCOLS[kind]) if not hasattr(plugin, member)]


def protocol_violations(kind: str, plugin: Any) -> list[str]:
    """Why ``plugin`` cannot serve as a ``kind`` plugin; empty when it can.

    Cue extractors and profiles must name cues of the vocabulary in force
    (:data:`bsbench.interfaces.vocabulary.CUE_VOCABULARY`), so a profile cell and a track
    with the same name mean the same measurement.
    """
    protocol = KIND_PROTOCOLS[kind]
    missing = missing_members(kind, plugin)
    if missing:
        return [f"missing {', '.join(missing)}"]
    problems = []
    for method_name in (n for n, v in vars(protocol).items() if not n.startswith("_") and callable(v)):
        if not callable(getattr(plugin, method_name)):
            problems.append(f"{method_name} is not callable")
    name = plugin.name
    if not isinstance(name, str) or not _NAME_PATTERN.match(name):
        problems.append(f"name {name!r} must be lower-case letters, digits and dashes")
    if not isinstance(plugin.description, str) or not plugin.description.strip():
        problems.append("description must be a non-empty string")
    if kind == "method" and plugin.cost not in COST_CLASSES:
        problems.append(f"cost {plugin.cost!r} is not one of {', '.join(COST_CLASSES)}")
    if kind == "metric" and not set(plugin.requires) <= METRIC_REQUIREMENTS:
        problems.append(f"requires {sorted(plugin.requires)} beyond {sorted(METRIC_REQUIREMENTS)}")
    if kind == "cues":
        problems.extend(_named_cues("cues must map cue names to units", [plugin.cues]))
    if kind == "profile":
        cells = plugin.cells
        rows = list(cells.values()) if isinstance(cells, Mapping) else [cells]
        problems.extend(_named_cues("cells must map emotions to {cue: ProfileCell}", rows))
    return problems


def _named_cues(shape: str, tables: list[object]) -> list[str]:
    """``shape`` when a table is not a mapping keyed by cue, else which cues lie outside the vocabulary (if any)."""
    if not all(isinstance(table, Mapping) for table in tables):
        return [shape]
    unknown = sorted({str(cue) for table in tables for cue in table} - set(CUE_VOCABULARY))
    if not unknown:
        return []
    return [
        f"cues outside the vocabulary: {', '.join(unknown)} (use names from bsbench/interfaces/vocabulary.py or "
        f"declare new cues with the {hookspecs.VOCABULARY_HOOK} hook)"
    ]


def _distribution_of(entry_point: metadata.EntryPoint) -> str:
    dist = entry_point.dist
    return entry_point.module if dist is None else dist.metadata["Name"]


def _entry_points() -> list[metadata.EntryPoint]:
    found = list(metadata.entry_points(group=ENTRY_POINT_GROUP))
    # Built-ins first so a third-party duplicate never shadows them; stable otherwise.
    return sorted(found, key=lambda ep: _distribution_of(ep) != BUILTIN_PACKAGE)


def load_registry(
    entry_points: Iterable[metadata.EntryPoint] | None = None,
    *,
    extra_plugins: Mapping[str, object] | None = None,
) -> Registry:
    """Load every plugin; problems are collected and emitted as :class:`PluginLoadWarning`.

    ``extra_plugins`` maps a package label to a hook-implementing object registered
    after the entry points: the way to try a plugin in a notebook without packaging it.
    The cue vocabulary in force becomes the built-ins plus what this load's packages
    declare (:func:`bsbench.interfaces.vocabulary.use_vocabulary`).
    """
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    provenance: dict[str, str] = {}
    problems: list[str] = []

    def add(source: object, plugin_id: str, package: str) -> None:
        try:
            manager.register(source, name=plugin_id)
        except Exception as error:  # pluggy rejects malformed hook implementations
            problems.append(f"plugin package {package!r} ({plugin_id}) was not loaded: {_one_line(error)}")
            return
        provenance[plugin_id] = package

    for entry_point in _entry_points() if entry_points is None else entry_points:
        package = _distribution_of(entry_point)
        plugin_id = f"{package}:{entry_point.name}"
        try:
            source = entry_point.load()
        except Exception as error:  # any import-time failure of third-party code
            problems.append(f"plugin package {package!r} failed to import {entry_point.value!r}: {_one_line(error)}")
            continue
        add(source, plugin_id, package)
    for label, source in (extra_plugins or {}).items():
        add(source, f"{label}:extra", label)

    def run_hooks(hook_name: str, registrar: Callable[[str], Callable[..., None]]) -> None:
        for hook_impl in getattr(manager.hook, hook_name).get_hookimpls():
            package = provenance[hook_impl.plugin_name]
            try:
                hook_impl.function(register=registrar(package))
            except Exception as error:  # a hook that raises must not take the others down
                problems.append(f"plugin package {package!r} failed in {hook_name}: {_one_line(error)}")

    cues: dict[str, tuple[CueDefinition, str]] = {
        name: (cue, BUILTIN_PACKAGE) for name, cue in BUILTIN_CUE_VOCABULARY.items()
    }
    run_hooks(hookspecs.VOCABULARY_HOOK, lambda package: _cue_registrar(package, cues, problems))
    use_vocabulary({name: cue for name, (cue, _) in cues.items()})
    records: dict[tuple[str, str], PluginRecord] = {}
    rejected: list[RejectedPlugin] = []
    for kind, hook_name in hookspecs.KIND_HOOKS.items():
        run_hooks(hook_name, lambda package, kind=kind: _registrar(kind, package, records, rejected, problems))
    for problem in problems:
        warnings.warn(problem, PluginLoadWarning, stacklevel=2)
    return Registry(records.values(), problems, rejected)


def _cue_registrar(
    package: str, cues: dict[str, tuple[CueDefinition, str]], problems: list[str]
) -> Callable[[str, str, bool, str], None]:
    """The ``register`` of one package's vocabulary hook: new cues are added, a redefinition is refused."""

    def register(name: str, unit: str, voiced_only: bool, meaning: str) -> None:
        cue = CueDefinition(unit, voiced_only, meaning)
        malformed = _malformed_cue(name, cue)
        if malformed:
            problems.append(f"plugin package {package!r}: cue {name!r} was not added to the vocabulary: {malformed}")
            return
        existing, owner = cues.get(name, (None, package))
        if existing is None:
            cues[name] = (cue, package)
        elif existing != cue:
            problems.append(
                f"plugin package {package!r}: cue {name!r} ({_described(cue)}) clashes with package {owner!r}'s "
                f"({_described(existing)}); keeping {owner!r}'s"
            )

    return register


def _malformed_cue(name: object, cue: CueDefinition) -> str:
    """Why a declared cue cannot join the vocabulary ("" when it can)."""
    problems = []
    if not isinstance(name, str) or not CUE_NAME_PATTERN.match(name):
        problems.append("its name must be snake_case (lower-case letters, digits and underscores)")
    if not isinstance(cue.unit, str) or not cue.unit.strip():
        problems.append("unit must be a non-empty string")
    if not isinstance(cue.voiced_only, bool):
        problems.append("voiced_only must be True or False")
    if not isinstance(cue.meaning, str) or not cue.meaning.strip():
        problems.append("meaning must be a non-empty string")
    return "; ".join(problems)


def _described(cue: CueDefinition) -> str:
    frames = "voiced frames only" if cue.voiced_only else "every frame"
    return f"unit {cue.unit!r}, {frames}, {cue.meaning!r}"


def _registrar(
    kind: str,
    package: str,
    records: dict[tuple[str, str], PluginRecord],
    rejected: list[RejectedPlugin],
    problems: list[str],
) -> Callable[[Any], None]:
    def register(plugin: Any) -> None:
        label = str(getattr(plugin, "name", type(plugin).__name__))

        def reject(reason: str, record: PluginRecord | None) -> None:
            rejected.append(RejectedPlugin(kind, label, package, reason, record))
            problems.append(f"plugin package {package!r}: {kind} {label!r} {reason}")

        violations = protocol_violations(kind, plugin)
        if violations:
            reject(f"breaks the {kind} protocol: {'; '.join(violations)}", None)
            return
        record = PluginRecord(
            kind=kind,
            name=plugin.name,
            package=package,
            version=str(plugin.version),
            description=plugin.description.strip().splitlines()[0],
            plugin=plugin,
        )
        kept = records.setdefault((kind, record.name), record)
        if kept is not record:
            reject(f"is already registered by package {kept.package!r}; keeping {kept.package!r}'s", record)

    return register


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or "no message"
    return f"{type(error).__name__}: {text}"
