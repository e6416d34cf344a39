"""bsbench: is your speech emotion explanation faithful to the model and plausible to a voice scientist?"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bsbench")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"
