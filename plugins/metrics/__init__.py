"""Built-in explanation metrics."""

from bsbench_plugins.metrics.cue_salience import CueSalienceMetric
from bsbench_plugins.metrics.quantus_faithfulness import FaithfulnessCorrelationMetric, PixelFlippingMetric
from bsbench_plugins.metrics.quantus_localisation import RelevanceMassAccuracyMetric, RelevanceRankAccuracyMetric

from bsbench.hookspecs import hookimpl


@hookimpl
def bsbench_register_metrics(register):
    for metric in (
        FaithfulnessCorrelationMetric(),
        PixelFlippingMetric(),
        CueSalienceMetric(),
        RelevanceMassAccuracyMetric(),
        RelevanceRankAccuracyMetric(),
    ):
        register(metric)
