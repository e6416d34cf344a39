"""A method as a run plans it: the plugin with its parsed parameters, the identity its explanations
are cached under, and the plugin wrapped as Quantus's ``explain_func``.

Grid jobs, ``bsbench explain`` and the contract checks all explain through these, so a method is
identified and called the same way everywhere.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import torch

from bsbench.interfaces.protocols import Explainer, LoadedModel, MethodPlugin, as_attribution
from bsbench.registry.code_digest import code_digest


@dataclass(frozen=True)
class PlannedMethod:
    #: The name the method carries in results: bare with defaults, else with the parameters given.
    label: str
    plugin: MethodPlugin
    params: Any


def method_identity(planned: PlannedMethod) -> dict[str, Any]:
    """What an explanation depends on besides model, clips, targets and seed: the plugin and its parameters."""
    plugin = planned.plugin
    return {
        "name": plugin.name,
        "version": plugin.version,
        "code": code_digest(plugin),
        "parameters": asdict(planned.params),
    }


def method_explainer(model: LoadedModel, planned: PlannedMethod, seed: int) -> Explainer:
    """The planned method as Quantus's ``explain_func``: any network of the model's architecture, NumPy in and out.

    Robustness metrics call it on perturbed inputs, randomisation metrics on a
    randomised copy of the network; the seed stays the batch's, so a stochastic method
    draws the same noise it drew for the explanation being scored.
    """

    def explain(model: torch.nn.Module, inputs: np.ndarray, targets: np.ndarray, **_: Any) -> np.ndarray:
        loaded = replace(base, network=model)
        tensor = torch.as_tensor(np.asarray(inputs), dtype=torch.float32, device=base.device)
        target_tensor = torch.as_tensor(np.asarray(targets), dtype=torch.long, device=base.device)
        torch.manual_seed(seed)
        output = as_attribution(planned.plugin.explain(loaded, tensor, target_tensor, planned.params, seed))
        return np.asarray(output.relevance, dtype=np.float32)

    base = model
    return explain
