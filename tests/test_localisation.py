"""Localisation metrics read the synthetic corpus's evidence masks through Quantus's s_batch."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from bsbench_plugins.metrics.quantus_localisation import RelevanceMassAccuracyMetric, RelevanceRankAccuracyMetric

from bsbench import hookimpl
from bsbench.core.errors import UsageError
from bsbench.core.types import Corpus, Explanation
from bsbench.grid.run_config import RunConfig
from bsbench.grid.runner import evidence_masks, run_benchmark, select_clips
from bsbench.interfaces.protocols import DatasetRequest, ScoringBatch
from bsbench.registry.loader import load_registry
from tests.conftest import SMALL_CORPUS

LOCALISED = {**SMALL_CORPUS, "placement": "localised"}


@pytest.fixture(scope="module")
def localised_clips(registry):
    corpus = registry.get("dataset", "synthetic").load(DatasetRequest(seed=0, options=LOCALISED))
    return tuple(select_clips(corpus.split("test"), 7))


def scored(model, clips, maps):
    inputs = model.features(clips)
    targets = model.logits(inputs).argmax(dim=1).numpy()
    grid = model.frontend.grid
    explanations = tuple(
        Explanation(c.clip_id, m.astype(np.float32), grid, "probe", int(t))
        for c, m, t in zip(clips, maps, targets, strict=True)
    )
    batch = ScoringBatch(model, clips, inputs.numpy(), targets, explanations, None, 0, evidence_masks(clips, grid))
    return {
        metric.name: metric.score(batch, metric.parameters()).columns[""]
        for metric in (RelevanceMassAccuracyMetric(), RelevanceRankAccuracyMetric())
    }


def test_oracle_inverted_and_random_maps_score_as_they_must(small_model, localised_clips):
    masks = evidence_masks(localised_clips, small_model.frontend.grid)
    neutral = np.array([clip.label == "neutral" for clip in localised_clips])
    assert neutral.sum() == 1 and not masks[neutral].any()
    for name, values in scored(small_model, localised_clips, masks.astype(float)).items():
        assert np.isnan(values[neutral]).all(), name
        assert np.allclose(values[~neutral], 1.0), name
    for values in scored(small_model, localised_clips, 1.0 - masks).values():
        assert np.allclose(values[~neutral], 0.0)
    share = masks[~neutral].mean(axis=(1, 2))
    assert np.allclose(share, 0.8 / 2.0, atol=0.02)  # the 0.8 s segment of a 2 s clip
    random = np.random.default_rng(0).random(masks.shape)
    values = scored(small_model, localised_clips, random)
    assert np.allclose(values["relevance-mass-accuracy"][~neutral], share, atol=0.02)
    assert np.allclose(values["relevance-rank-accuracy"][~neutral], share, atol=0.03)


def test_negative_relevance_inside_the_mask_does_not_count(small_model, localised_clips):
    masks = evidence_masks(localised_clips, small_model.frontend.grid)
    values = scored(small_model, localised_clips, np.where(masks, -1.0, 0.5))["relevance-mass-accuracy"]
    assert np.allclose(values[np.isfinite(values)], 0.0)


def test_a_run_scores_localisation_with_ground_truth_masks(registry, tmp_path):
    config = RunConfig(
        dataset_options=LOCALISED,
        methods=("random",),
        metrics=("relevance-mass-accuracy",),
        limit=7,
        epochs=2,
        device="cpu",
        out=tmp_path / "run",
    )
    rows = run_benchmark(config, registry, show_progress=False).rows
    assert len(rows) == 7
    by_label = rows.set_index("label")["value"]
    assert np.isnan(by_label["neutral"])
    assert by_label.drop("neutral").between(0.35, 0.45).all()


class _RecordingsOnly:
    """The synthetic corpus with its ground truth removed, as a recorded corpus would come."""

    name = "no-truth"
    description = "Synthetic clips without ground truth."
    version = "1"

    def load(self, request: DatasetRequest) -> Corpus:
        corpus = load_registry().get("dataset", "synthetic").load(dataclasses.replace(request, options=SMALL_CORPUS))
        clips = tuple(dataclasses.replace(clip, ground_truth=None) for clip in corpus.clips)
        return dataclasses.replace(corpus, name=self.name, clips=clips)


class _Plugin:
    @hookimpl
    def bsbench_register_datasets(self, register):
        register(_RecordingsOnly())


def test_localisation_alone_without_ground_truth_fails_before_any_training(tmp_path):
    registry = load_registry(extra_plugins={"no-truth-package": _Plugin()})
    config = RunConfig(dataset="no-truth", metrics=("relevance-mass-accuracy",), out=tmp_path / "run")
    with pytest.raises(UsageError, match="nothing left to score: relevance-mass-accuracy needs ground truth"):
        run_benchmark(config, registry, show_progress=False)
    assert not (tmp_path / "run" / "results.parquet").exists()


def test_localisation_without_ground_truth_is_skipped_with_its_reason(tmp_path):
    registry = load_registry(extra_plugins={"no-truth-package": _Plugin()})
    config = RunConfig(
        dataset="no-truth",
        methods=("random",),
        metrics=("relevance-mass-accuracy", "sufficiency"),
        limit=4,
        epochs=1,
        out=tmp_path / "run",
    )
    result = run_benchmark(config, registry, show_progress=False)
    [skipped] = result.manifest["skipped_metrics"]
    assert skipped["metric"] == "relevance-mass-accuracy" and "dataset no-truth has none" in skipped["reason"]
    assert set(result.rows["metric"]) == {"sufficiency"} and len(result.rows) == 4
