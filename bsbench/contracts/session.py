"""Checking plugins by name, as ``bsbench check`` does: which plugins, which checks, in what order.

A name may have several candidates: the plugin runs use and the duplicates other
packages registered under the same name (checked too, each with its package, so a
clash is blamed on the package that lost it), and plugins rejected at load for
breaking their protocol, which cannot be checked and are reported with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from bsbench.contracts.catalogue import checks_for
from bsbench.contracts.context import CheckContext
from bsbench.contracts.contract import CheckResult, declared_failures, run_check
from bsbench.core.errors import UnknownPluginError, UsageError
from bsbench.registry.loader import KINDS, PluginRecord, Registry, RejectedPlugin

#: The columns of ``bsbench check``'s table and JSON, in order.
RESULT_COLUMNS = ("kind", "plugin", "package", "check", "status", "detail")


@dataclass(frozen=True)
class Selection:
    """What to check: every candidate of the names asked for, and those of them rejected at load."""

    records: list[PluginRecord]
    #: Plugins of those names that broke their protocol at load: nothing to check, a failure to report.
    rejected: list[RejectedPlugin]


def select_plugins(registry: Registry, names: Sequence[str], kind: str | None) -> Selection:
    """Every candidate of ``names`` (of every plugin of ``kind``, or of all, without names); ambiguity needs kind."""
    if kind is not None and kind not in KINDS:
        raise UsageError(f"--kind {kind!r}: choose one of {', '.join(KINDS)}")
    kinds = KINDS if kind is None else (kind,)
    if not names:
        chosen = [(r.kind, r.name) for r in registry.records(kind)]
        chosen += [(r.kind, r.name) for r in registry.rejected if r.record is None and r.kind in kinds]
        return _candidates(registry, list(dict.fromkeys(chosen)))
    pairs = []
    for name in names:
        found = [k for k in kinds if registry.candidates(k, name) or registry.rejections(k, name)]
        if not found:
            if kind is not None:
                registry.record(kind, name)  # raises, listing the valid names of that kind
            raise UnknownPluginError("plugin", name, [r.name for r in registry.records()])
        if len(found) > 1:
            raise UsageError(f"{name!r} names a {' and a '.join(found)}: pass --kind to choose")
        pairs.append((found[0], name))
    return _candidates(registry, list(dict.fromkeys(pairs)))


def _candidates(registry: Registry, pairs: Sequence[tuple[str, str]]) -> Selection:
    return Selection(
        [record for kind, name in pairs for record in registry.candidates(kind, name)],
        [r for kind, name in pairs for r in registry.rejections(kind, name) if r.record is None],
    )


def rejection_text(rejected: RejectedPlugin) -> str:
    """One line for a plugin that could not be checked because it was rejected at load."""
    return f"{rejected.kind} {rejected.name} from package {rejected.package} was rejected at load: {rejected.reason}"


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
        results.extend(
            replace(run_check(check, plugin, context, declared), package=record.package)
            for check in checks_for(record.kind)
        )
    return results


def result_rows(results: Sequence[CheckResult]) -> list[dict[str, str]]:
    """The results as ``bsbench check`` prints them: one mapping per check, keyed by :data:`RESULT_COLUMNS`."""
    return [{column: getattr(result, column) for column in RESULT_COLUMNS} for result in results]
