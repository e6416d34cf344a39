"""The gradient family, through captum: saliency, input x gradient, integrated gradients,
gradient SHAP, DeepLift, guided backpropagation and SmoothGrad.

Each method is a few lines on :class:`CaptumGradientMethod`, which does what they
share: a fresh copy of the input, private random streams seeded by the run (the
stochastic ones draw noise, baselines and path points from them without touching the
caller's generators), clips explained one at a time where a method's
randomness or baselines would otherwise mix clips of a batch, and the channel axis
summed away so the map lies on the model's input grid.

Path methods (integrated gradients, gradient SHAP, DeepLift) start from the floor
baseline by default: silence, not the reference code's 0 (the loudest cell of a
max-referenced dB map).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from captum.attr import (
    DeepLift,
    GradientShap,
    GuidedBackprop,
    InputXGradient,
    IntegratedGradients,
    NoiseTunnel,
    Saliency,
)

from bsbench.plugin import (
    BASELINES,
    InputGrid,
    LoadedModel,
    NoParameters,
    baseline_of,
    private_random_streams,
    require_at_least,
    require_choice,
)


class CaptumGradientMethod:
    """Base of the captum-backed methods: subclasses implement :meth:`attribute` for a batch."""

    name: str
    version = "0.1.0"
    cost = "gradient"
    #: Explain clip by clip (methods whose noise or baselines would otherwise mix clips).
    per_clip = False

    def attribute(self, model: LoadedModel, inputs: torch.Tensor, targets: torch.Tensor, params: Any) -> torch.Tensor:
        raise NotImplementedError

    def model_passes(self, params: Any, grid: InputGrid) -> int:
        """Forward and backward passes per clip."""
        return 1

    def check_parameters(self, params: Any, network: torch.nn.Module, grid: InputGrid) -> None:
        """The family's shared fields: counts of at least 1, noise of at least 0, a known baseline."""
        owner = f"method {self.name}"
        require_at_least(owner, params, 1, *(name for name in ("steps", "samples", "batch") if hasattr(params, name)))
        if hasattr(params, "noise"):
            require_at_least(owner, params, 0, "noise")
        if hasattr(params, "baseline"):
            require_choice(owner, "baseline", params.baseline, BASELINES)

    def explain(
        self, model: LoadedModel, inputs: torch.Tensor, targets: torch.Tensor, params: Any, seed: int
    ) -> np.ndarray:
        if self.per_clip:
            groups = [(inputs[i : i + 1], targets[i : i + 1]) for i in range(len(inputs))]
        else:
            groups = [(inputs, targets)]
        maps = []
        for offset, (group_inputs, group_targets) in enumerate(groups):
            with private_random_streams(seed + offset, inputs.device), warnings.catch_warnings():
                # captum announces every hook it sets on activations; that is how these methods work
                warnings.filterwarnings("ignore", message="Setting (forward, )?backward hooks", category=UserWarning)
                copy = group_inputs.detach().clone().requires_grad_(True)
                attribution = self.attribute(model, copy, group_targets, params)
            maps.append(attribution.detach().sum(dim=1).float().cpu().numpy())
        return np.concatenate(maps).astype(np.float32)


@dataclass(frozen=True)
class SaliencyParameters:
    #: Absolute gradients (Simonyan et al.); false keeps the sign.
    abs: bool = True


class SaliencyMethod(CaptumGradientMethod):
    name = "saliency"
    description = "Gradient of the target logit with respect to each input cell (captum Saliency)."
    parameters = SaliencyParameters

    def attribute(self, model, inputs, targets, params: SaliencyParameters):
        return Saliency(model.network).attribute(inputs, target=targets, abs=params.abs)


class ParameterFreeMethod(CaptumGradientMethod):
    """A captum attribution that needs nothing but the model, the inputs and the targets."""

    captum_class: type
    parameters = NoParameters

    def attribute(self, model, inputs, targets, params):
        return self.captum_class(model.network).attribute(inputs, target=targets)


class InputXGradientMethod(ParameterFreeMethod):
    name = "input-x-gradient"
    description = "Input times gradient of the target logit (captum InputXGradient)."
    captum_class = InputXGradient


@dataclass(frozen=True)
class IntegratedGradientsParameters:
    #: Points on the straight path from the baseline to the input.
    steps: int = 32
    #: floor (silence), zero, or the clip's mean.
    baseline: str = "floor"
    #: Path points per forward pass (memory vs. speed).
    batch: int = 64


class IntegratedGradientsMethod(CaptumGradientMethod):
    name = "integrated-gradients"
    description = "Integrated gradients from a silence baseline (captum); relevance sums to the logit change."
    parameters = IntegratedGradientsParameters

    def model_passes(self, params: IntegratedGradientsParameters, grid: InputGrid) -> int:
        return params.steps

    def attribute(self, model, inputs, targets, params: IntegratedGradientsParameters):
        return IntegratedGradients(model.network).attribute(
            inputs,
            baselines=baseline_of(inputs, params.baseline, self.name),
            target=targets,
            n_steps=params.steps,
            internal_batch_size=params.batch,
        )


@dataclass(frozen=True)
class GradientShapParameters:
    #: Random (baseline, path point) draws per clip.
    samples: int = 16
    #: Gaussian noise added to each draw, as a fraction of the clip's value range.
    noise: float = 0.0


class SampledMethod(CaptumGradientMethod):
    """Methods that average over random draws: one pass per draw, clip by clip so draws never mix clips."""

    per_clip = True

    def model_passes(self, params: Any, grid: InputGrid) -> int:
        return params.samples


def noise_scale(inputs: torch.Tensor, fraction: float) -> float:
    """``fraction`` of the clip's value range: a noise level that means the same on dB maps and waveforms."""
    values = inputs.detach()
    return fraction * float(values.max() - values.min())


class GradientShapMethod(SampledMethod):
    name = "gradient-shap"
    description = "Gradient SHAP: expected gradients over floor and mean baselines (captum GradientShap)."
    parameters = GradientShapParameters

    def attribute(self, model, inputs, targets, params: GradientShapParameters):
        references = torch.cat([baseline_of(inputs, kind, self.name) for kind in ("floor", "mean")])
        return GradientShap(model.network).attribute(
            inputs,
            baselines=references,
            target=targets,
            n_samples=params.samples,
            stdevs=noise_scale(inputs, params.noise),
        )


@dataclass(frozen=True)
class DeepLiftParameters:
    baseline: str = "floor"


class DeepLiftMethod(CaptumGradientMethod):
    name = "deeplift"
    description = "DeepLift (rescale rule) from a silence baseline (captum DeepLift)."
    parameters = DeepLiftParameters

    def model_passes(self, params: DeepLiftParameters, grid: InputGrid) -> int:
        return 2

    def attribute(self, model, inputs, targets, params: DeepLiftParameters):
        baselines = baseline_of(inputs, params.baseline, self.name)
        return DeepLift(model.network).attribute(inputs, baselines=baselines, target=targets)


class GuidedBackpropMethod(ParameterFreeMethod):
    name = "guided-backprop"
    description = "Guided backpropagation: only positive gradients pass back through ReLUs (captum)."
    captum_class = GuidedBackprop


@dataclass(frozen=True)
class SmoothGradParameters:
    #: Noisy copies per clip.
    samples: int = 16
    #: Standard deviation of the noise, as a fraction of the clip's value range.
    noise: float = 0.1
    #: Noisy copies per forward pass.
    batch: int = 16


class SmoothGradMethod(SampledMethod):
    name = "smoothgrad"
    description = "SmoothGrad: absolute gradients averaged over noisy copies (captum NoiseTunnel)."
    parameters = SmoothGradParameters

    def attribute(self, model, inputs, targets, params: SmoothGradParameters):
        return NoiseTunnel(Saliency(model.network)).attribute(
            inputs,
            nt_type="smoothgrad",
            nt_samples=params.samples,
            nt_samples_batch_size=params.batch,
            stdevs=noise_scale(inputs, params.noise),
            target=targets,
        )


GRADIENT_METHODS = (
    SaliencyMethod,
    InputXGradientMethod,
    IntegratedGradientsMethod,
    GradientShapMethod,
    DeepLiftMethod,
    GuidedBackpropMethod,
    SmoothGradMethod,
)
