"""Built-in SER model plugins."""

from bsbench_plugins.models.crnn import CrnnPlugin
from bsbench_plugins.models.hf_audio import HFAudioPlugin
from bsbench_plugins.models.resnet_small import ResNetSmallPlugin
from bsbench_plugins.models.wav_cnn import WavCnnPlugin

from bsbench.plugin import hookimpl


@hookimpl
def bsbench_register_models(register):
    register(ResNetSmallPlugin())
    register(HFAudioPlugin())
    register(CrnnPlugin())
    register(WavCnnPlugin())
