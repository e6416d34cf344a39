"""Occlusion (captum): slide a window of silence over the input, record the logit drop.

The baseline defaults to the spectrogram's floor (its per-clip minimum, i.e. silence in
a max-referenced dB map). The reference code used 0, which in such a map is the
*loudest* value: it "occluded" with a burst of energy.

Time extents are counted in frames of the reference 15 ms hop and converted to the
model's own grid, so the paper's 10-frame window silences 150 ms for a spectrogram
model and 2,400 samples for a 16 kHz waveform model (whose input has one row).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from captum.attr import Occlusion

from bsbench.errors import UsageError
from bsbench.protocols import LoadedModel
from bsbench.types import InputGrid

BASELINES = ("floor", "zero", "mean")


@dataclass(frozen=True)
class OcclusionParameters:
    #: Window in (frequency bins x 15 ms frames); the paper's is 1x10.
    window: tuple[int, int] = (1, 10)
    #: Step in (bins x 15 ms frames); the paper's is 1x3.
    stride: tuple[int, int] = (1, 3)
    #: What fills the window: floor (silence), zero, or the clip's mean.
    baseline: str = "floor"
    #: Occluded copies per forward pass (memory vs. speed).
    batch: int = 64


class OcclusionMethod:
    name = "occlusion"
    description = "Occlusion with a sliding silence window (captum); paper setting 1x10, stride 1x3."
    version = "0.1.0"
    cost = "perturbation"
    parameters = OcclusionParameters

    def explain(
        self,
        model: LoadedModel,
        inputs: torch.Tensor,
        targets: torch.Tensor,
        params: OcclusionParameters,
        seed: int,
    ) -> np.ndarray:
        if params.baseline not in BASELINES:
            raise UsageError(f"method occlusion: baseline {params.baseline!r} is not one of {', '.join(BASELINES)}")
        if params.baseline == "floor":
            baseline = inputs.amin(dim=(1, 2, 3), keepdim=True).expand_as(inputs).contiguous()
        elif params.baseline == "mean":
            baseline = inputs.mean(dim=(1, 2, 3), keepdim=True).expand_as(inputs).contiguous()
        else:
            baseline = torch.zeros_like(inputs)
        window, stride = (on_grid(extent, model.frontend.grid) for extent in (params.window, params.stride))
        attribution = Occlusion(model.network).attribute(
            inputs,
            sliding_window_shapes=(1, *window),
            strides=(1, *stride),
            baselines=baseline,
            target=targets,
            perturbations_per_eval=params.batch,
        )
        return attribution.sum(dim=1).detach().cpu().numpy().astype(np.float32)


#: Hop of the reference log-mel grid, the unit of the time extents above.
REFERENCE_SECONDS_PER_FRAME = 0.015


def on_grid(extent: tuple[int, int], grid: InputGrid) -> tuple[int, int]:
    """(bins, 15 ms frames) -> (rows, frames) of ``grid``: one row for a waveform input."""
    bins, frames = extent
    rows = min(bins, grid.shape[0])
    return rows, max(1, round(frames * REFERENCE_SECONDS_PER_FRAME / grid.seconds_per_frame))
