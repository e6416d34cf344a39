"""Plugin parameters written on the command line: ``occlusion:window=1x10,stride=1x3``.

A plugin declares its parameters as a frozen dataclass with defaults; this module
turns ``key=value`` text into that dataclass, converting each value by the type of
its default, so every plugin gets the same syntax and the same error messages.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from bsbench.core.errors import UsageError

ParamsT = TypeVar("ParamsT")


@dataclass(frozen=True)
class NoParameters:
    """The parameters of a plugin that takes none."""


def split_spec(spec: str) -> tuple[str, dict[str, str]]:
    """``"name:k=v,k2=v2"`` -> ``("name", {"k": "v", "k2": "v2"})``."""
    name, _, rest = spec.partition(":")
    options: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{spec!r}: expected key=value after ':', got {item!r}")
        options[key.strip()] = value.strip()
    return name.strip(), options


def parse_key_values(items: list[str] | None, option: str) -> dict[str, str]:
    """Repeated ``--option key=value`` values -> a dict."""
    options: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{option} {item!r}: expected key=value")
        options[key.strip()] = value.strip()
    return options


def build_parameters(params_type: type[ParamsT], raw: Mapping[str, Any], owner: str) -> ParamsT:
    """Instantiate ``params_type`` from text values, converted by the type of each default."""
    defaults = params_type()
    fields = {field.name for field in dataclasses.fields(params_type)}
    values = {}
    for key, value in raw.items():
        if key not in fields:
            valid = ", ".join(sorted(fields)) or "none"
            raise UsageError(f"{owner}: unknown parameter {key!r}; valid parameters: {valid}")
        values[key] = _convert(value, getattr(defaults, key), f"{owner}: parameter {key}={value!r}")
    return dataclasses.replace(defaults, **values)


def _convert(value: Any, default: Any, context: str) -> Any:
    if not isinstance(value, str):
        return value
    try:
        if isinstance(default, bool):
            lowered = value.lower()
            if lowered not in {"true", "false", "1", "0", "yes", "no"}:
                raise ValueError(value)
            return lowered in {"true", "1", "yes"}
        if isinstance(default, tuple):
            return tuple(type(item)(part) for item, part in zip(default, value.split("x"), strict=True))
        if default is None:
            return value
        return type(default)(value)
    except ValueError:
        expected = "NxM" if isinstance(default, tuple) else type(default).__name__
        raise UsageError(f"{context} is not a valid {expected}") from None


def require_at_least(owner: str, params: Any, minimum: float, *names: str) -> None:
    """Refuse ``params`` whose fields ``names`` fall below ``minimum``: one line naming the parameter."""
    for name in names:
        value = getattr(params, name)
        if value < minimum:
            raise UsageError(f"{owner}: parameter {name}={value} must be at least {minimum}")


def require_choice(owner: str, name: str, value: str, choices: tuple[str, ...]) -> None:
    """Refuse a text parameter outside ``choices``: one line naming the parameter and the valid values."""
    if value not in choices:
        raise UsageError(f"{owner}: parameter {name}={value!r} is not one of {', '.join(choices)}")
