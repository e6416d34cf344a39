"""Listenable explanations and the audio-domain fidelity metrics after L-MAC.

The masked-in and masked-out clips come from one STFT of the original with its own phase, so
they add back up to it; the metrics are checked on a probe network whose evidence is known (it
reads the level of one 150 ms tile), through the real log-mel front end and resynthesis.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from bsbench_plugins.metrics.audio_fidelity import (
    AudioFidelityParameters,
    AverageDropMetric,
    AverageGainMetric,
    AverageIncreaseMetric,
    InputFidelityMetric,
)

from bsbench.core.types import Clip, Explanation
from bsbench.cues.windows import salient_windows
from bsbench.explain.listening import kept_cells, listen
from bsbench.interfaces.protocols import LoadedModel, ScoringBatch
from tests.test_cue_intervention import TILE_FRAMES, TileLevelProbe, voice_clip


@pytest.fixture(scope="module")
def probe(registry) -> LoadedModel:
    plugin = registry.get("model", "resnet-small")
    return LoadedModel(plugin, TileLevelProbe(), plugin.frontend(), ("angry", "sad"), torch.device("cpu"), {})


@pytest.fixture(scope="module")
def waveform_model(registry) -> LoadedModel:
    plugin = registry.get("model", "wav-cnn")
    torch.manual_seed(0)
    return LoadedModel(plugin, plugin.build(2).eval(), plugin.frontend(), ("angry", "sad"), torch.device("cpu"), {})


def tile_explanation(model: LoadedModel, *tiles: int, target: int = 0) -> Explanation:
    relevance = np.zeros(model.frontend.grid.shape, dtype=np.float32)
    for tile in tiles:
        relevance[:, TILE_FRAMES * tile : TILE_FRAMES * (tile + 1)] = 1.0
    return Explanation("tone", relevance, model.frontend.grid, "probe", target)


def energy(samples: np.ndarray) -> float:
    return float(np.sum(np.asarray(samples, dtype=np.float64) ** 2))


def test_masked_in_and_masked_out_add_up_to_the_original(probe, small_corpus):
    clip = next(c for c in small_corpus.split("test") if c.label == "angry")
    relevance = np.random.default_rng(0).random(probe.frontend.grid.shape).astype(np.float32)
    for top in (0.0, 10.0):
        heard = listen(probe, clip, Explanation(clip.clip_id, relevance, probe.frontend.grid, "r", 0), top)
        assert heard.sample_rate == 16_000
        assert heard.original.shape == heard.masked_in.shape == heard.masked_out.shape == (32_000,)
        residual = heard.masked_in + heard.masked_out - heard.original
        assert energy(residual) < 0.01 * energy(heard.original)  # measured: 1e-14
        assert 0 < energy(heard.masked_in) < energy(heard.original)


def test_the_salient_windows_are_heard_whole_in_frequency_and_the_top_share_cell_by_cell(probe):
    explanation = tile_explanation(probe, 1, 4)
    kept = kept_cells(explanation)
    assert kept.shape == probe.frontend.grid.shape and kept.all(axis=0).sum() == kept.any(axis=0).sum()
    frames = np.flatnonzero(kept[0]) * probe.frontend.grid.seconds_per_frame
    np.testing.assert_allclose(salient_windows(explanation), [[0.15, 0.30], [0.60, 0.75]])
    assert frames.min() >= 0.15 and frames.max() < 0.75
    ramp = np.arange(np.prod(probe.frontend.grid.shape), dtype=np.float32).reshape(probe.frontend.grid.shape)
    top = kept_cells(Explanation("r", ramp, probe.frontend.grid, "r", 0), 5.0)
    assert top.sum() == round(0.05 * ramp.size) and ramp[top].min() > ramp[~top].max()


def test_a_waveform_model_hears_a_time_mask(waveform_model):
    clip = voice_clip()
    grid = waveform_model.frontend.grid
    relevance = np.zeros(grid.shape, dtype=np.float32)
    relevance[:, 8000:12000] = 1.0
    heard = listen(waveform_model, clip, Explanation("tone", relevance, grid, "r", 0))
    inside = np.zeros(heard.original.shape, dtype=bool)
    inside[heard.kept[0]] = True
    assert np.array_equal(heard.masked_in[~inside], np.zeros((~inside).sum(), dtype=np.float32))
    np.testing.assert_allclose(heard.masked_in + heard.masked_out, heard.original, atol=1e-7)


def batch_of(model: LoadedModel, explanations: list[Explanation]) -> ScoringBatch:
    clips = tuple(voice_clip() for _ in explanations)
    targets = np.array([e.target for e in explanations])
    return ScoringBatch(
        model, clips, np.zeros((len(clips), 1, *model.frontend.grid.shape)), targets, tuple(explanations), None, 0
    )


def test_fidelity_metrics_follow_where_the_probe_reads_its_evidence(probe):
    # class 0 rests on tile 1 being louder than the clip: keeping tile 1 alone silences the rest
    # and raises p(angry); keeping tile 8 alone silences tile 1 and hands the clip to sad
    batch = batch_of(probe, [tile_explanation(probe, 1), tile_explanation(probe, 8)])
    params = AudioFidelityParameters()
    scores = {m.name: m.score(batch, params).columns[""] for m in (
        AverageIncreaseMetric(), AverageDropMetric(), AverageGainMetric(), InputFidelityMetric()
    )}  # fmt: skip
    np.testing.assert_array_equal(scores["average-increase"], [1.0, 0.0])
    np.testing.assert_array_equal(scores["input-fidelity"], [1.0, 0.0])
    assert scores["average-drop"][0] == 0.0 < scores["average-drop"][1]
    assert scores["average-gain"][0] > 0.5 and scores["average-gain"][1] == 0.0


def test_a_map_with_nothing_positive_keeps_nothing_and_says_so(probe):
    flat = Explanation("tone", -np.ones(probe.frontend.grid.shape, dtype=np.float32), probe.frontend.grid, "r", 0)
    scored = AverageDropMetric().score(batch_of(probe, [flat]), AudioFidelityParameters())
    assert np.isnan(scored.columns[""][0])
    assert scored.reasons[""][0] == "the map keeps no cell (no positive relevance)"


def test_a_clip_shorter_than_one_stft_frame_is_not_scored(probe):
    short = Clip("blip", voice_clip().waveform[:800], 16_000, "angry", "s1", "test")  # 50 ms < 64 ms
    batch = ScoringBatch(
        probe, (short,), np.zeros((1, 1, *probe.frontend.grid.shape)), np.array([0]),
        (tile_explanation(probe, 0),), None, 0,
    )  # fmt: skip
    scored = InputFidelityMetric().score(batch, AudioFidelityParameters())
    assert np.isnan(scored.columns[""][0])
    assert scored.reasons[""][0] == "clip shorter than one STFT frame (64 ms): nothing to mask"
