"""Checking plugins by name, as ``bsbench check`` does: which plugins, which checks, in what order."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bsbench.contracts.catalogue import checks_for
from bsbench.contracts.context import CheckContext
from bsbench.contracts.contract import CheckResult, declared_failures, run_check
from bsbench.errors import UnknownPluginError, UsageError
from bsbench.registry import KINDS, PluginRecord, Registry


def select_plugins(registry: Registry, names: Sequence[str], kind: str | None) -> list[PluginRecord]:
    """The records named (all of ``kind``, or every plugin, when no name is given); ambiguous names need ``kind``."""
    if kind is not None and kind not in KINDS:
        raise UsageError(f"--kind {kind!r}: choose one of {', '.join(KINDS)}")
    if not names:
        return registry.records(kind)
    kinds = KINDS if kind is None else (kind,)
    chosen = []
    for name in names:
        found = [registry.record(k, name) for k in kinds if name in {r.name for r in registry.records(k)}]
        if not found:
            if kind is not None:
                registry.record(kind, name)  # raises, listing the valid names of that kind
            raise UnknownPluginError("plugin", name, [r.name for r in registry.records()])
        if len(found) > 1:
            raise UsageError(f"{name!r} names a {' and a '.join(r.kind for r in found)}: pass --kind to choose")
        chosen.append(found[0])
    return chosen


def check_plugins(
    records: Sequence[PluginRecord],
    context: CheckContext,
    configure: Callable[[PluginRecord], object] = lambda record: record.plugin,
    on_plugin: Callable[[PluginRecord], None] = lambda _: None,
) -> list[CheckResult]:
    """Every check of every record's kind; ``configure`` turns a record into the object checked."""
    results = []
    for record in records:
        on_plugin(record)
        plugin = configure(record)
        declared = declared_failures(plugin)
        results.extend(run_check(check, plugin, context, declared) for check in checks_for(record.kind))
    return results
