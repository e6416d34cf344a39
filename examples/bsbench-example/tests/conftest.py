"""Keep the example's tests away from the user's bsbench cache."""

from __future__ import annotations

from pathlib import Path

import pytest

try:
    import bsbench_example  # noqa: F401
except ImportError:  # one clear line instead of an import error in every test module
    raise pytest.UsageError(
        "examples/bsbench-example is not installed: pip install -e examples/bsbench-example (as the README says)"
    ) from None


@pytest.fixture(autouse=True, scope="session")
def example_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bsbench-example-cache")
    patcher = pytest.MonkeyPatch()
    patcher.setenv("BSBENCH_CACHE", str(root))
    yield root
    patcher.undo()
