"""Built-in SER model plugins."""

from bsbench_plugins.models.resnet_small import ResNetSmallPlugin

from bsbench.hookspecs import hookimpl


@hookimpl
def bsbench_register_models(register):
    register(ResNetSmallPlugin())
