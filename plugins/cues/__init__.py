"""Built-in acoustic cue extractors."""

from bsbench_plugins.cues.egemaps_cues import EgemapsCues
from bsbench_plugins.cues.librosa_cues import LibrosaCues
from bsbench_plugins.cues.praat_cues import PraatCues

from bsbench.plugin import hookimpl


@hookimpl
def bsbench_register_cues(register):
    register(LibrosaCues())
    register(PraatCues())
    register(EgemapsCues())
