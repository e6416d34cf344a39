"""Built-in explanation metrics."""

from bsbench_plugins.metrics.audio_fidelity import (
    AverageDropMetric,
    AverageGainMetric,
    AverageIncreaseMetric,
    InputFidelityMetric,
)
from bsbench_plugins.metrics.cue_intervention import CueInterventionMetric
from bsbench_plugins.metrics.cue_overlap import CueOverlapMetric
from bsbench_plugins.metrics.cue_plausibility import CuePlausibilityMetric
from bsbench_plugins.metrics.cue_recovery import CueRecoveryMetric
from bsbench_plugins.metrics.cue_relevance import CueRelevanceCorrelationMetric
from bsbench_plugins.metrics.cue_salience import CueSalienceMetric
from bsbench_plugins.metrics.quantus_complexity import ComplexityMetric, SparsenessMetric
from bsbench_plugins.metrics.quantus_faithfulness import (
    FaithfulnessCorrelationMetric,
    MonotonicityCorrelationMetric,
    PixelFlippingMetric,
    SufficiencyMetric,
)
from bsbench_plugins.metrics.quantus_localisation import (
    AUCMetric,
    PointingGameMetric,
    RelevanceMassAccuracyMetric,
    RelevanceRankAccuracyMetric,
    TopKIntersectionMetric,
)
from bsbench_plugins.metrics.quantus_randomisation import EfficientMPRTMetric, RandomLogitMetric
from bsbench_plugins.metrics.quantus_robustness import AvgSensitivityMetric, MaxSensitivityMetric
from bsbench_plugins.metrics.road import RoadMetric

from bsbench.plugin import hookimpl


@hookimpl
def bsbench_register_metrics(register):
    for metric in (
        FaithfulnessCorrelationMetric(),
        PixelFlippingMetric(),
        MonotonicityCorrelationMetric(),
        SufficiencyMetric(),
        RoadMetric(),
        AverageIncreaseMetric(),
        AverageDropMetric(),
        AverageGainMetric(),
        InputFidelityMetric(),
        CueSalienceMetric(),
        CuePlausibilityMetric(),
        CueInterventionMetric(),
        CueRelevanceCorrelationMetric(),
        CueRecoveryMetric(),
        CueOverlapMetric(),
        RelevanceMassAccuracyMetric(),
        RelevanceRankAccuracyMetric(),
        PointingGameMetric(),
        TopKIntersectionMetric(),
        AUCMetric(),
        MaxSensitivityMetric(),
        AvgSensitivityMetric(),
        EfficientMPRTMetric(),
        RandomLogitMetric(),
        SparsenessMetric(),
        ComplexityMetric(),
    ):
        register(metric)
