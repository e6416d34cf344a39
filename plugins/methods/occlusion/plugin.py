"""Occlusion: slide a window of silence over the input and record how much the target logit drops.

The baseline defaults to the spectrogram's floor (its per-clip minimum, i.e. silence in
a max-referenced dB map). The reference code used 0, which in such a map is the
*loudest* value: it "occluded" with a burst of energy (:mod:`..baselines`).

Time extents are counted in frames of the reference 15 ms hop and converted to the
model's own grid, so the paper's 10-frame window silences 150 ms for a spectrogram
model and 2,400 samples for a 16 kHz waveform model (whose input has one row).

The map is captum's ``Occlusion`` map (same windows, same averaging), computed by
incremental inference (:mod:`.incremental`): only what a window can change is
recomputed, which is what makes the paper's 1x10 window with a 1x3 stride affordable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from bsbench_plugins.methods.occlusion.incremental import IncrementalNetwork
from bsbench_plugins.methods.occlusion.windows import SlidingWindows

from bsbench.plugin import BASELINES, InputGrid, LoadedModel, baseline_of, require_at_least, require_choice

#: Hop of the reference log-mel grid, the unit of the time extents.
REFERENCE_SECONDS_PER_FRAME = 0.015


@dataclass(frozen=True)
class OcclusionParameters:
    #: Window in (frequency bins x 15 ms frames); the paper's is 1x10.
    window: tuple[int, int] = (1, 10)
    #: Step in (bins x 15 ms frames); the paper's is 1x3.
    stride: tuple[int, int] = (1, 3)
    #: What fills the window: floor (silence), zero, or the clip's mean.
    baseline: str = "floor"
    #: Occluded copies computed together (memory vs. speed).
    batch: int = 192


@dataclass(frozen=True)
class OcclusionTimeParameters:
    #: Window in 15 ms frames, over every frequency bin.
    window: int = 10
    #: Step in 15 ms frames.
    stride: int = 3
    baseline: str = "floor"
    batch: int = 192


def on_grid(extent: tuple[int, int], grid: InputGrid) -> tuple[int, int]:
    """(bins, 15 ms frames) -> (rows, frames) of ``grid``: one row for a waveform input."""
    bins, frames = extent
    rows = min(bins, grid.shape[0])
    return rows, max(1, round(frames * REFERENCE_SECONDS_PER_FRAME / grid.seconds_per_frame))


def occlusion_map(
    model: LoadedModel,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    windows: SlidingWindows,
    fills: torch.Tensor,
    batch: int,
) -> np.ndarray:
    """Mean target-logit drop of the windows covering each cell, for every clip: (clips, rows, frames)."""
    network = IncrementalNetwork(model.network)
    starts = windows.starts(inputs.device)
    maps = []
    with torch.no_grad():
        for clip_input, fill, target in zip(inputs, fills, targets.tolist(), strict=True):
            clean, occluded = network.occluded_outputs(clip_input[None], fill[None], starts, windows.window, batch)
            maps.append(windows.relevance((clean[target] - occluded[:, target]).cpu().numpy()))
    return np.stack(maps).astype(np.float32)


class SlidingOcclusion:
    """What both occlusion methods share; each says where its windows go."""

    name: str
    cost = "perturbation"

    def windows(self, params: Any, grid: InputGrid) -> SlidingWindows:
        raise NotImplementedError

    def model_passes(self, params: Any, grid: InputGrid) -> int:
        """Forward passes per clip: the clean input twice, then one per window (each recomputing its receptive field).

        Incremental inference runs the clean input once whole, keeping every activation,
        and once more as the first region, through the same path as the windows. (A network
        torch.fx cannot trace skips the first of the two and makes one pass fewer.)
        """
        return 2 + len(self.windows(params, grid))

    def check_parameters(self, params: Any, network: torch.nn.Module, grid: InputGrid) -> None:
        """Windows that fit the grid (``windows`` refuses the others), a known fill, a batch of at least 1."""
        self.windows(params, grid)
        require_choice(f"method {self.name}", "baseline", params.baseline, BASELINES)
        require_at_least(f"method {self.name}", params, 1, "batch")

    def explain(
        self, model: LoadedModel, inputs: torch.Tensor, targets: torch.Tensor, params: Any, seed: int
    ) -> np.ndarray:
        fills = baseline_of(inputs, params.baseline, self.name)
        windows = self.windows(params, model.frontend.grid)
        return occlusion_map(model, inputs, targets, windows, fills, params.batch)


class OcclusionMethod(SlidingOcclusion):
    name = "occlusion"
    description = (
        "Occlusion with a sliding silence window (captum's map, incremental inference); paper 1x10, stride 1x3."
    )
    version = "0.2.0"
    parameters = OcclusionParameters

    def windows(self, params: OcclusionParameters, grid: InputGrid) -> SlidingWindows:
        return SlidingWindows(grid.shape, on_grid(params.window, grid), on_grid(params.stride, grid))


class OcclusionTimeMethod(SlidingOcclusion):
    name = "occlusion-time"
    description = "Occlusion with full-band time windows of silence: which moments the prediction needs."
    version = "0.1.0"
    parameters = OcclusionTimeParameters

    def windows(self, params: OcclusionTimeParameters, grid: InputGrid) -> SlidingWindows:
        rows = grid.shape[0]
        return SlidingWindows(grid.shape, on_grid((rows, params.window), grid), on_grid((rows, params.stride), grid))
