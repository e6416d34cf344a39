"""Built-in saliency / attribution methods."""

from bsbench_plugins.methods.crp import CrpMethod
from bsbench_plugins.methods.gradcam import GradCamMethod
from bsbench_plugins.methods.occlusion import OcclusionMethod
from bsbench_plugins.methods.random_baseline import RandomMethod

from bsbench.hookspecs import hookimpl


@hookimpl
def bsbench_register_methods(register):
    for method in (CrpMethod(), GradCamMethod(), OcclusionMethod(), RandomMethod()):
        register(method)
