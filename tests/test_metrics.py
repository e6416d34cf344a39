"""Metrics: Quantus through its real code, the NumPy >= 2.4 AUC path, and the paper's cue analysis."""

from __future__ import annotations

import numpy as np
import pytest
import quantus
from bsbench_plugins.metrics.quantus_faithfulness import (
    FaithfulnessCorrelationMetric,
    FaithfulnessCorrelationParameters,
    PixelFlippingMetric,
    PixelFlippingParameters,
    curve_auc,
    features_per_step,
)

from bsbench.core.types import CueTracks, Explanation, InputGrid
from bsbench.cues.salient import differences_with_reasons, standardised_differences
from bsbench.cues.windows import frames_inside, salient_windows
from bsbench.interfaces.protocols import ScoringBatch, as_attribution

GRID = InputGrid(seconds_per_frame=0.015, n_frames=134, bin_frequencies_hz=tuple(range(128)))


@pytest.fixture(scope="module")
def scoring(small_model, small_corpus, registry):
    clips = small_corpus.split("test")[:4]
    inputs = small_model.features(clips)
    targets = small_model.logits(inputs).argmax(dim=1)

    def batch_for(method_name: str) -> ScoringBatch:
        method = registry.get("method", method_name)
        relevance = as_attribution(method.explain(small_model, inputs, targets, method.parameters(), 0)).relevance
        explanations = tuple(
            Explanation(c.clip_id, r, GRID, method_name, int(t))
            for c, r, t in zip(clips, relevance, targets, strict=True)
        )
        return ScoringBatch(small_model, tuple(clips), inputs.numpy(), targets.numpy(), explanations, None, seed=7)

    return batch_for


def test_quantus_own_auc_path_breaks_on_numpy_without_trapz(scoring):
    """Documents why bsbench integrates the curves itself; fails (and tells us) once Quantus is fixed."""
    if hasattr(np, "trapz"):
        pytest.skip("this NumPy still has np.trapz")
    batch = scoring("random")
    metric = quantus.PixelFlipping(
        features_in_step=features_per_step(17152, 16), return_auc_per_sample=True, disable_warnings=True
    )
    with pytest.raises(AttributeError, match="trapz"):
        metric(
            model=batch.model.network,
            x_batch=batch.inputs,
            y_batch=batch.targets,
            a_batch=np.stack([e.relevance for e in batch.explanations])[:, None],
            channel_first=True,
            device="cpu",
        )


def test_pixel_flipping_auc_works_on_this_numpy(registry, scoring):
    batch = scoring("crp")
    metric = registry.get("metric", "pixel-flipping")
    values = metric.score(batch, metric.parameters())[""]
    assert values.shape == (4,)
    assert np.all((values >= 0) & (values <= 1))
    again = metric.score(batch, metric.parameters())[""]
    np.testing.assert_array_equal(values, again)


def test_curve_auc_is_trapezoid_over_removed_fraction():
    curves = np.array([[1.0, 1.0, 1.0], [1.0, 0.5, 0.0]])
    np.testing.assert_allclose(curve_auc(curves), [1.0, 0.5])


def test_features_per_step_divides():
    assert features_per_step(17152, 64) == 268
    assert 17152 % features_per_step(17152, 50) == 0


def test_faithfulness_correlation_is_seeded_and_separates_random(registry, scoring):
    metric = registry.get("metric", "faithfulness-correlation")
    crp = metric.score(scoring("crp"), metric.parameters())[""]
    assert crp.shape == (4,) and np.all(np.abs(crp) <= 1)
    np.testing.assert_array_equal(crp, metric.score(scoring("crp"), metric.parameters())[""])


def test_salient_windows_follow_the_paper_rule():
    relevance = np.zeros((128, 134), dtype=np.float32)
    relevance[:, 20:30] = 1.0  # window 2
    relevance[:, 100:105] = 3.0  # half of window 10, more mass
    relevance[:, 130:134] = 0.5  # the clipped last window
    windows = salient_windows(Explanation("c", relevance, GRID, "m", 0))
    np.testing.assert_allclose(windows, [[0.3, 0.45], [1.5, 1.65], [1.95, 2.01]])
    assert windows[-1, 1] <= GRID.duration  # never past the end


def test_frames_inside_maps_seconds_to_another_grid():
    inside = frames_inside(np.array([[0.3, 0.45]]), 201, 0.01)
    assert inside.sum() == 15 and inside[30] and not inside[45]


def test_cue_salience_uses_voiced_frames_only():
    relevance = np.zeros((128, 134), dtype=np.float32)
    relevance[:, 20:30] = 1.0  # 0.30-0.45 s
    pitch = np.full(201, 10.0)
    pitch[30:45] = 14.0
    voiced = np.ones(201, dtype=bool)
    voiced[100:] = False
    pitch[100:] = 0.0  # unvoiced zeros, as in *_nz descriptors: must be ignored
    tracks = CueTracks("c", 0.01, {"pitch_level": pitch}, {"pitch_level": "st"}, voiced, frozenset({"pitch_level"}))
    difference = standardised_differences(Explanation("c", relevance, GRID, "m", 0), tracks, 3)["pitch_level"]
    valid = pitch[:100]
    assert difference == pytest.approx((14.0 - valid.mean()) / valid.std())


def test_an_all_negative_map_is_scored_not_refused(small_model, small_corpus):
    """Quantus asserts on all-negative maps; bsbench shifts them, which leaves both scores unchanged."""
    clips = small_corpus.split("test")[:2]
    inputs = small_model.features(clips)
    targets = small_model.logits(inputs).argmax(dim=1)
    relevance = np.random.default_rng(0).random((2, *inputs.shape[2:])).astype(np.float32)

    def scores(maps):
        explanations = tuple(
            Explanation(c.clip_id, m, small_model.frontend.grid, "probe", int(t))
            for c, m, t in zip(clips, maps, targets, strict=True)
        )
        batch = ScoringBatch(small_model, tuple(clips), inputs.numpy(), targets.numpy(), explanations, None, 0)
        return [
            FaithfulnessCorrelationMetric().score(batch, FaithfulnessCorrelationParameters(nr_runs=10))[""],
            PixelFlippingMetric().score(batch, PixelFlippingParameters())[""],
        ]

    shifted = scores(relevance - 2.0)  # every cell negative
    for original, negative in zip(scores(relevance), shifted, strict=True):
        assert np.isfinite(negative).all()
        # float32 sums over shifted maps differ in their last bits: 1e-5 is rounding, not a change.
        assert np.allclose(original, negative, atol=1e-5)


def test_a_clip_shorter_than_one_salient_window_is_undefined_with_its_reason():
    relevance = np.random.default_rng(0).random((128, 134)).astype(np.float32)
    short = CueTracks("c", 0.01, {"loudness": np.linspace(0, 1, 10)}, {"loudness": "a.u."}, np.ones(10, dtype=bool))
    [(value, reason)] = differences_with_reasons(Explanation("c", relevance, GRID, "m", 0), short, 3).values()
    assert np.isnan(value) and reason == "clip shorter than one salient window (150 ms)"
