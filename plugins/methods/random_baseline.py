"""The floor every method must clear: relevance drawn at random, seeded."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from bsbench.protocols import LoadedModel


@dataclass(frozen=True)
class RandomParameters:
    pass


class RandomMethod:
    name = "random"
    description = "Uniform random relevance (seeded): the chance level of every metric."
    version = "0.1.0"
    cost = "baseline"
    parameters = RandomParameters

    def explain(
        self,
        model: LoadedModel,
        inputs: torch.Tensor,
        targets: torch.Tensor,
        params: RandomParameters,
        seed: int,
    ) -> np.ndarray:
        rng = np.random.default_rng(seed)
        return rng.random((inputs.shape[0], *inputs.shape[2:]), dtype=np.float32)
