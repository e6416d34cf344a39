"""Model checks: a front end that states its input grid and keeps to it, outputs with the declared class count."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import torch

from bsbench.contracts.context import CheckContext
from bsbench.contracts.contract import Check, expect
from bsbench.core.types import InputGrid
from bsbench.interfaces.protocols import TrainingConfig

#: Class counts a model is built for: the smallest corpus subset and TESS's seven classes.
CLASS_COUNTS = (2, 7)


def frontend_states_its_grid(plugin: Any, context: CheckContext) -> None:
    """The front end declares a sample rate, a clip length and an input grid whose duration matches the clip."""
    frontend = plugin.frontend()
    rate, samples, grid = frontend.sample_rate, frontend.clip_samples, frontend.grid
    expect(isinstance(rate, int) and rate > 0, f"expected a positive integer sample_rate, got {rate!r}")
    expect(isinstance(samples, int) and samples > 0, f"expected a positive integer clip_samples, got {samples!r}")
    expect(isinstance(grid, InputGrid), f"expected grid to be a bsbench.InputGrid, got {type(grid).__name__}")
    expect(grid.n_frames > 0 and grid.seconds_per_frame > 0, f"expected frames of positive duration, got {grid}")
    seconds = samples / rate
    expect(
        abs(grid.duration - seconds) <= max(2 * grid.seconds_per_frame, 0.05 * seconds),
        f"expected the grid to span the clip ({seconds:.3f} s), it spans {grid.duration:.3f} s",
    )
    frequencies = np.asarray(grid.bin_frequencies_hz)
    expect(
        frequencies.size == 0 or (np.all(np.diff(frequencies) > 0) and frequencies.max() <= rate / 2),
        "expected bin frequencies rising and below the Nyquist frequency",
    )
    json.dumps(frontend.describe())  # manifests and model cards store it


def frontend_output_on_its_grid(plugin: Any, context: CheckContext) -> None:
    """``prepare`` gives float32 clips of ``clip_samples``; the front end maps them to finite (batch, 1, *grid)."""
    frontend = plugin.frontend()
    clips = context.clips()[:2]
    prepared = [frontend.prepare(clip) for clip in clips]
    for clip, samples in zip(clips, prepared, strict=True):
        expect(
            samples.dtype == np.float32 and samples.shape == (frontend.clip_samples,),
            f"clip {clip.clip_id}: expected prepare() to give float32 ({frontend.clip_samples},), "
            f"got {samples.dtype} {samples.shape}",
        )
    features = frontend(torch.as_tensor(np.stack(prepared)))
    expected = (len(clips), 1, *frontend.grid.shape)
    expect(tuple(features.shape) == expected, f"expected features shaped {expected}, got {tuple(features.shape)}")
    expect(torch.isfinite(features).all(), "expected finite features")


def outputs_the_declared_classes(plugin: Any, context: CheckContext) -> None:
    """``build(n)`` returns a network giving finite (batch, n) logits on the front end's features, in eval mode."""
    frontend = plugin.frontend()
    features = frontend(torch.as_tensor(np.stack([frontend.prepare(c) for c in context.clips()[:2]])))
    for n_classes in CLASS_COUNTS:
        network = plugin.build(n_classes)
        expect(isinstance(network, torch.nn.Module), f"expected build() to return a torch.nn.Module for {n_classes}")
        with torch.no_grad():
            logits = network.eval()(features)
        shape = (features.shape[0], n_classes)
        expect(tuple(logits.shape) == shape, f"expected logits {shape} for {n_classes} classes, got {logits.shape}")
        expect(torch.isfinite(logits).all(), f"expected finite logits for {n_classes} classes")


def explain_layer_exists(plugin: Any, context: CheckContext) -> None:
    """``explain_layer`` names a module of the network (Grad-CAM and CRP read it) and ``canonizers()`` is a list."""
    layers = dict(plugin.build(CLASS_COUNTS[-1]).named_modules())
    layer = plugin.explain_layer
    expect(
        layer in layers,
        f"expected explain_layer {layer!r} among the network's modules ({', '.join(list(layers)[1:6])} ...)",
    )
    expect(isinstance(plugin.canonizers(), list), "expected canonizers() to return a list (empty when none apply)")
    expect(isinstance(plugin.training, TrainingConfig), "expected training to be a bsbench TrainingConfig")
    labels = plugin.checkpoint_labels
    expect(len(set(labels)) == len(labels), f"expected distinct checkpoint_labels, got {labels}")


CHECKS = (
    Check("model", "frontend-states-its-grid", frontend_states_its_grid),
    Check("model", "frontend-output-on-its-grid", frontend_output_on_its_grid),
    Check("model", "outputs-the-declared-classes", outputs_the_declared_classes),
    Check("model", "explain-layer-exists", explain_layer_exists),
)
