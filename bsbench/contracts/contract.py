"""What a contract check is, how one runs, and what it reports.

A check is a plain function ``(plugin, context) -> None`` that raises
:class:`ContractViolation` with the expectation it found broken, or
:class:`NotApplicable` when the plugin lacks what the check looks at (an optional
member, data on disk). The same functions back three front ends: the pytest base
classes, :func:`bsbench.testing.parametrize_with_checks` and ``bsbench check``, so a
plugin passes or fails the same way everywhere.

A plugin may declare checks it is known to fail, with the reason, in an
``expected_check_failures`` mapping (``{"respects-target": "ignores the model by
design"}``). A declared failure is reported as expected; a declared check that
passes is reported as a failure, so stale declarations do not hide regressions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bsbench.core.errors import UsageError, describe_error

if TYPE_CHECKING:
    from bsbench.contracts.context import CheckContext

#: The outcomes that fail a plugin (the others: pass, expected failure, not applicable).
FAILING = frozenset({"fail", "unexpected pass"})


class ContractViolation(AssertionError):
    """A plugin broke an expectation of its kind; the message names the check, the plugin and the expectation."""


class NotApplicable(Exception):
    """The check has nothing to look at for this plugin (an optional member it does not have, data it needs)."""


def expect(condition: object, expectation: str) -> None:
    """Raise :class:`ContractViolation` saying ``expectation`` unless ``condition`` holds.

    Checks use this rather than ``assert``: ``python -O`` strips asserts, and
    ``bsbench check`` must never pass a plugin because of an interpreter flag.
    """
    if not condition:
        raise ContractViolation(expectation)


@dataclass(frozen=True)
class Check:
    """One expectation of one plugin kind."""

    kind: str
    #: Kebab-case, unique within the kind: the test id and the ``expected_check_failures`` key.
    name: str
    function: Callable[[Any, CheckContext], None]

    @property
    def summary(self) -> str:
        """The first line of the check function's docstring: what it expects, in words."""
        return (self.function.__doc__ or "").strip().splitlines()[0]


@dataclass(frozen=True)
class CheckResult:
    kind: str
    plugin: str
    check: str
    #: pass, fail, expected failure, unexpected pass or not applicable.
    status: str
    #: Why it failed, was expected to fail or did not apply ("" for a pass).
    detail: str = ""
    #: The distribution that registered the plugin ("" for a plugin checked as an object, not by name).
    package: str = ""

    @property
    def failed(self) -> bool:
        return self.status in FAILING


def declared_failures(plugin: Any, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Checks ``plugin`` is known to fail, with reasons: its own declarations, then ``extra``."""
    return {**dict(getattr(plugin, "expected_check_failures", {}) or {}), **dict(extra or {})}


def violation_text(check: Check, plugin: Any, detail: str) -> str:
    """``method 'x' fails respects-target: expected ...``: the check, the plugin and the expectation in one line."""
    return f"{check.kind} {getattr(plugin, 'name', type(plugin).__name__)!r} fails {check.name}: {detail}"


def run_check(check: Check, plugin: Any, context: CheckContext, declared: Mapping[str, str]) -> CheckResult:
    """Run one check and classify the outcome; a plugin raising inside a check is a failure of that check."""
    name = str(getattr(plugin, "name", type(plugin).__name__))
    reason = declared.get(check.name)
    try:
        check.function(plugin, context)
    except NotApplicable as skipped:
        return CheckResult(check.kind, name, check.name, "not applicable", str(skipped))
    except UsageError as error:  # the plugin needs settings the check was not given (a data folder, a source)
        return CheckResult(check.kind, name, check.name, "not applicable", f"needs configuration: {error}")
    except ContractViolation as violation:
        detail = str(violation)
    except Exception as error:  # the plugin's own code raised: that breaks the contract too
        detail = f"raised {describe_error(error)}"
    else:
        if reason is not None:
            detail = f"declared as failing ({reason}) but passes: remove the declaration"
            return CheckResult(check.kind, name, check.name, "unexpected pass", detail)
        return CheckResult(check.kind, name, check.name, "pass")
    if reason is not None:
        return CheckResult(check.kind, name, check.name, "expected failure", f"{reason} ({detail})")
    return CheckResult(check.kind, name, check.name, "fail", detail)
