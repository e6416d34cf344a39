"""What makes the paper's three methods themselves (the contract every method honours is in test_method_zoo)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from bsbench.core.errors import UsageError
from bsbench.core.parameters import build_parameters
from bsbench.interfaces.protocols import as_attribution


@pytest.fixture(scope="module")
def batch(small_model, small_corpus):
    clips = small_corpus.split("test")[:3]
    inputs = small_model.features(clips)
    return inputs, small_model.logits(inputs).argmax(dim=1)


def explain(registry, model, batch, name, seed=0, **raw):
    method = registry.get("method", name)
    return as_attribution(method.explain(model, *batch, build_parameters(method.parameters, raw, name), seed)).relevance


def test_crp_relevance_is_conserved_and_target_specific(registry, small_model, batch):
    inputs, targets = batch
    relevance = explain(registry, small_model, batch, "crp")
    logits = small_model.logits(inputs)[torch.arange(3), targets].numpy()
    # EpsilonPlusFlat with merged batch norm and the residual Sum canonizer: relevance sums to about the logit
    # (without the Sum canonizer it overshoots about fourfold on the paper checkpoint)
    np.testing.assert_allclose(relevance.sum(axis=(1, 2)), logits, rtol=0.15, atol=0.1)
    other = explain(registry, small_model, (inputs, (targets + 1) % 7), "crp")
    assert not np.allclose(relevance, other)


def test_crp_concept_conditioning(registry, small_model, batch):
    whole = explain(registry, small_model, batch, "crp")
    concept = explain(registry, small_model, batch, "crp", layer="layer1.conv1", concept="35")
    assert concept.shape == whole.shape
    assert not np.allclose(concept, whole)
    assert np.abs(concept).sum() < np.abs(whole).sum()
    with pytest.raises(UsageError, match="parameter layer='layer9' names no layer"):
        explain(registry, small_model, batch, "crp", layer="layer9", concept="1")
    with pytest.raises(UsageError, match=re.escape("layer='layer1.conv1' is used only with concept")):
        explain(registry, small_model, batch, "crp", layer="layer1.conv1")
    with pytest.raises(UsageError, match="concept 99 >= 64 channels"):
        explain(registry, small_model, batch, "crp", layer="layer1.conv1", concept="99")


def test_gradcam_layer_choice(registry, small_model, batch):
    coarse = explain(registry, small_model, batch, "gradcam")
    fine = explain(registry, small_model, batch, "gradcam", layer="layer1.conv2")
    assert coarse.min() >= 0 and not np.allclose(coarse, fine)


def test_occlusion_floor_baseline_is_silence(registry, small_model, batch):
    inputs, targets = batch
    one = (inputs[:1], targets[:1])
    floor = explain(registry, small_model, one, "occlusion", window="32x20", stride="32x20")
    zero = explain(registry, small_model, one, "occlusion", window="32x20", stride="32x20", baseline="zero")
    assert floor.shape == (1, 128, 134)
    # one value per occluded patch: the map is constant inside each 32x20 window
    assert np.unique(floor[0, :32, :20]).size == 1
    assert not np.allclose(floor, zero)
    with pytest.raises(UsageError, match="baseline 'loud' is not one of floor, zero, mean"):
        explain(registry, small_model, one, "occlusion", baseline="loud")
