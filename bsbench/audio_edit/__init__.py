"""Editing audio the model will hear: resynthesis from a masked STFT on the model's own frames.

Removal metrics (``removal=audio``) take cells of a spectrogram away by silencing them
in the short-time Fourier transform of the original waveform, keeping its phase, and
let the model's front end read the resynthesised waveform: the model only ever sees
spectrograms of real audio. Listening to explanations and window-local cue
interventions build on the same resynthesis.
"""

from bsbench.audio_edit.resynthesis import Resynthesis, resynthesis_for, unsupported_reason

__all__ = ["Resynthesis", "resynthesis_for", "unsupported_reason"]
