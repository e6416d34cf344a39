"""Base test classes, one per plugin kind: subclass one, override the ``plugin`` fixture, inherit every check.

::

    from bsbench.testing import MethodContract

    class TestMyMethod(MethodContract):
        @pytest.fixture
        def plugin(self):
            return MyMethod()

pytest then collects ``TestMyMethod::test_finite_maps_on_the_grid`` and one test per
check of the kind. ``expected_failures`` (check name -> reason) declares checks the
plugin is known to fail; override the ``check_context`` fixture to load a dataset from
your files or check a method on another model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import pytest

from bsbench.contracts.catalogue import checks_for
from bsbench.contracts.context import CheckContext
from bsbench.contracts.contract import Check
from bsbench.testing.pytest_support import run_as_test


class PluginContract:
    """What every base class shares: the fixtures an author overrides."""

    kind: ClassVar[str]
    #: Check name -> why this plugin is known to fail it (reported as xfail; a pass then fails).
    expected_failures: ClassVar[Mapping[str, str]] = {}

    @pytest.fixture
    def plugin(self) -> Any:
        raise NotImplementedError(f"override the `plugin` fixture of {type(self).__name__} to return your plugin")

    @pytest.fixture
    def check_context(self, bsbench_check_context: CheckContext) -> CheckContext:
        return bsbench_check_context


def _test_of(check: Check):
    def test(self: PluginContract, plugin: Any, check_context: CheckContext) -> None:
        __tracebackhide__ = True
        run_as_test(check, plugin, check_context, self.expected_failures)

    test.__name__ = "test_" + check.name.replace("-", "_")
    test.__doc__ = check.summary
    return test


def _contract_class(kind: str, class_name: str) -> type[PluginContract]:
    tests = {f"test_{check.name.replace('-', '_')}": _test_of(check) for check in checks_for(kind)}
    listing = "\n".join(f"- ``{check.name}``: {check.summary}" for check in checks_for(kind))
    doc = f"Every contract check of a {kind} plugin, one test each:\n\n{listing}\n"
    return type(class_name, (PluginContract,), {"kind": kind, "__doc__": doc, "__module__": __name__, **tests})


DatasetContract = _contract_class("dataset", "DatasetContract")
ModelContract = _contract_class("model", "ModelContract")
MethodContract = _contract_class("method", "MethodContract")
CueExtractorContract = _contract_class("cues", "CueExtractorContract")
MetricContract = _contract_class("metric", "MetricContract")
ProfileContract = _contract_class("profile", "ProfileContract")
ExecutorContract = _contract_class("executor", "ExecutorContract")
