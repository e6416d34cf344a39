"""Built-in acoustic cue extractors."""

from bsbench_plugins.cues.librosa_cues import LibrosaCues

from bsbench.hookspecs import hookimpl


@hookimpl
def bsbench_register_cues(register):
    register(LibrosaCues())
