"""``deconvolution``: captum's Deconvolution as a bsbench method."""

from __future__ import annotations

import warnings

import numpy as np
from captum.attr import Deconvolution

from bsbench.plugin import NoParameters, hookimpl


class DeconvolutionMethod:
    name = "deconvolution"
    description = "Deconvolution (Zeiler & Fergus 2014): gradients with ReLUs applied backwards (captum)."
    version = "0.1.0"
    cost = "gradient"
    parameters = NoParameters

    def model_passes(self, params, grid) -> int:
        return 1

    def explain(self, model, inputs, targets, params, seed) -> np.ndarray:
        copy = inputs.detach().clone().requires_grad_()  # the caller's tensor stays as it was
        with warnings.catch_warnings():  # captum announces the ReLU hooks it adds and removes on every call
            warnings.simplefilter("ignore", UserWarning)
            relevance = Deconvolution(model.network).attribute(copy, target=targets.to(copy.device))
        return relevance.sum(dim=1).detach().cpu().numpy().astype(np.float32)  # channel axis summed away


@hookimpl
def bsbench_register_methods(register):
    register(DeconvolutionMethod())
