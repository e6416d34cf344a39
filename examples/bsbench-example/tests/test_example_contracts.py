"""The example plugins against bsbench's contract: one base class each, one fixture overridden."""

from __future__ import annotations

import pytest
from bsbench_example.cues import EnergyCues
from bsbench_example.dataset import HumDataset
from bsbench_example.method import DeconvolutionMethod
from bsbench_example.metric import TopDecileShareMetric
from bsbench_example.model import TinyCnnPlugin
from bsbench_example.profile import ArousalBasicsProfile

from bsbench.testing import (
    CheckContext,
    CueExtractorContract,
    DatasetContract,
    MethodContract,
    MetricContract,
    ModelContract,
    ProfileContract,
)


class TestHumDataset(DatasetContract):
    @pytest.fixture
    def plugin(self):
        return HumDataset()


class TestTinyCnn(ModelContract):
    @pytest.fixture
    def plugin(self):
        return TinyCnnPlugin()


class TestDeconvolution(MethodContract):
    @pytest.fixture
    def plugin(self):
        return DeconvolutionMethod()


@pytest.fixture(scope="module")
def tiny_cnn_context() -> CheckContext:
    """Checks of methods on the example's own network instead of the default resnet-small."""
    return CheckContext(model_plugin=TinyCnnPlugin())


class TestDeconvolutionOnTinyCnn(MethodContract):
    """The same method on another network: override ``check_context`` to change what methods run on."""

    @pytest.fixture
    def plugin(self):
        return DeconvolutionMethod()

    @pytest.fixture
    def check_context(self, tiny_cnn_context):
        return tiny_cnn_context


class TestEnergyCues(CueExtractorContract):
    @pytest.fixture
    def plugin(self):
        return EnergyCues()


class TestTopDecileShare(MetricContract):
    @pytest.fixture
    def plugin(self):
        return TopDecileShareMetric()


class TestArousalBasics(ProfileContract):
    @pytest.fixture
    def plugin(self):
        return ArousalBasicsProfile()
