"""Finding, loading and checking plugins.

Plugins come from the ``bsbench`` entry-point group, bsbench's own built-ins first.
Each entry point is loaded on its own: a package that fails to import, registers a
name another package already took, or hands over an object that breaks its kind's
protocol costs one warning line naming the package and the reason, and every other
plugin still loads.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import pluggy

from bsbench import hookspecs
from bsbench.errors import UnknownPluginError
from bsbench.protocols import (
    COST_CLASSES,
    KIND_PROTOCOLS,
    METRIC_REQUIREMENTS,
    CueExtractorPlugin,
    DatasetPlugin,
    MethodPlugin,
    MetricPlugin,
    ModelPlugin,
    ProfilePlugin,
    protocol_members,
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


class Registry:
    """Typed access to every loaded plugin: ``registry.methods()["crp"]``."""

    def __init__(self, records: Iterable[PluginRecord], problems: Iterable[str] = ()) -> None:
        self._records: dict[str, dict[str, PluginRecord]] = {kind: {} for kind in KINDS}
        for record in records:
            self._records[record.kind][record.name] = record
        self.problems: tuple[str, ...] = tuple(problems)

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


def protocol_violations(kind: str, plugin: Any) -> list[str]:
    """Why ``plugin`` cannot serve as a ``kind`` plugin; empty when it can."""
    protocol = KIND_PROTOCOLS[kind]
    missing = [member for member in protocol_members(protocol) if not hasattr(plugin, member)]
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
    return problems


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

    records: dict[tuple[str, str], PluginRecord] = {}
    for kind, hook_name in hookspecs.KIND_HOOKS.items():
        for hook_impl in getattr(manager.hook, hook_name).get_hookimpls():
            package = provenance[hook_impl.plugin_name]
            register = _registrar(kind, package, records, problems)
            try:
                hook_impl.function(register=register)
            except Exception as error:  # a hook that raises must not take the others down
                problems.append(f"plugin package {package!r} failed in {hook_name}: {_one_line(error)}")
    for problem in problems:
        warnings.warn(problem, PluginLoadWarning, stacklevel=2)
    return Registry(records.values(), problems)


def _registrar(
    kind: str,
    package: str,
    records: dict[tuple[str, str], PluginRecord],
    problems: list[str],
) -> Callable[[Any], None]:
    def register(plugin: Any) -> None:
        violations = protocol_violations(kind, plugin)
        label = getattr(plugin, "name", type(plugin).__name__)
        if violations:
            problems.append(
                f"plugin package {package!r}: {kind} {label!r} breaks the {kind} protocol: {'; '.join(violations)}"
            )
            return
        existing = records.get((kind, plugin.name))
        if existing is not None:
            problems.append(
                f"plugin package {package!r}: {kind} {plugin.name!r} is already registered by "
                f"package {existing.package!r}; keeping {existing.package!r}'s"
            )
            return
        records[(kind, plugin.name)] = PluginRecord(
            kind=kind,
            name=plugin.name,
            package=package,
            version=str(plugin.version),
            description=plugin.description.strip().splitlines()[0],
            plugin=plugin,
        )

    return register


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or "no message"
    return f"{type(error).__name__}: {text}"
