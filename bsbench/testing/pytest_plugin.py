"""The pytest plugin of bsbench (entry point ``pytest11``): the shared check context fixture.

Installed with bsbench, so any project's tests can subclass :mod:`bsbench.testing`'s
base classes without a conftest. Heavy imports wait until a test asks for the fixture.
"""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("bsbench.testing")


@pytest.fixture(scope="session")
def bsbench_check_context():
    """One :class:`bsbench.testing.CheckContext` for the session: the corpus, model and batch are built once."""
    from bsbench.contracts.context import CheckContext

    return CheckContext()
