"""Layer-wise relevance propagation with zennit composites.

Relevance starts as the target logit and flows back layer by layer under the rules of
a composite; the model plugin's canonizers make the architecture LRP-ready first
(batch norm merged into the preceding convolution, a residual addition routed through
a module a rule can attach to). Conserving rules keep the total: the map sums to about
the logit, minus what biases absorb.

Composites: ``epsilon-plus-flat`` (zennit's recommendation for CNNs: flat first layer,
z+ in convolutions, epsilon in dense layers), ``epsilon-gamma-box`` (z-box on the input
bounded by the batch's value range, gamma in convolutions), ``epsilon-plus``,
``epsilon-alpha2-beta1``, and ``epsilon`` (the epsilon rule everywhere, whose
conservation is the textbook property).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from zennit.attribution import Gradient
from zennit.composites import (
    LAYER_MAP_BASE,
    EpsilonAlpha2Beta1,
    EpsilonGammaBox,
    EpsilonPlus,
    EpsilonPlusFlat,
    LayerMapComposite,
)
from zennit.core import Composite
from zennit.rules import Epsilon
from zennit.types import Convolution, Linear

from bsbench.plugin import InputGrid, LoadedModel, UsageError, require_at_least, require_choice

COMPOSITES = ("epsilon-plus-flat", "epsilon-gamma-box", "epsilon-plus", "epsilon-alpha2-beta1", "epsilon")


@dataclass(frozen=True)
class LrpParameters:
    composite: str = "epsilon-plus-flat"
    #: Stabiliser of the epsilon rule in the ``epsilon`` composite (the others keep zennit's defaults).
    epsilon: float = 1e-6


def build_composite(name: str, epsilon: float, inputs: torch.Tensor, canonizers: list) -> Composite:
    """The zennit composite called ``name``; ``inputs`` bound the z-box rule of epsilon-gamma-box."""
    if name == "epsilon-plus-flat":
        return EpsilonPlusFlat(canonizers=canonizers)
    if name == "epsilon-gamma-box":
        # scalar bounds (the batch's range) fit the first layer whatever shape it reads (a waveform model
        # flattens its input before its first convolution)
        low, high = float(inputs.min()), float(inputs.max())
        return EpsilonGammaBox(low=low, high=high, canonizers=canonizers)
    if name == "epsilon-plus":
        return EpsilonPlus(canonizers=canonizers)
    if name == "epsilon-alpha2-beta1":
        return EpsilonAlpha2Beta1(canonizers=canonizers)
    if name == "epsilon":
        layer_map = [*LAYER_MAP_BASE, (Convolution, Epsilon(epsilon=epsilon)), (Linear, Epsilon(epsilon=epsilon))]
        return LayerMapComposite(layer_map=layer_map, canonizers=canonizers)
    raise UsageError(f"method lrp: composite {name!r} is not one of {', '.join(COMPOSITES)}")


class LrpMethod:
    name = "lrp"
    description = "Layer-wise relevance propagation (zennit composites; epsilon-plus-flat by default)."
    version = "0.1.0"
    cost = "propagation"
    parameters = LrpParameters

    def model_passes(self, params: LrpParameters, grid: InputGrid) -> int:
        return 1

    def check_parameters(self, params: LrpParameters, network: torch.nn.Module, grid: InputGrid) -> None:
        require_choice("method lrp", "composite", params.composite, COMPOSITES)
        require_at_least("method lrp", params, 0, "epsilon")

    def explain(
        self, model: LoadedModel, inputs: torch.Tensor, targets: torch.Tensor, params: LrpParameters, seed: int
    ) -> np.ndarray:
        composite = build_composite(params.composite, params.epsilon, inputs, model.plugin.canonizers())
        chosen = torch.nn.functional.one_hot(targets, len(model.labels)).to(inputs.dtype)
        data = inputs.detach().clone().requires_grad_(True)
        with Gradient(model=model.network, composite=composite) as attributor:
            _, relevance = attributor(data, lambda output: output * chosen)
        return relevance.detach().sum(dim=1).float().cpu().numpy()
