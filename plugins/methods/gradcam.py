"""Grad-CAM (captum ``LayerGradCam``), upsampled to the input grid: bilinearly, or linearly in time for 1-D layers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from bsbench_plugins.methods.layers import find_layer
from captum.attr import LayerAttribution, LayerGradCam

from bsbench.plugin import InputGrid, LoadedModel


@dataclass(frozen=True)
class GradCamParameters:
    #: Layer whose activations are weighted; empty: the model plugin's ``explain_layer``.
    layer: str = ""
    #: Keep only positive evidence, as in the Grad-CAM paper.
    relu: bool = True


class GradCamMethod:
    name = "gradcam"
    description = "Grad-CAM on a convolution layer (captum), upsampled to the input."
    version = "0.1.0"
    cost = "gradient"
    parameters = GradCamParameters

    def model_passes(self, params: GradCamParameters, grid: InputGrid) -> int:
        return 1

    def check_parameters(self, params: GradCamParameters, network: torch.nn.Module, grid: InputGrid) -> None:
        if params.layer:
            find_layer(network, params.layer, self.name)

    def explain(
        self,
        model: LoadedModel,
        inputs: torch.Tensor,
        targets: torch.Tensor,
        params: GradCamParameters,
        seed: int,
    ) -> np.ndarray:
        layer = find_layer(model.network, params.layer or model.plugin.explain_layer, self.name)
        cam = LayerGradCam(model.network, layer).attribute(inputs, target=targets, relu_attributions=params.relu)
        rows, frames = inputs.shape[-2:]
        if cam.dim() == 3:  # a 1-D convolution (a waveform model): a map over time, the same on every row
            over_time = LayerAttribution.interpolate(cam, (frames,), interpolate_mode="linear")
            upsampled = over_time.unsqueeze(-2).expand(-1, -1, rows, -1)
        else:
            upsampled = LayerAttribution.interpolate(cam, (rows, frames), interpolate_mode="bilinear")
        return upsampled.sum(dim=1).detach().cpu().numpy().astype(np.float32)
