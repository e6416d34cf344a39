"""The recurrent and the raw-waveform models: real training, checkpoints, and every method on them."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from bsbench.core.parameters import build_parameters
from bsbench.core.types import Explanation
from bsbench.cues.windows import salient_windows
from bsbench.interfaces.protocols import LoadedModel
from bsbench.models.store import load_checkpoint, trained_model

CPU = torch.device("cpu")
INPUT_SHAPES = {"crnn": (128, 134), "wav-cnn": (1, 32_000)}


def two_epoch_model(registry, corpus, name: str) -> LoadedModel:
    plugin = registry.get("model", name)
    return trained_model(
        plugin, corpus, seed=0, device=CPU, config=replace(plugin.training, epochs=2), show_progress=False
    )


@pytest.fixture(scope="module", params=sorted(INPUT_SHAPES))
def zoo_model(request, registry, small_corpus) -> LoadedModel:
    return two_epoch_model(registry, small_corpus, request.param)


def test_trains_with_a_card_and_reloads_from_its_checkpoint(zoo_model, small_corpus):
    card = zoo_model.card
    assert card["split_sizes"] == {"train": 28, "validation": 14, "test": 14}
    assert card["frontend"]["kind"] == ("waveform" if zoo_model.name == "wav-cnn" else "log-mel")
    assert zoo_model.frontend.grid.shape == INPUT_SHAPES[zoo_model.name]
    reloaded = load_checkpoint(zoo_model.plugin, card["checkpoint"], CPU)
    inputs = zoo_model.features(small_corpus.split("test")[:4])
    assert inputs.shape[-2:] == INPUT_SHAPES[zoo_model.name]
    torch.testing.assert_close(reloaded.logits(inputs), zoo_model.logits(inputs))


def test_occlusion_window_is_150_ms_on_a_waveform(registry, small_corpus):
    wav_model = two_epoch_model(registry, small_corpus, "wav-cnn")
    inputs = wav_model.features(small_corpus.split("test")[:1])
    method = registry.get("method", "occlusion")
    params = build_parameters(method.parameters, {"window": "1x10", "stride": "1x10"}, "occlusion")
    relevance = method.explain(wav_model, inputs, wav_model.logits(inputs).argmax(dim=1), params, 0)[0, 0]
    # one value per silenced 2,400-sample (150 ms) window
    assert np.unique(relevance[:2400]).size == 1 and relevance[2399] != relevance[2400]


def test_salient_windows_last_150_ms_on_any_grid(zoo_model):
    grid = zoo_model.frontend.grid
    relevance = np.zeros(grid.shape, dtype=np.float32)
    start, end = round(0.5 / grid.seconds_per_frame), round(0.6 / grid.seconds_per_frame)
    relevance[:, start:end] = 1.0
    windows = salient_windows(Explanation("c", relevance, grid, "m", 0))
    assert windows.shape[0] >= 1
    np.testing.assert_allclose(np.diff(windows, axis=1), 0.15, atol=grid.seconds_per_frame)
    assert windows[0, 0] <= 0.5 and windows[-1, 1] >= 0.6
