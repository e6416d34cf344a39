"""Built-in acoustic cue extractors."""

from bsbench.hookspecs import hookimpl
from bsbench_plugins.cues.librosa_cues import LibrosaCues


@hookimpl
def bsbench_register_cues(register):
    register(LibrosaCues())
