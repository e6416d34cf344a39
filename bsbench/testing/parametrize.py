"""``parametrize_with_checks``: every check of every plugin given, as one pytest parameter each."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pytest

from bsbench.contracts.catalogue import checks_for
from bsbench.contracts.context import CheckContext
from bsbench.contracts.contract import Check
from bsbench.core.errors import UsageError
from bsbench.registry.loader import KINDS, missing_members
from bsbench.testing.pytest_support import run_as_test


class BoundCheck:
    """A check with the expected failures declared for one plugin: call it with the plugin and a context."""

    def __init__(self, check: Check, expected: Mapping[str, str]) -> None:
        self.check = check
        self.expected = dict(expected)

    def __call__(self, plugin: Any, context: CheckContext) -> None:
        __tracebackhide__ = True
        run_as_test(self.check, plugin, context, self.expected)

    def __repr__(self) -> str:
        return self.check.name


def kind_of(plugin: Any) -> str:
    """The one kind whose protocol members ``plugin`` carries; a usage error when none or several fit.

    Only the members count: a plugin of the right shape with a bad value (a name with
    spaces, a cue outside the vocabulary) is then failed by ``metadata-complete``, which
    says what is wrong, instead of having no kind at all.
    """
    kinds = [kind for kind in KINDS if not missing_members(kind, plugin)]
    if len(kinds) != 1:
        found = "none" if not kinds else ", ".join(kinds)
        raise UsageError(
            f"{plugin!r}: cannot tell its plugin kind (protocols it has the members of: {found}); pass kind="
        )
    return kinds[0]


def parametrize_with_checks(
    plugins: Iterable[Any],
    *,
    kind: str | None = None,
    expected_failures: Mapping[str, str] | Callable[[Any], Mapping[str, str]] | None = None,
) -> pytest.MarkDecorator:
    """Parametrise a test over ``(plugin, check)`` for every check of every plugin.

    ::

        @parametrize_with_checks([MyMethod(), MyMetric()])
        def test_my_plugins(plugin, check, bsbench_check_context):
            check(plugin, bsbench_check_context)

    Test ids read ``method-my-method-respects-the-target``. ``expected_failures`` maps a
    check name to a reason, for every plugin, or is a function of the plugin returning
    such a mapping; plugins' own ``expected_check_failures`` apply as well.
    """
    params = []
    for plugin in plugins:
        plugin_kind = kind or kind_of(plugin)
        declared = expected_failures(plugin) if callable(expected_failures) else (expected_failures or {})
        for check in checks_for(plugin_kind):
            ident = f"{plugin_kind}-{plugin.name}-{check.name}"
            params.append(pytest.param(plugin, BoundCheck(check, declared), id=ident))
    return pytest.mark.parametrize(("plugin", "check"), params)
