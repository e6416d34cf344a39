"""Concept Relevance Propagation (zennit-crp), the paper's main explainer.

Relevance starts at the target logit and flows back under zennit's EpsilonPlusFlat
composite, with the model plugin's canonizers (batch norm merged into the preceding
convolution). Optionally the flow is restricted to one concept: a channel of one layer
(the paper's ``{"layer1.conv1": [35]}``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from bsbench_plugins.methods.layers import find_layer
from crp.attribution import CondAttribution
from zennit.composites import EpsilonPlusFlat

from bsbench.errors import UsageError
from bsbench.protocols import LoadedModel


@dataclass(frozen=True)
class CrpParameters:
    #: Layer of the concept to condition on, e.g. ``layer1.conv1``; empty: class-conditional only.
    layer: str = ""
    #: Channel index in ``layer`` (the paper used 35 in ``layer1.conv1``); -1: all channels.
    concept: int = -1


class CrpMethod:
    name = "crp"
    description = "Concept Relevance Propagation: EpsilonPlusFlat LRP from the target logit (zennit-crp)."
    version = "0.1.0"
    cost = "propagation"
    parameters = CrpParameters

    def explain(
        self,
        model: LoadedModel,
        inputs: torch.Tensor,
        targets: torch.Tensor,
        params: CrpParameters,
        seed: int,
    ) -> np.ndarray:
        condition: dict[str, list[int]] = {}
        if params.concept >= 0:
            if not params.layer:
                raise UsageError("method crp: parameter concept needs layer=<module name>")
            layer = find_layer(model.network, params.layer, "crp")
            channels = getattr(layer, "out_channels", None)
            if channels is not None and params.concept >= channels:
                raise UsageError(f"method crp: concept {params.concept} >= {channels} channels of {params.layer}")
            condition[params.layer] = [params.concept]
        conditions = [{**condition, "y": [int(target)]} for target in targets]
        composite = EpsilonPlusFlat(canonizers=model.plugin.canonizers())
        attribution = CondAttribution(model.network, no_param_grad=True)
        data = inputs.detach().clone().requires_grad_(True)
        result = attribution(data, conditions, composite)
        return result.heatmap.detach().cpu().numpy().astype(np.float32)
