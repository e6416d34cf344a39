"""The ``hf-audio`` model plugin: Hugging Face waveform classifiers (wav2vec 2.0, HuBERT, WavLM ...)."""

from bsbench_plugins.models.hf_audio.loading import NEEDS_TRANSFORMERS
from bsbench_plugins.models.hf_audio.plugin import NEEDS_SOURCE, HFAudioClassifier, HFAudioPlugin

__all__ = ["NEEDS_SOURCE", "NEEDS_TRANSFORMERS", "HFAudioClassifier", "HFAudioPlugin"]
