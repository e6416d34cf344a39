"""Concept Relevance Propagation (zennit-crp), the paper's main explainer.

Relevance starts at the target logit and flows back under zennit's EpsilonPlusFlat
composite, with the model plugin's canonizers (batch norm merged into the preceding
convolution). The map is class-conditional by default; ``layer`` and ``concept``
restrict the flow to one concept, a channel of one layer (the paper's
``{"layer1.conv1": [35]}``).

Each explanation also reports the ``top_k`` concepts of ``concept_layer`` (the model's
explain layer unless named): the channels that carry most of the class relevance, with
their share of it, so a user can ask which learned detectors the evidence passed through.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from bsbench_plugins.methods.layers import find_layer
from crp.attribution import CondAttribution
from zennit.composites import EpsilonPlusFlat

from bsbench.plugin import Attribution, InputGrid, LoadedModel, UsageError, require_at_least


@dataclass(frozen=True)
class CrpParameters:
    #: Layer of the concept to condition on, e.g. ``layer1.conv1``; empty: class-conditional only.
    layer: str = ""
    #: Channel index in ``layer`` (the paper used 35 in ``layer1.conv1``); -1: all channels.
    concept: int = -1
    #: Layer whose most relevant concepts are reported; empty: the model's explain layer.
    concept_layer: str = ""
    #: How many concepts to report per clip (0: none).
    top_k: int = 5


class CrpMethod:
    name = "crp"
    description = "Concept Relevance Propagation: EpsilonPlusFlat LRP from the target logit, top concepts (zennit-crp)."
    version = "0.2.0"
    cost = "propagation"
    parameters = CrpParameters

    def model_passes(self, params: CrpParameters, grid: InputGrid) -> int:
        return 1

    def check_parameters(self, params: CrpParameters, network: torch.nn.Module, grid: InputGrid) -> None:
        """Refuse layer names the network lacks, a channel it lacks, and a layer that would be ignored."""
        require_at_least("method crp", params, 0, "top_k")
        if params.concept_layer:
            find_layer(network, params.concept_layer, self.name, "concept_layer")
        if params.layer and params.concept < 0:
            raise UsageError(f"method crp: parameter layer={params.layer!r} is used only with concept=<channel>")
        if params.concept >= 0:
            if not params.layer:
                raise UsageError("method crp: parameter concept needs layer=<module name>")
            _check_channel(network, params.layer, params.concept)

    def explain(
        self,
        model: LoadedModel,
        inputs: torch.Tensor,
        targets: torch.Tensor,
        params: CrpParameters,
        seed: int,
    ) -> Attribution:
        self.check_parameters(params, model.network, model.frontend.grid)  # also when called outside a run
        condition: dict[str, list[int]] = {}
        if params.concept >= 0:
            condition[params.layer] = [params.concept]
        concept_layer = params.concept_layer or model.plugin.explain_layer
        find_layer(model.network, concept_layer, self.name)
        recorded = [concept_layer] if params.top_k > 0 else []
        conditions = [{**condition, "y": [int(target)]} for target in targets]
        composite = EpsilonPlusFlat(canonizers=model.plugin.canonizers())
        data = inputs.detach().clone().requires_grad_(True)
        # no_param_grad switches off the weights' gradients (faster) and never switches them back
        flags = [(parameter, parameter.requires_grad) for parameter in model.network.parameters()]
        try:
            attribution = CondAttribution(model.network, no_param_grad=True)
            result = attribution(data, conditions, composite, record_layer=recorded)
        finally:
            for parameter, flag in flags:
                parameter.requires_grad_(flag)
        heatmap = result.heatmap.detach().float().cpu().numpy()
        if not recorded:
            return Attribution(heatmap)
        details = tuple(
            top_concepts(channel_relevance, concept_layer, params.top_k)
            for channel_relevance in _per_channel(result.relevances[concept_layer])
        )
        return Attribution(heatmap, details)


def _check_channel(network: torch.nn.Module, layer_name: str, concept: int) -> None:
    layer = find_layer(network, layer_name, "crp")
    channels = getattr(layer, "out_channels", None)
    if channels is not None and concept >= channels:
        raise UsageError(f"method crp: concept {concept} >= {channels} channels of {layer_name}")


def _per_channel(relevance: torch.Tensor) -> np.ndarray:
    """A layer's relevance summed over every axis but the channel: (clips, channels)."""
    return relevance.detach().flatten(2).sum(dim=2).double().cpu().numpy()


def top_concepts(channel_relevance: np.ndarray, layer: str, k: int) -> dict[str, object]:
    """The ``k`` channels with the most relevance, each with its share of the layer's absolute relevance."""
    total = float(np.abs(channel_relevance).sum())
    order = np.argsort(-channel_relevance, kind="stable")[:k]
    return {
        "concept_layer": layer,
        "top_concepts": [
            {
                "channel": int(c),
                "relevance": float(channel_relevance[c]),
                "share": float(channel_relevance[c] / total) if total else 0.0,
            }
            for c in order
        ],
    }
