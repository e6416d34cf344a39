"""Built-in saliency / attribution methods."""

from bsbench_plugins.methods.crp import CrpMethod
from bsbench_plugins.methods.feature_ablation import FeatureAblationMethod
from bsbench_plugins.methods.gradcam import GradCamMethod
from bsbench_plugins.methods.gradients import GRADIENT_METHODS
from bsbench_plugins.methods.lrp import LrpMethod
from bsbench_plugins.methods.occlusion import OcclusionMethod, OcclusionTimeMethod
from bsbench_plugins.methods.random_baseline import ConstantMethod, RandomMethod
from bsbench_plugins.methods.signal_baselines import EnergyMethod, SpectralFluxMethod

from bsbench.plugin import hookimpl


@hookimpl
def bsbench_register_methods(register):
    for method_type in (
        *GRADIENT_METHODS,
        GradCamMethod,
        OcclusionMethod,
        OcclusionTimeMethod,
        FeatureAblationMethod,
        LrpMethod,
        CrpMethod,
        RandomMethod,
        ConstantMethod,
        EnergyMethod,
        SpectralFluxMethod,
    ):
        register(method_type())
