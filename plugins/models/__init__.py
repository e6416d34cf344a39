"""Built-in SER model plugins."""

from bsbench.hookspecs import hookimpl
from bsbench_plugins.models.resnet_small import ResNetSmallPlugin


@hookimpl
def bsbench_register_models(register):
    register(ResNetSmallPlugin())
