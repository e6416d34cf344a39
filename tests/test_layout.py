"""The core's subpackages are stages with one-way imports, and plugins use only the public API.

A subpackage may import itself and the subpackages below it in :data:`STAGES`, never one above:
that keeps every arrow of the house pointing one way, so a stage can be read, tested and changed
without the ones that build on it. Imports under ``if TYPE_CHECKING:`` count too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import bsbench

PACKAGE = Path(bsbench.__file__).parent

#: Lowest first: each stage builds on the ones before it.
STAGES = (
    "core",
    "audio",
    "interfaces",
    "registry",
    "corpus",
    "models",
    "cues",
    "explain",
    "scoring",
    "results",
    "grid",
    "contracts",
    "testing",
    "report",
    "cli",
)


def _stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "bsbench" and parts[1] in STAGES else None


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return found


def _source_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.parent != PACKAGE)


def test_every_subpackage_is_a_stage_with_a_docstring():
    subpackages = sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py"))
    assert sorted(subpackages) == sorted(STAGES)
    for name in subpackages:
        docstring = ast.get_docstring(ast.parse((PACKAGE / name / "__init__.py").read_text()))
        assert docstring and len(docstring) > 40, f"bsbench/{name}/__init__.py says what the stage owns"


def test_the_top_level_holds_only_the_package_entry_points():
    assert sorted(p.name for p in PACKAGE.glob("*.py")) == ["__init__.py", "__main__.py", "plugin.py"]


@pytest.mark.parametrize("path", _source_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down_the_stages(path: Path):
    own = path.relative_to(PACKAGE).parts[0]
    upward = [
        f"line {line}: {module}"
        for line, module in _imports(path)
        if (stage := _stage(module)) is not None and STAGES.index(stage) > STAGES.index(own)
    ]
    assert not upward, f"bsbench/{path.relative_to(PACKAGE)} ({own}) imports a later stage: {upward}"


REPOSITORY = PACKAGE.parent
PLUGIN_PACKAGES = {
    "bsbench_plugins": REPOSITORY / "plugins",
    "bsbench_example": REPOSITORY / "examples" / "bsbench-example" / "bsbench_example",
}


def _plugin_files() -> list[tuple[str, Path]]:
    return [(name, path) for name, root in PLUGIN_PACKAGES.items() for path in sorted(root.rglob("*.py"))]


@pytest.mark.parametrize(("package", "path"), _plugin_files(), ids=lambda value: getattr(value, "name", value))
def test_plugins_import_only_the_public_api(package: str, path: Path):
    """A plugin reaches bsbench through ``bsbench.plugin`` alone (its own package aside)."""
    private = [
        f"line {line}: {module}"
        for line, module in _imports(path)
        if module.split(".")[0] == "bsbench" and not module.startswith("bsbench.plugin")
    ]
    assert not private, f"{path.relative_to(REPOSITORY)} imports bsbench outside bsbench.plugin: {private}"


def test_the_public_api_exports_what_it_names():
    import bsbench.plugin

    missing = [name for name in bsbench.plugin.__all__ if not hasattr(bsbench.plugin, name)]
    assert not missing
    assert len(set(bsbench.plugin.__all__)) == len(bsbench.plugin.__all__)
    public = {name for name in vars(bsbench.plugin) if name.isidentifier() and not name.startswith("_")}
    defined = public - {"annotations"}
    assert defined == set(bsbench.plugin.__all__), "every name bsbench.plugin holds is declared in __all__"


def test_a_module_outside_the_api_is_caught(tmp_path: Path):
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("from bsbench.grid.runner import RunConfig\nfrom bsbench.plugin import Clip\n")
    assert [module for _, module in _imports(sneaky) if not module.startswith("bsbench.plugin")] == [
        "bsbench.grid.runner",
        "bsbench.grid.runner.RunConfig",
    ]
