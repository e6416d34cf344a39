"""bsbench: is your speech emotion explanation faithful to the model and plausible to a voice scientist?"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bsbench")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

from bsbench.core.types import Clip, Corpus, CueTracks, Explanation, InputGrid, ResultRow
from bsbench.interfaces.hookspecs import hookimpl
from bsbench.registry.loader import PluginLoadWarning, PluginRecord, Registry, load_registry

__all__ = [
    "Clip",
    "Corpus",
    "CueTracks",
    "Explanation",
    "InputGrid",
    "PluginLoadWarning",
    "PluginRecord",
    "Registry",
    "ResultRow",
    "__version__",
    "hookimpl",
    "load_registry",
]
