"""What a user's ``pip install bsbench`` gets: every module and data file of the source tree, in the wheel."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOT_SOURCE = (".git", ".venv", "build", "*.egg-info", "__pycache__", "runs", "examples", "benchmarks")


def test_the_wheel_ships_every_module_and_data_file(tmp_path):
    """Packages are listed by hand in pyproject.toml: a new subpackage left off the list works in an editable
    install (the tests') and is missing from every real one."""
    # a fresh copy: setuptools reuses a build/ folder, which would hide a package dropped from the list
    tree = shutil.copytree(ROOT, tmp_path / "source", ignore=shutil.ignore_patterns(*NOT_SOURCE))
    command = ["wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(tree)]
    built = subprocess.run([sys.executable, "-m", "pip", *command], capture_output=True, text=True)
    if built.returncode != 0 and "No module named" in built.stderr:
        pytest.skip(f"cannot build a wheel here: {built.stderr.strip().splitlines()[-1]}")
    assert built.returncode == 0, built.stderr[-2000:]
    [wheel] = tmp_path.glob("bsbench-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    source = {f"bsbench/{p.relative_to(ROOT / 'bsbench')}" for p in (ROOT / "bsbench").rglob("*.py")}
    source |= {f"bsbench_plugins/{p.relative_to(ROOT / 'plugins')}" for p in (ROOT / "plugins").rglob("*.py")}
    source |= {f"bsbench_plugins/{p.relative_to(ROOT / 'plugins')}" for p in (ROOT / "plugins").rglob("*.json")}
    source.add("bsbench_pytest.py")
    assert not sorted(source - shipped)
    entry_points = next(name for name in shipped if name.endswith("entry_points.txt"))
    assert "[pytest11]\nbsbench = bsbench_pytest" in zipfile.ZipFile(wheel).read(entry_points).decode()
