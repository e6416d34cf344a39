"""Contract tests for plugin authors: the checks every plugin of a kind must pass.

Three ways to run them, all on the same check functions:

- pytest base classes: subclass :class:`MethodContract` (or the class of your plugin's
  kind), override the ``plugin`` fixture, and inherit one test per check;
- :func:`parametrize_with_checks` for many plugins in one test function;
- ``bsbench check NAME`` on the command line, without pytest: a pass/fail table.

The checks are listed by ``bsbench check --list`` and in CONTRIBUTING.md.
"""

from bsbench.contracts.catalogue import checks_for
from bsbench.contracts.context import CheckContext
from bsbench.contracts.contract import Check, CheckResult, ContractViolation, NotApplicable, expect, run_check
from bsbench.testing.bases import (
    CueExtractorContract,
    DatasetContract,
    ExecutorContract,
    MethodContract,
    MetricContract,
    ModelContract,
    PluginContract,
    ProfileContract,
)
from bsbench.testing.parametrize import parametrize_with_checks

__all__ = [
    "Check",
    "CheckContext",
    "CheckResult",
    "ContractViolation",
    "CueExtractorContract",
    "DatasetContract",
    "ExecutorContract",
    "MethodContract",
    "MetricContract",
    "ModelContract",
    "NotApplicable",
    "PluginContract",
    "ProfileContract",
    "checks_for",
    "expect",
    "parametrize_with_checks",
    "run_check",
]
