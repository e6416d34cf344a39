"""bsbench's pytest plugin (entry point ``pytest11``): the shared contract-check context fixture.

Installed with bsbench, so any project's tests can subclass :mod:`bsbench.testing`'s
base classes without a conftest. It is a top-level module on purpose: pytest imports
every ``pytest11`` plugin at the start of every session of every project, and a module
inside the ``bsbench`` package would import bsbench, torch and librosa with it (3.5 s
on each pytest start, measured); this one imports only pytest until a test asks for
the fixture.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def bsbench_check_context():
    """One :class:`bsbench.testing.CheckContext` for the session: the corpus, model and batch are built once."""
    from bsbench.contracts.context import CheckContext

    return CheckContext()
