"""The model-blind baselines: energy is the level above the floor, spectral flux the change between frames."""

from __future__ import annotations

import numpy as np
import torch

from bsbench.core.parameters import NoParameters


def test_energy_is_the_level_above_the_clips_floor(registry, small_model, small_corpus):
    clips = small_corpus.split("test")[:3]
    inputs = small_model.features(clips)
    maps = registry.get("method", "energy").explain(
        small_model, inputs, torch.zeros(3, dtype=torch.long), NoParameters(), 0
    )
    expected = inputs[:, 0].numpy() - inputs[:, 0].numpy().min(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(maps, expected, atol=1e-5)
    assert maps.min(axis=(1, 2)).tolist() == [0.0, 0.0, 0.0]
    # the loudest frames of a clip carry the most relevance: where it is loud
    loudest = inputs[0, 0].numpy().mean(axis=0).argmax()
    assert maps[0].mean(axis=0).argmax() == loudest


def test_spectral_flux_marks_onsets_and_ignores_steady_cells(registry, small_model):
    steady = torch.full((1, 1, 128, 134), -40.0)
    steady[..., 60:] = -10.0  # one onset, at frame 60, in every band
    maps = registry.get("method", "spectral-flux").explain(
        small_model, steady, torch.zeros(1, dtype=torch.long), NoParameters(), 0
    )
    assert maps.shape == (1, 128, 134)
    assert np.all(maps[0, :, 60] == 30.0) and np.count_nonzero(maps) == 128
