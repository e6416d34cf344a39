"""The floors every method must clear: relevance drawn at random (seeded), and a constant map.

``random`` is the chance level of every metric. ``constant`` gives every cell the same
relevance: it carries no information at all, so metrics must score it as such (a
correlation is undefined for it, a ranking metric is at chance).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch

from bsbench.plugin import InputGrid, LoadedModel, NoParameters


class RandomMethod:
    name = "random"
    description = "Uniform random relevance (seeded): the chance level of every metric."
    #: Contract checks it fails on purpose (``bsbench check random`` reports them as expected).
    expected_check_failures: ClassVar[dict[str, str]] = {
        "respects-the-target": "chance level by design: the map ignores the model and the class"
    }
    version = "0.1.0"
    cost = "baseline"
    parameters = NoParameters

    def model_passes(self, params: NoParameters, grid: InputGrid) -> int:
        return 0

    def explain(
        self, model: LoadedModel, inputs: torch.Tensor, targets: torch.Tensor, params: NoParameters, seed: int
    ) -> np.ndarray:
        rng = np.random.default_rng(seed)
        return rng.random((inputs.shape[0], *inputs.shape[2:]), dtype=np.float32)


@dataclass(frozen=True)
class ConstantParameters:
    value: float = 1.0


class ConstantMethod:
    name = "constant"
    description = "The same relevance in every cell: an explanation that says nothing."
    expected_check_failures: ClassVar[dict[str, str]] = {
        "respects-the-target": "says nothing by design: the map ignores the model and the class"
    }
    version = "0.1.0"
    cost = "baseline"
    parameters = ConstantParameters

    def model_passes(self, params: ConstantParameters, grid: InputGrid) -> int:
        return 0

    def explain(
        self, model: LoadedModel, inputs: torch.Tensor, targets: torch.Tensor, params: ConstantParameters, seed: int
    ) -> np.ndarray:
        return np.full((inputs.shape[0], *inputs.shape[2:]), params.value, dtype=np.float32)
