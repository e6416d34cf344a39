"""Every Quantus-backed metric scores what a plain Quantus call scores, and behaves as its definition says.

The equality tests are the reference check: for the same model, inputs, maps and
seed, bsbench's value must equal a direct Quantus call to 1e-6. Each direct call is
written out here with literal arguments (not built by the plugin), so a wrong
parameter in a plugin makes its test fail. Quick presets, four clips, cheap methods.
"""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pytest
import quantus
import torch
from bsbench_plugins.metrics.quantus_calls import ALL_ZERO_MAP
from bsbench_plugins.metrics.quantus_localisation import NO_EVIDENCE
from bsbench_plugins.metrics.quantus_robustness import sensitivities

from bsbench.core.errors import UsageError
from bsbench.core.types import Explanation
from bsbench.explain.method_plan import PlannedMethod, method_explainer
from bsbench.grid.runner import evidence_masks, select_clips
from bsbench.interfaces.protocols import DatasetRequest, ScoringBatch, as_attribution, as_scores, declared_metric_cost
from bsbench.scoring.plans import CONSTANT_MAP, plan_metrics, score_batch
from tests.conftest import SMALL_CORPUS

SEED = 7
CELLS = 128 * 134


@pytest.fixture(scope="module")
def explained(small_model, small_corpus, registry):
    """``batch_for(method)``: four test clips explained by ``method``, with its explainer; cached per method."""
    made: dict[tuple[str, bool], ScoringBatch] = {}
    localised = registry.get("dataset", "synthetic").load(
        DatasetRequest(seed=0, options={**SMALL_CORPUS, "placement": "localised"})
    )
    # happy, neutral, sad, surprise: three clips with evidence and one without.
    clip_sets = {False: small_corpus.split("test")[:4], True: select_clips(localised.split("test"), 7)[3:7]}

    def batch_for(method_name: str, with_masks: bool = False) -> ScoringBatch:
        if (method_name, with_masks) not in made:
            clips = clip_sets[with_masks]
            method = registry.get("method", method_name)
            inputs = small_model.features(clips)
            targets = small_model.logits(inputs).argmax(dim=1)
            relevance = as_attribution(method.explain(small_model, inputs, targets, method.parameters(), SEED))
            explanations = tuple(
                Explanation(c.clip_id, r, small_model.frontend.grid, method_name, int(t))
                for c, r, t in zip(clips, relevance.relevance, targets, strict=True)
            )
            planned = PlannedMethod(method_name, method, method.parameters())
            made[method_name, with_masks] = ScoringBatch(
                small_model,
                tuple(clips),
                inputs.numpy(),
                targets.numpy(),
                explanations,
                None,
                SEED,
                masks=evidence_masks(clips, small_model.frontend.grid) if with_masks else None,
                explainer=method_explainer(small_model, planned, SEED),
            )
        return made[method_name, with_masks]

    return batch_for


def maps_of(batch: ScoringBatch) -> np.ndarray:
    return np.stack([e.relevance for e in batch.explanations])[:, None]


def with_maps(batch: ScoringBatch, maps: np.ndarray) -> ScoringBatch:
    """``batch`` with its explanations replaced by ``maps`` (clips, bins, frames)."""
    explanations = tuple(
        dataclasses.replace(e, relevance=m.astype(np.float32)) for e, m in zip(batch.explanations, maps, strict=True)
    )
    return dataclasses.replace(batch, explanations=explanations)


def direct(metric: quantus.Metric, batch: ScoringBatch, a_batch: np.ndarray, s_batch: np.ndarray | None = None):
    """A plain Quantus call on ``batch``, NumPy seeded with the batch seed first."""
    np.random.seed(SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = metric(
            model=batch.model.network,
            x_batch=batch.inputs,
            y_batch=batch.targets,
            a_batch=a_batch,
            s_batch=s_batch,
            channel_first=True,
            softmax=True,
            device="cpu",
            explain_func=batch.explainer,
            batch_size=4,
        )
    return np.asarray(scores, dtype=float)


def bsbench(registry, name: str, batch: ScoringBatch, **params) -> np.ndarray:
    metric = registry.get("metric", name)
    return np.asarray(as_scores(metric.score(batch, metric.parameters(**params))).columns[""], dtype=float)


def per_map_peak(a: np.ndarray) -> np.ndarray:
    """Each map over its own largest magnitude (all-zero maps stay zero), written out for the direct calls."""
    peaks = np.abs(a).max(axis=(1, 2, 3), keepdims=True)
    return a / np.where(peaks > 0, peaks, 1.0)


# --- bsbench == Quantus: faithfulness -------------------------------------------------


def test_faithfulness_correlation_equals_quantus(registry, explained):
    batch = explained("saliency").subset([0, 1])  # the perturbation loops are the slow part: two clips

    def black(arr, indices, **_):
        """Quantus's "black" replacement (each row's minimum), without the unused uniform draw.

        Quantus's own baseline path draws a uniform array from NumPy's global generator on every
        call, which moves the random subsets it draws next; removal=floor draws nothing.
        """
        perturbed = arr.copy()
        perturbed[np.arange(len(arr))[:, None], indices] = arr.min(axis=1, keepdims=True)
        return perturbed

    metric = quantus.FaithfulnessCorrelation(
        nr_runs=20,
        subset_size=858,
        perturb_func=black,
        abs=False,
        normalise=True,
        return_aggregate=False,  # Quantus's default here is the batch mean
        disable_warnings=True,
    )
    expected = direct(metric, batch, maps_of(batch))
    # removal=floor is Quantus's own "black" baseline, through bsbench's removal component
    np.testing.assert_allclose(
        bsbench(registry, "faithfulness-correlation", batch, preset="quick", removal="floor"), expected, atol=1e-6
    )


def test_pixel_flipping_equals_quantus(registry, explained):
    batch = explained("saliency").subset([0, 1])  # the perturbation loops are the slow part: two clips
    metric = quantus.PixelFlipping(
        features_in_step=1072, perturb_baseline="black", abs=False, normalise=True, disable_warnings=True
    )
    curves = direct(metric, batch, maps_of(batch))
    assert curves.shape == (2, 16)
    expected = np.trapezoid(curves, np.linspace(0.0, 1.0, 16), axis=1)
    values = bsbench(registry, "pixel-flipping", batch, preset="quick", removal="floor")
    np.testing.assert_allclose(values, expected, atol=1e-6)


def test_monotonicity_correlation_equals_quantus(registry, explained):
    batch = explained("saliency").subset([0, 1])  # the perturbation loops are the slow part: two clips
    metric = quantus.MonotonicityCorrelation(
        features_in_step=1072,
        nr_samples=2,
        perturb_baseline="black",
        abs=True,
        normalise=True,
        disable_warnings=True,
    )
    expected = direct(metric, batch, maps_of(batch))
    np.testing.assert_allclose(
        bsbench(registry, "monotonicity-correlation", batch, preset="quick", removal="floor"), expected, atol=1e-6
    )


def test_sufficiency_equals_quantus(registry, explained):
    batch = explained("saliency")
    metric = quantus.Sufficiency(threshold=0.6, abs=False, normalise=True, disable_warnings=True)
    expected = direct(metric, batch, maps_of(batch))
    np.testing.assert_allclose(bsbench(registry, "sufficiency", batch), expected, atol=1e-6)


# --- bsbench == Quantus: localisation (positive relevance, clips with evidence) -------


def localisation_case(explained):
    batch = explained("saliency", with_masks=True)
    evidence = batch.masks.reshape(4, -1).any(axis=1)
    assert evidence.tolist() == [True, False, True, True]  # the neutral clip has no evidence
    return batch, np.clip(maps_of(batch), 0.0, None), batch.masks[:, None].astype(np.float32), evidence


@pytest.mark.parametrize(
    ("name", "metric"),
    [
        ("relevance-mass-accuracy", quantus.RelevanceMassAccuracy(abs=False, normalise=False, disable_warnings=True)),
        ("relevance-rank-accuracy", quantus.RelevanceRankAccuracy(abs=False, normalise=False, disable_warnings=True)),
        ("pointing-game", quantus.PointingGame(abs=False, normalise=False, disable_warnings=True)),
        ("top-k-intersection", quantus.TopKIntersection(k=858, abs=False, normalise=False, disable_warnings=True)),
        # Quantus's AUC integrates with scikit-learn (SciPy's trapezoid), so it runs on NumPy without np.trapz.
        ("auc", quantus.AUC(abs=False, normalise=False, disable_warnings=True)),
    ],
)
def test_localisation_metric_equals_quantus(registry, explained, name, metric):
    batch, positive, masks, evidence = localisation_case(explained)
    expected = direct(metric, batch, positive, masks)
    values = bsbench(registry, name, batch)
    np.testing.assert_allclose(values[evidence], expected[evidence], atol=1e-6)
    assert np.isnan(values[~evidence]).all()
    assert np.all((values[evidence] >= 0) & (values[evidence] <= 1))


# --- bsbench == Quantus: robustness, randomisation, complexity ------------------------


def test_max_sensitivity_equals_quantus(registry, explained):
    batch = explained("saliency")
    metric = quantus.MaxSensitivity(nr_samples=3, lower_bound=1.0, abs=False, normalise=False, disable_warnings=True)
    expected = direct(metric, batch, maps_of(batch))
    np.testing.assert_allclose(bsbench(registry, "max-sensitivity", batch, preset="quick"), expected, atol=1e-6)


def test_avg_sensitivity_equals_quantus(registry, explained):
    batch = explained("saliency")
    metric = quantus.AvgSensitivity(nr_samples=3, lower_bound=1.0, abs=False, normalise=False, disable_warnings=True)
    expected = direct(metric, batch, maps_of(batch))
    np.testing.assert_allclose(bsbench(registry, "avg-sensitivity", batch, preset="quick"), expected, atol=1e-6)


def test_efficient_mprt_equals_quantus(registry, explained):
    batch = explained("saliency")
    metric = quantus.EfficientMPRT(
        complexity_func_kwargs={"n_bins": 100},
        layer_order="bottom_up",
        skip_layers=True,
        seed=SEED,
        abs=False,
        normalise=False,
        disable_warnings=True,
    )
    expected = direct(metric, batch, maps_of(batch))
    assert np.isfinite(expected).all()
    np.testing.assert_allclose(bsbench(registry, "efficient-mprt", batch), expected, atol=1e-6)


def test_random_logit_equals_quantus(registry, explained):
    batch = explained("saliency")
    metric = quantus.RandomLogit(
        num_classes=7, seed=SEED, abs=False, normalise=True, normalise_func=per_map_peak, disable_warnings=True
    )
    expected = direct(metric, batch, maps_of(batch))
    np.testing.assert_allclose(bsbench(registry, "random-logit", batch), expected, atol=1e-6)


def test_sparseness_equals_quantus(registry, explained):
    batch = explained("input-x-gradient")  # signed maps: the absolute value matters
    metric = quantus.Sparseness(abs=True, normalise=True, normalise_func=per_map_peak, disable_warnings=True)
    expected = direct(metric, batch, maps_of(batch))
    np.testing.assert_allclose(bsbench(registry, "sparseness", batch), expected, atol=1e-6)


def test_complexity_equals_quantus(registry, explained):
    batch = explained("input-x-gradient")
    metric = quantus.Complexity(abs=True, normalise=True, normalise_func=per_map_peak, disable_warnings=True)
    expected = direct(metric, batch, maps_of(batch))
    np.testing.assert_allclose(bsbench(registry, "complexity", batch), expected, atol=1e-6)


# --- behaviour --------------------------------------------------------------------------


def test_sensitivity_fallback_equals_quantus_where_quantus_accepts(explained):
    """The loop used for batches Quantus refuses draws the same noise and computes the same ratio."""
    batch = explained("saliency").subset([0, 1])
    draws = sensitivities(batch, 1.0, 3)
    assert draws.shape == (2, 3)
    for reduce, metric_type in ((np.max, quantus.MaxSensitivity), (np.mean, quantus.AvgSensitivity)):
        metric = metric_type(nr_samples=3, lower_bound=1.0, abs=False, normalise=False, disable_warnings=True)
        np.testing.assert_allclose(reduce(draws, axis=1), direct(metric, batch, maps_of(batch)), atol=1e-6)


def test_a_constant_map_is_perfectly_robust_and_saliency_is_not(registry, explained):
    """Quantus refuses the constant method's batch outright; bsbench scores it (0: the map never moves)."""
    constant, saliency = explained("constant"), explained("saliency")
    with pytest.raises(AssertionError, match="all equal to one"):
        direct(
            quantus.MaxSensitivity(nr_samples=3, lower_bound=1.0, disable_warnings=True), constant, maps_of(constant)
        )
    for planned in plan_metrics(registry, ["max-sensitivity", "avg-sensitivity"], preset="quick"):
        [column] = score_batch(planned, constant)
        assert column.values.tolist() == [0.0] * 4 and column.reasons == ("",) * 4
        [moving] = score_batch(planned, saliency)
        assert np.all(moving.values > 0.1), moving.values  # about 0.34-0.41 on the small model


def test_an_all_zero_map_has_no_sensitivity(registry, explained):
    batch = explained("saliency")
    maps = maps_of(batch)[:, 0].copy()
    maps[1] = 0.0
    [column] = score_batch(plan_metrics(registry, ["max-sensitivity"], preset="quick")[0], with_maps(batch, maps))
    assert np.isnan(column.values[1]) and column.reasons[1] == ALL_ZERO_MAP
    assert np.isfinite(column.values[[0, 2, 3]]).all()


def test_random_logit_separates_saliency_from_a_class_blind_map(registry, explained):
    """``random`` draws its map from the seed alone: the same map for any class, SSIM 1, the worst score."""
    np.testing.assert_allclose(bsbench(registry, "random-logit", explained("random")), 1.0, atol=1e-9)
    saliency = bsbench(registry, "random-logit", explained("saliency"))
    assert np.all(saliency < 0.5), saliency  # about 0.10-0.16 on the small model


def test_efficient_mprt_gives_a_model_blind_map_no_rise_and_refuses_constant_maps(registry, explained):
    """A map that ignores the weights keeps its entropy when they are randomised: a rise of exactly 0."""
    np.testing.assert_array_equal(bsbench(registry, "efficient-mprt", explained("random")), 0.0)
    [column] = score_batch(plan_metrics(registry, ["efficient-mprt"])[0], explained("constant"))
    assert np.isnan(column.values).all() and set(column.reasons) == {CONSTANT_MAP}


def test_randomisation_leaves_the_network_and_the_torch_generator_untouched(registry, explained):
    """The runner reuses the network for the next batches: Quantus must randomise a copy only."""
    batch = explained("saliency")
    network = batch.model.network
    before = {key: value.clone() for key, value in network.state_dict().items()}
    torch.manual_seed(123)
    generator = torch.get_rng_state()
    bsbench(registry, "efficient-mprt", batch)
    assert torch.equal(torch.get_rng_state(), generator)  # Quantus's torch.manual_seed is undone
    bsbench(registry, "random-logit", batch)
    after = network.state_dict()
    assert before.keys() == after.keys()
    assert all(torch.equal(before[key], after[key]) for key in before)
    assert not network.training


def test_sparseness_and_complexity_tell_a_one_hot_map_from_noise(registry, explained):
    batch = explained("saliency")
    one_hot = np.zeros((128, 134))
    one_hot[40, 60] = 1.0
    noise = np.random.default_rng(0).random((128, 134))
    maps = with_maps(batch, np.stack([one_hot, noise, one_hot, noise]))
    sparseness, complexity = bsbench(registry, "sparseness", maps), bsbench(registry, "complexity", maps)
    assert sparseness[0] > 0.99 and 0.3 < sparseness[1] < 0.4  # Gini of U(0, 1) is 1/3
    assert complexity[0] < 1e-6 and complexity[1] > math.log(CELLS) - 0.2
    np.testing.assert_allclose(sparseness[[2, 3]], sparseness[[0, 1]])


def test_constant_maps_get_the_flat_scores_quantus_would_give_them(registry, explained):
    """Quantus refuses an all-constant batch; bsbench scores it with the metric's own evaluate_batch."""
    batch = explained("saliency")
    constant = (
        bsbench(registry, "sparseness", explained("constant")),
        bsbench(registry, "complexity", explained("constant")),
    )
    np.testing.assert_allclose(constant[0], 0.0, atol=1e-9)
    np.testing.assert_allclose(constant[1], math.log(CELLS), atol=1e-6)
    # The same constant map next to a non-constant one passes Quantus's guard: the values agree.
    mixed = np.stack([np.ones((128, 134)), maps_of(batch)[1, 0], np.ones((128, 134)), maps_of(batch)[3, 0]])
    for metric_type, value in ((quantus.Sparseness, 0), (quantus.Complexity, 1)):
        metric = metric_type(abs=True, normalise=True, normalise_func=per_map_peak, disable_warnings=True)
        np.testing.assert_allclose(direct(metric, batch, mixed[:, None])[[0, 2]], constant[value][:2], atol=1e-6)
    zero = with_maps(batch, np.stack([np.zeros((128, 134)), *maps_of(batch)[1:, 0]]))
    scores = registry.get("metric", "complexity").score(zero, registry.get("metric", "complexity").parameters())
    assert np.isnan(scores.columns[""][0]) and scores.reasons[""][0] == ALL_ZERO_MAP


def test_complexity_scores_do_not_depend_on_batch_mates(registry, explained):
    """Quantus's default normalises by the batch's peak; bsbench's by each map's own."""
    batch = explained("saliency")
    maps = maps_of(batch)[:, 0]
    loud = with_maps(batch, np.stack([maps[0], maps[1] * 1e6, maps[2], maps[3]]))
    for name in ("sparseness", "complexity", "random-logit"):
        np.testing.assert_allclose(bsbench(registry, name, loud)[0], bsbench(registry, name, batch)[0], rtol=1e-6)
    quantus_default = quantus.Sparseness(disable_warnings=True)
    drifted = direct(quantus_default, loud, maps_of(loud))[0] - direct(quantus_default, batch, maps_of(batch))[0]
    assert abs(drifted) > 1e-3  # what the per-map normalisation protects against


def test_new_localisation_metrics_score_oracle_one_and_inverted_zero(registry, explained):
    batch, _, _, evidence = localisation_case(explained)
    masks = batch.masks.astype(float)
    for name in ("pointing-game", "top-k-intersection", "auc"):
        oracle, inverted = (
            bsbench(registry, name, with_maps(batch, masks)),
            bsbench(registry, name, with_maps(batch, 1 - masks)),
        )
        np.testing.assert_allclose(oracle[evidence], 1.0, err_msg=name)
        np.testing.assert_allclose(inverted[evidence], 0.0, err_msg=name)


def test_pointing_game_is_nan_without_evidence_where_quantus_says_hit(registry, explained):
    """Quantus writes NaN into a boolean array for a mask-less clip, which reads back as a hit (1.0)."""
    batch, positive, masks, evidence = localisation_case(explained)
    quantus_says = direct(
        quantus.PointingGame(abs=False, normalise=False, disable_warnings=True), batch, positive, masks
    )
    assert quantus_says[~evidence].tolist() == [1.0]
    scores = registry.get("metric", "pointing-game").score(batch, registry.get("metric", "pointing-game").parameters())
    assert np.isnan(scores.columns[""][1]) and scores.reasons[""][1] == NO_EVIDENCE


def test_top_k_takes_a_share_of_the_cells(registry):
    with pytest.raises(UsageError, match="share of the cells"):
        plan_metrics(registry, ["top-k-intersection:k=858"])
    [planned] = plan_metrics(registry, ["top-k-intersection:k=0.1"])
    assert planned.params.k == 0.1


@pytest.mark.parametrize(
    ("name", "preset", "passes", "explanations"),
    [
        ("max-sensitivity", "quick", 0, 3),
        ("avg-sensitivity", "standard", 0, 10),
        ("max-sensitivity", "paper", 0, 50),
        ("efficient-mprt", "paper", 2, 2),
        ("random-logit", "quick", 0, 1),
        ("sparseness", "paper", 0, None),
        ("pointing-game", "quick", 0, None),
    ],
)
def test_declared_costs(registry, small_model, name, preset, passes, explanations):
    [planned] = plan_metrics(registry, [name], preset=preset)
    cost = declared_metric_cost(planned.plugin, planned.params, small_model.frontend.grid)
    assert cost == {"model_passes_per_clip": passes, "explanations_per_clip": explanations}


def test_requirements_and_constant_map_policy(registry):
    needs = {name: registry.get("metric", name).requires for name in ("max-sensitivity", "random-logit", "sparseness")}
    assert needs == {
        "max-sensitivity": {"model", "explainer"},
        "random-logit": {"model", "explainer"},
        "sparseness": frozenset(),
    }
    accepts = {
        name: getattr(registry.get("metric", name), "accepts_constant_maps", False)
        for name in ("max-sensitivity", "avg-sensitivity", "sparseness", "complexity", "efficient-mprt", "auc")
    }
    assert accepts == {
        "max-sensitivity": True,
        "avg-sensitivity": True,
        "sparseness": True,
        "complexity": True,
        "efficient-mprt": False,
        "auc": False,
    }
