"""Occlusion (captum): slide a window of silence over the input, record the logit drop.

The baseline defaults to the spectrogram's floor (its per-clip minimum, i.e. silence in
a max-referenced dB map). The reference code used 0, which in such a map is the
*loudest* value: it "occluded" with a burst of energy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from captum.attr import Occlusion

from bsbench.errors import UsageError
from bsbench.protocols import LoadedModel

BASELINES = ("floor", "zero", "mean")


@dataclass(frozen=True)
class OcclusionParameters:
    #: Window in (frequency bins x time frames); the paper's is 1x10.
    window: tuple[int, int] = (1, 10)
    #: Step in (bins x frames); the paper's is 1x3.
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
        attribution = Occlusion(model.network).attribute(
            inputs,
            sliding_window_shapes=(1, *params.window),
            strides=(1, *params.stride),
            baselines=baseline,
            target=targets,
            perturbations_per_eval=params.batch,
        )
        return attribution.sum(dim=1).detach().cpu().numpy().astype(np.float32)
