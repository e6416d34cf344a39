"""A digest of a plugin's code, so cached pieces follow an edit even when the version was not bumped.

A plugin's ``version`` is part of every cache key, but editing an installed plugin
without bumping it is the ordinary way of developing one, and it must not serve results
of the old code. Like ``joblib.Memory``, which hashes a function's code, the piece keys
hold a digest of the plugin's source: the modules defining the plugin's class, its base
classes and its parameters, and the modules of its own package those import from
directly (the helpers it calls). Modules of other distributions (torch, captum, bsbench
itself) are versioned by their distribution and are left out, as is anything deeper
than one import: a digest of a whole package would recompute every plugin on any edit.
"""

from __future__ import annotations

import functools
import hashlib
import sys
from pathlib import Path
from types import ModuleType


def code_digest(plugin: object) -> str:
    """A short hash of the source files ``plugin``'s behaviour is read from (see the module docstring)."""
    parameters = getattr(plugin, "parameters", None)
    owners = [type(plugin)] + ([parameters] if isinstance(parameters, type) else [])
    return _digest(tuple(owners))


@functools.cache
def _digest(owners: tuple[type, ...]) -> str:
    digest = hashlib.sha256()
    for name in sorted(_modules_of(owners)):
        digest.update(name.encode())
        digest.update(_source(sys.modules.get(name)))
    return digest.hexdigest()[:16]


def _modules_of(owners: tuple[type, ...]) -> set[str]:
    defining = {cls.__module__ for owner in owners for cls in owner.__mro__ if cls.__module__ != "builtins"}
    package = _package(owners[0])
    found = {name for name in defining if _in_package(name, package)}
    for name in list(found):
        module = sys.modules.get(name)
        for value in vars(module).values() if module else ():
            imported = value.__name__ if isinstance(value, ModuleType) else getattr(value, "__module__", None)
            if isinstance(imported, str) and _in_package(imported, package):
                found.add(imported)
    return found


def _package(cls: type) -> str:
    """The top-level package a class comes from: ``bsbench_plugins`` for ``bsbench_plugins.methods.crp``."""
    return cls.__module__.partition(".")[0]


def _in_package(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _source(module: ModuleType | None) -> bytes:
    """The module's source file, or nothing for a module without one (``__main__`` of a notebook)."""
    path = getattr(module, "__file__", None)
    if not path or not Path(path).is_file():
        return b""
    return Path(path).read_bytes()
