"""Checks every plugin kind shares: complete metadata, a unique name, parameters that can be built."""

from __future__ import annotations

import dataclasses
from typing import Any

from bsbench.contracts.context import CheckContext
from bsbench.contracts.contract import Check, NotApplicable, expect
from bsbench.registry.loader import protocol_violations


def metadata_complete(kind: str):
    def check(plugin: Any, context: CheckContext) -> None:
        """Carries its kind's protocol members, a command-line name, a description, a version (and vocabulary cues)."""
        problems = protocol_violations(kind, plugin)
        expect(not problems, f"expected a complete {kind} plugin; {'; '.join(problems)}")
        version = getattr(plugin, "version", "")
        expect(isinstance(version, str) and version.strip(), f"expected a non-empty version string, got {version!r}")

    return check


def name_unique(kind: str):
    def check(plugin: Any, context: CheckContext) -> None:
        """No plugin of the same kind from another package was registered under its name before it."""
        name = plugin.name
        candidates = context.registry.candidates(kind, name)
        if not candidates:
            return
        kept = candidates[0]
        # the same type counts as the same plugin: an author's test checks a fresh instance of what was registered
        expect(
            kept.plugin is plugin or type(kept.plugin) is type(plugin),
            f"expected a name of its own; {kind} {name!r} is already registered by {kept.package!r}, "
            "whose plugin runs under that name",
        )

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
