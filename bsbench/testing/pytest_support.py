"""Running a contract check as a pytest test: pass, fail with the check's message, xfail, or skip."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from bsbench.contracts.context import CheckContext
from bsbench.contracts.contract import Check, ContractViolation, declared_failures, run_check, violation_text


def run_as_test(check: Check, plugin: Any, context: CheckContext, expected: Mapping[str, str] | None = None) -> None:
    """One check as one test outcome; the failure message names the check, the plugin and the expectation."""
    __tracebackhide__ = True  # the author needs the message, not this module's frames
    result = run_check(check, plugin, context, declared_failures(plugin, expected))
    if result.status == "not applicable":
        pytest.skip(f"{check.name}: {result.detail}")
    if result.status == "expected failure":
        pytest.xfail(f"{check.name}: {result.detail}")
    if result.failed:
        raise ContractViolation(violation_text(check, plugin, result.detail))
