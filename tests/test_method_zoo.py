"""Every built-in method on a CNN, a CRNN and a raw-waveform model: what makes each one itself.

The contract every method honours is checked in test_contracts.py.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from bsbench_plugins.methods.crp import CrpParameters

from bsbench.core.parameters import build_parameters
from bsbench.core.types import Explanation
from bsbench.cues.windows import relevance_over_time, salient_windows
from bsbench.interfaces.protocols import Attribution, LoadedModel, as_attribution
from bsbench.models.store import trained_model
from bsbench.registry.loader import Registry
from tests.conftest import QUICK_METHOD_PARAMETERS

CPU = torch.device("cpu")


@pytest.fixture(scope="module", params=["resnet-small", "crnn", "wav-cnn"])
def model(request, registry: Registry, small_corpus) -> LoadedModel:
    plugin = registry.get("model", request.param)
    return trained_model(
        plugin, small_corpus, seed=0, device=CPU, config=replace(plugin.training, epochs=2), show_progress=False
    )


@pytest.fixture(scope="module")
def batch(model, small_corpus):
    inputs = model.features(small_corpus.split("test")[:2])
    return inputs, model.logits(inputs).argmax(dim=1)


def explain(registry, model, inputs, targets, name, seed=0, **raw):
    method = registry.get("method", name)
    params = build_parameters(method.parameters, {**QUICK_METHOD_PARAMETERS.get(name, {}), **raw}, name)
    return as_attribution(method.explain(model, inputs, targets, params, seed)).relevance


@pytest.mark.parametrize("name", ["gradient-shap", "smoothgrad", "random"])
def test_stochastic_methods_follow_the_seed(registry, model, batch, name):
    inputs, targets = batch
    seeded = explain(registry, model, inputs, targets, name, seed=1)
    assert not np.array_equal(seeded, explain(registry, model, inputs, targets, name, seed=2))
    state = torch.random.get_rng_state()
    explain(registry, model, inputs, targets, name, seed=1)
    assert torch.equal(state, torch.random.get_rng_state()), "the caller's random generator was used"


def test_integrated_gradients_sum_to_the_logit_change(registry, model, batch):
    inputs, targets = batch
    relevance = explain(registry, model, inputs, targets, "integrated-gradients", steps="64")
    floor = inputs.amin(dim=(1, 2, 3), keepdim=True).expand_as(inputs)
    rows = torch.arange(len(targets))
    change = (model.logits(inputs)[rows, targets] - model.logits(floor)[rows, targets]).numpy()
    np.testing.assert_allclose(relevance.sum(axis=(1, 2)), change, rtol=0.02, atol=0.02)


def test_lrp_epsilon_conserves_the_logit(registry, small_model, small_corpus):
    """On resnet-small, where every layer has a rule (zennit has none for a GRU, attention or functional pooling)."""
    inputs = small_model.features(small_corpus.split("test")[:2])
    targets = small_model.logits(inputs).argmax(dim=1)
    relevance = explain(registry, small_model, inputs, targets, "lrp", composite="epsilon")
    logits = small_model.logits(inputs)[torch.arange(len(targets)), targets].numpy()
    # the epsilon rule conserves relevance up to what biases (and merged batch norms) absorb
    np.testing.assert_allclose(relevance.sum(axis=(1, 2)), logits, rtol=0.25, atol=0.25)


@pytest.mark.parametrize(
    "composite", ["epsilon-plus-flat", "epsilon-gamma-box", "epsilon-plus", "epsilon-alpha2-beta1"]
)
def test_lrp_composites_differ(registry, model, batch, composite):
    inputs, targets = batch
    chosen = explain(registry, model, inputs, targets, "lrp", composite=composite)
    if composite != "epsilon-plus-flat":
        assert not np.allclose(chosen, explain(registry, model, inputs, targets, "lrp"))
    assert np.isfinite(chosen).all() and np.abs(chosen).sum() > 0


def test_unknown_lrp_composite_is_named(registry, model, batch):
    from bsbench.core.errors import UsageError

    with pytest.raises(UsageError, match="composite 'alpha' is not one of epsilon-plus-flat"):
        explain(registry, model, *batch, "lrp", composite="alpha")


def test_crp_reports_the_top_concepts_of_a_layer(registry, model, batch):
    inputs, targets = batch
    method = registry.get("method", "crp")
    output = method.explain(model, inputs, targets, CrpParameters(top_k=3), 0)
    assert isinstance(output, Attribution) and len(output.details) == 2
    for details in output.details:
        assert details["concept_layer"] == model.plugin.explain_layer
        concepts = details["top_concepts"]
        relevances = [c["relevance"] for c in concepts]
        assert len(concepts) == 3 and len({c["channel"] for c in concepts}) == 3
        assert relevances == sorted(relevances, reverse=True)
        assert 0 < sum(c["share"] for c in concepts) <= 1 + 1e-9
    silent = method.explain(model, inputs, targets, CrpParameters(top_k=0), 0)
    assert silent.details == () and np.allclose(silent.relevance, output.relevance)


def test_feature_ablation_is_constant_on_each_patch(registry, model, batch):
    if model.frontend.grid.n_bins == 0:
        pytest.skip("a waveform has no frequency patches")
    inputs, targets = batch
    relevance = explain(registry, model, inputs, targets, "feature-ablation")
    assert np.unique(relevance[0, :16, :10]).size == 1 and np.unique(relevance[0, 16:32, :10]).size == 1
    # 128 rows x 134 frames in 16 x 10 patches: 8 x 14 patches, the last column 4 frames wide
    assert (
        registry.get("method", "feature-ablation").model_passes(
            build_parameters(registry.get("method", "feature-ablation").parameters, {}, "fa"), model.frontend.grid
        )
        == 2 + 8 * 14
    )


def test_occlusion_time_is_constant_over_frequency(registry, model, batch):
    inputs, targets = batch
    relevance = explain(registry, model, inputs, targets, "occlusion-time")
    assert np.allclose(relevance, relevance[:, :1, :])
    assert not np.allclose(relevance[0, 0], relevance[0, 0, 0])


def test_waveform_relevance_is_pooled_onto_10_ms_frames(registry, small_corpus):
    plugin = registry.get("model", "wav-cnn")
    wav_model = trained_model(
        plugin, small_corpus, seed=0, device=CPU, config=replace(plugin.training, epochs=2), show_progress=False
    )
    inputs = wav_model.features(small_corpus.split("test")[:1])
    targets = wav_model.logits(inputs).argmax(dim=1)
    relevance = explain(registry, wav_model, inputs, targets, "input-x-gradient")[0]
    explanation = Explanation("c", relevance, wav_model.frontend.grid, "input-x-gradient", int(targets[0]))
    pooled, seconds = relevance_over_time(explanation)
    assert pooled.shape == (1, 200) and seconds == pytest.approx(0.01)
    np.testing.assert_allclose(pooled[0, 3], relevance[0, 480:640].sum(), rtol=1e-5)
    windows = salient_windows(explanation)
    assert len(windows) == 5 and np.allclose(np.diff(windows, axis=1), 0.15)
