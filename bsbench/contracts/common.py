"""Checks every plugin kind shares: complete metadata, a unique name, parameters that can be built."""

from __future__ import annotations

import dataclasses
from typing import Any

from bsbench.contracts.context import CheckContext
from bsbench.contracts.contract import Check, NotApplicable, expect
from bsbench.registry import protocol_violations


def metadata_complete(kind: str):
    def check(plugin: Any, context: CheckContext) -> None:
        """Carries every member of its kind's protocol, a command-line name, a description and a version."""
        problems = protocol_violations(kind, plugin)
        expect(not problems, f"expected a complete {kind} plugin; {'; '.join(problems)}")
        version = getattr(plugin, "version", "")
        expect(isinstance(version, str) and version.strip(), f"expected a non-empty version string, got {version!r}")

    return check


def name_unique(kind: str):
    def check(plugin: Any, context: CheckContext) -> None:
        """No other package's plugin of the same kind is registered under its name."""
        name = plugin.name
        holder = {record.name: record for record in context.registry.records(kind)}.get(name)
        if holder is not None and holder.plugin is not plugin and type(holder.plugin) is not type(plugin):
            expect(False, f"expected a name of its own; {kind} {name!r} is already registered by {holder.package!r}")
        rejected = [p for p in context.registry.problems if f"{kind} {name!r} is already registered" in p]
        expect(not rejected, f"expected one {kind} named {name!r}; another package registers it too: {rejected[:1]}")

    return check


def parameters_have_defaults(plugin: Any, context: CheckContext) -> None:
    """Its ``parameters`` is a dataclass whose every field has a default, so the bare name runs."""
    params_type = getattr(plugin, "parameters", None)
    if params_type is None:
        raise NotApplicable("the plugin takes no parameters")
    expect(dataclasses.is_dataclass(params_type), f"expected parameters to be a dataclass type, got {params_type!r}")
    missing = [
        f.name
        for f in dataclasses.fields(params_type)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    expect(not missing, f"expected a default for every parameter; none for {', '.join(missing)}")


def shared_checks(kind: str) -> tuple[Check, ...]:
    return (Check(kind, "metadata-complete", metadata_complete(kind)), Check(kind, "name-unique", name_unique(kind)))
