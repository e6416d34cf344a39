"""A third-party plugin package written wrong on purpose: each plugin breaks its protocol at run time.

Each method draws a usable map (the input's level above its floor) and then does the one
thing its name says; the run must record it by name, discard what it produced and give
every other plugin the results it would have had without it.
"""

from __future__ import annotations

import numpy as np
import torch

from bsbench import hookimpl
from bsbench.core.parameters import NoParameters
from bsbench.core.types import InputGrid
from bsbench.interfaces.protocols import LoadedModel, Scores, ScoringBatch


def _level(inputs: torch.Tensor) -> np.ndarray:
    level = inputs.detach().sum(dim=1)
    return (level - level.amin(dim=(1, 2), keepdim=True)).cpu().numpy().astype(np.float32)


class _BrokenMethod:
    description = "A method that breaks its protocol on purpose (test package)."
    version = "1"
    cost = "baseline"
    parameters = NoParameters

    def model_passes(self, params: NoParameters, grid: InputGrid) -> int:
        return 0

    def explain(self, model: LoadedModel, inputs, targets, params, seed):
        self.misbehave(model, inputs)
        return _level(inputs)

    def misbehave(self, model: LoadedModel, inputs: torch.Tensor) -> None:
        raise NotImplementedError


class WeightMutator(_BrokenMethod):
    name = "weight-mutator"

    def misbehave(self, model, inputs):
        next(model.network.parameters()).data.mul_(1.5)


class HookLeaver(_BrokenMethod):
    name = "hook-leaver"

    def misbehave(self, model, inputs):
        model.network.register_forward_hook(lambda module, args, output: output * 2)


class TrainSwitcher(_BrokenMethod):
    name = "train-switcher"

    def misbehave(self, model, inputs):
        model.network.train()


class InputWriter(_BrokenMethod):
    name = "input-writer"

    def misbehave(self, model, inputs):
        inputs.mul_(0.5)


class WrongShape(_BrokenMethod):
    name = "wrong-shape"

    def explain(self, model, inputs, targets, params, seed):
        return np.ones((len(inputs), 3, 3), dtype=np.float32)


class SilentNan:
    name = "silent-nan"
    description = "Returns NaN for every clip without saying why (test package)."
    version = "1"
    higher_is_better = True
    requires = frozenset()
    parameters = NoParameters

    def score(self, batch: ScoringBatch, params: NoParameters) -> Scores:
        return Scores({"": np.full(len(batch.clips), np.nan)})


class WeightMutatingMetric(SilentNan):
    name = "weight-mutating-metric"
    description = "Scores 1 for every clip after rescaling a weight of the network (test package)."

    def score(self, batch: ScoringBatch, params: NoParameters) -> Scores:
        next(batch.model.network.parameters()).data.mul_(0.5)
        return Scores({"": np.ones(len(batch.clips))})


BROKEN_METHODS = ("weight-mutator", "hook-leaver", "train-switcher", "input-writer", "wrong-shape")
BROKEN_METRICS = ("silent-nan", "weight-mutating-metric")


class BrokenPackage:
    @hookimpl
    def bsbench_register_methods(self, register):
        for method in (WeightMutator(), HookLeaver(), TrainSwitcher(), InputWriter(), WrongShape()):
            register(method)

    @hookimpl
    def bsbench_register_metrics(self, register):
        register(SilentNan())
        register(WeightMutatingMetric())
