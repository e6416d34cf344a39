"""Removal: every variant fills cells as documented, matches Quantus where Quantus has it, and is deterministic.

Equality with Quantus is the reference check: ROAD's noisy linear imputation against
Quantus's ``noisy_linear_imputation`` (noise off), and ROAD's MoRF decisions against
Quantus's ``ROAD`` on a (1, bins, frames) input. Resynthesis is checked on real
front ends: an empty mask gives the clip back, a removed band loses its energy.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest
import quantus
import torch
from bsbench_plugins.metrics.road import RoadParameters, removal_fractions, road_curves, road_inputs

from bsbench.audio.frontend import LogMelFrontEnd, WaveformFrontEnd
from bsbench.audio.resynthesis import resynthesis_for, resynthesis_unavailable
from bsbench.core.errors import UsageError
from bsbench.core.types import Explanation, InputGrid
from bsbench.interfaces.protocols import ScoringBatch, as_scores
from bsbench.scoring.plans import plan_metrics
from bsbench.scoring.removal import REMOVALS, Remover, quantus_perturbation, removal_unavailable
from bsbench.scoring.removal.imputation import noisy_linear

SEED = 3


@pytest.fixture(scope="module")
def batch(small_model, small_corpus) -> ScoringBatch:
    """Four test clips of the small model with saliency-like maps (the input level itself)."""
    clips = small_corpus.split("test")[:4]
    inputs = small_model.features(clips)
    targets = small_model.logits(inputs).argmax(dim=1)
    grid = small_model.frontend.grid
    explanations = tuple(
        Explanation(c.clip_id, x[0].numpy() - x[0].numpy().min(), grid, "level", int(t))
        for c, x, t in zip(clips, inputs, targets, strict=True)
    )
    return ScoringBatch(small_model, tuple(clips), inputs.numpy(), targets.numpy(), explanations, None, SEED)


def test_noisy_linear_equals_quantus_imputation():
    cells = np.random.default_rng(0).normal(-40, 10, (1, 128, 134)).astype(np.float32)
    removed = np.zeros((128, 134), dtype=bool)
    removed[20:60, 30:50] = True
    removed.ravel()[np.random.default_rng(1).choice(removed.size, 2000, replace=False)] = True
    removed[:, 0] = True  # a whole edge column: neighbours off the grid are left out
    ours = noisy_linear(cells[0], removed, rng=None)
    theirs = quantus.functions.perturb_func.noisy_linear_imputation(cells, np.flatnonzero(removed), noise=0.0)
    np.testing.assert_allclose(ours, theirs[0], atol=1e-4, rtol=1e-6)
    assert np.array_equal(ours[~removed], cells[0][~removed])  # kept cells are untouched


def test_noisy_linear_continues_a_smooth_map_and_adds_seeded_noise():
    frequencies, frames = np.meshgrid(np.arange(40.0), np.arange(50.0), indexing="ij")
    plane = 0.5 * frequencies - 0.2 * frames  # harmonic: the imputation reproduces it exactly
    removed = np.zeros(plane.shape, dtype=bool)
    removed[10:30, 15:35] = True
    np.testing.assert_allclose(noisy_linear(plane, removed, None), plane, atol=1e-9)
    first = noisy_linear(plane, removed, np.random.default_rng(5))
    assert np.array_equal(first, noisy_linear(plane, removed, np.random.default_rng(5)))
    spread = (first - plane)[removed].std()
    assert 0.5 * 0.01 * plane.std() < spread < 2 * 0.01 * plane.std()
    everything = noisy_linear(plane, np.ones_like(removed), None)
    assert np.allclose(everything, plane.mean())


def test_floor_and_mean_fill_from_the_original_clip(batch):
    removed = np.zeros((2, *batch.inputs.shape[2:]), dtype=bool)
    removed[:, :, 40:60] = True
    for removal, reference in (("floor", np.min), ("mean", np.mean)):
        out = Remover(removal, batch)([0, 2], removed)
        for row, clip in enumerate((0, 2)):
            original = batch.inputs[clip, 0]
            assert np.allclose(out[row, 0][removed[row]], reference(original))
            assert np.array_equal(out[row, 0][~removed[row]], original[~removed[row]])


def test_removal_is_the_same_on_a_rerun_and_whatever_the_batch_mates(batch):
    removed = np.zeros((1, *batch.inputs.shape[2:]), dtype=bool)
    removed[0, 10:50, 20:90] = True
    alone = Remover("noisy-linear", batch.subset([2]))([0], removed)
    among = Remover("noisy-linear", batch)([2], removed)
    assert np.array_equal(alone, among)


def test_audio_removal_gives_the_clip_back_when_nothing_is_removed_and_silences_a_band(batch):
    frontend = batch.model.frontend
    waveforms = np.stack([frontend.prepare(clip) for clip in batch.clips])
    synthesis = resynthesis_for(frontend, waveforms)
    nothing = np.zeros((4, *frontend.grid.shape), dtype=bool)
    back = synthesis.masked(range(4), nothing).numpy()
    assert np.abs(back - waveforms).max() < 1e-4 * np.abs(waveforms).max()
    inputs = Remover("audio", batch)(range(4), nothing)
    np.testing.assert_allclose(inputs, batch.inputs, atol=1e-2)  # dB: resynthesis rounding only
    band = nothing.copy()
    band[:, 60:128, :] = True  # everything above about 2 kHz
    silenced = synthesis.masked(range(4), band).numpy()
    spectrum = np.abs(np.fft.rfft(silenced, axis=1))
    original = np.abs(np.fft.rfft(waveforms, axis=1))
    above = np.fft.rfftfreq(waveforms.shape[1], 1 / 16_000) > 2_500
    assert (spectrum[:, above] ** 2).sum() < 1e-3 * (original[:, above] ** 2).sum()
    assert silenced.shape == waveforms.shape


def test_audio_removal_on_a_waveform_grid_masks_samples():
    frontend = WaveformFrontEnd()
    waveforms = np.random.default_rng(0).normal(0, 0.1, (2, frontend.clip_samples)).astype(np.float32)
    removed = np.zeros((2, 1, frontend.clip_samples), dtype=bool)
    removed[:, 0, 1000:2000] = True
    out = resynthesis_for(frontend, waveforms).masked([0, 1], removed).numpy()
    assert np.all(out[:, 1000:2000] == 0) and np.array_equal(out[:, :1000], waveforms[:, :1000])


class OpaqueFrontEnd(LogMelFrontEnd):
    """A spectrogram front end that does not say which STFT its features come from."""

    stft_parameters = None


def test_a_front_end_that_cannot_be_resynthesised_is_named(batch):
    assert resynthesis_unavailable(LogMelFrontEnd()) == ""
    reason = resynthesis_unavailable(OpaqueFrontEnd())
    assert "OpaqueFrontEnd does neither" in reason
    assert removal_unavailable("audio", OpaqueFrontEnd()).startswith("removal=audio needs a front end")
    assert removal_unavailable("noisy-linear", OpaqueFrontEnd()) == ""


def test_an_unknown_removal_is_one_line_naming_the_valid_ones(registry):
    with pytest.raises(UsageError) as caught:
        plan_metrics(registry, ["pixel-flipping:removal=blur"])
    assert str(caught.value) == (f"metric pixel-flipping: removal='blur' is not one of {', '.join(REMOVALS)}")


def test_pixel_flipping_through_the_cumulative_perturbation_sees_the_whole_removed_set(batch):
    remover = Remover("noisy-linear", batch)
    perturb = quantus_perturbation(remover, cumulative=True)
    cells = batch.inputs[0, 0].size
    flat = batch.inputs.reshape(4, -1)
    first = np.tile(np.arange(0, 100), (4, 1))
    second = np.tile(np.arange(100, 200), (4, 1))
    perturb(flat, first)
    after_two = perturb(flat, second)
    removed = np.zeros((4, cells), dtype=bool)
    removed[:, :200] = True
    direct = Remover("noisy-linear", batch, noise=False)
    expected = direct(range(4), removed.reshape(4, *batch.inputs.shape[2:]))
    silent = quantus_perturbation(Remover("noisy-linear", batch, noise=False), cumulative=True)
    silent(flat, first)
    np.testing.assert_array_equal(silent(flat, second).reshape(expected.shape), expected)
    assert not np.array_equal(after_two.reshape(expected.shape), expected)  # the noisy one adds its noise


def test_road_morf_decisions_equal_quantus_road(batch):
    """Quantus's ROAD records whether the predicted class survives MoRF removal, averaged over clips."""
    fractions = removal_fractions(3)
    maps = np.stack([e.relevance for e in batch.explanations])[:, None]

    def quantus_imputation(arr, indices, **_):  # Quantus's own imputation, noise off
        return quantus.functions.perturb_func.noisy_linear_imputation(arr, indices, noise=0.0)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        road = quantus.ROAD(
            percentages=[100 * f for f in fractions], perturb_func=quantus_imputation, disable_warnings=True
        )
        road(
            model=batch.model.network,
            x_batch=batch.inputs,
            y_batch=batch.targets,
            a_batch=maps,
            channel_first=True,
            softmax=True,
            device="cpu",
            batch_size=4,
        )
    theirs = np.array(list(road.evaluation_scores.values()))
    silent = Remover("noisy-linear", batch, noise=False)
    survived = []
    for fraction in fractions:
        morf_inputs = road_inputs(batch, silent, fraction)[:4]
        with torch.no_grad():
            logits = batch.model.network(torch.as_tensor(morf_inputs)).numpy()
        survived.append((logits.argmax(axis=1) == batch.targets).mean())
    np.testing.assert_allclose(survived, theirs, atol=1e-6)
    morf, lerf = road_curves(batch, RoadParameters(fractions=3))
    assert morf.shape == lerf.shape == (4, 3) and np.all((morf >= 0) & (morf <= 1))


def test_road_scores_an_informed_order_above_its_reverse(registry, batch):
    metric = registry.get("metric", "road")
    params = metric.parameters(preset="quick", removal="mean")
    informed = as_scores(metric.score(batch, params)).columns[""]
    reversed_maps = tuple(dataclasses.replace(e, relevance=-e.relevance) for e in batch.explanations)
    reverse = as_scores(metric.score(dataclasses.replace(batch, explanations=reversed_maps), params)).columns[""]
    np.testing.assert_allclose(informed, -reverse, atol=1e-9)  # swapping MoRF and LeRF flips the gap's sign
    assert metric.model_passes(params, InputGrid(0.015, 134, tuple(range(128)))) == 10
    assert metric.settings(params)["fractions"] == [round(f, 6) for f in removal_fractions(5)]


def test_a_run_skips_audio_removal_on_a_front_end_it_cannot_resynthesise(registry):
    from bsbench.grid.runner import _unavailable_removals

    metrics = plan_metrics(registry, ["pixel-flipping:removal=audio", "road:removal=mean", "faithfulness-correlation"])
    skipped = _unavailable_removals(metrics, OpaqueFrontEnd(), "resnet-small")
    assert [m.name for m in metrics] == ["road", "faithfulness-correlation"]
    assert skipped == [
        {
            "metric": "pixel-flipping",
            "reason": "removal=audio needs a front end that states the STFT of its features (stft_parameters) or "
            "reads raw samples; OpaqueFrontEnd does neither (model resnet-small)",
        }
    ]


def test_runs_scored_before_the_removal_parameter_read_back_as_floor(tmp_path):
    from bsbench.core.types import ResultRow
    from bsbench.results.store import read_run, write_manifest, write_results

    metrics = [
        {"name": "pixel-flipping", "higher_is_better": False, "settings": {"steps": 64, "perturb_baseline": "black"}},
        {"name": "road", "higher_is_better": True, "settings": {"fractions": [0.5], "removal": "mean"}},
    ]
    write_manifest(tmp_path, {"run_id": "old", "metrics": metrics, "model": {"name": "m", "card": {}}})
    write_results(tmp_path, [ResultRow("old", "d", "test", "m", "crp", "", "pixel-flipping", "c", "a", "a", True, 0.2)])
    manifest, rows = read_run(tmp_path)
    assert [m["settings"]["removal"] for m in manifest["metrics"]] == ["floor", "mean"]
    assert rows["value"].tolist() == [0.2]
