"""Built-in explanation metrics."""

from bsbench.hookspecs import hookimpl
from bsbench_plugins.metrics.cue_salience import CueSalienceMetric
from bsbench_plugins.metrics.quantus_faithfulness import FaithfulnessCorrelationMetric, PixelFlippingMetric


@hookimpl
def bsbench_register_metrics(register):
    for metric in (FaithfulnessCorrelationMetric(), PixelFlippingMetric(), CueSalienceMetric()):
        register(metric)
