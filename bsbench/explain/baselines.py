"""Reference inputs shared by occlusion, ablation and the path methods (integrated gradients, DeepLift ...).

``floor`` is the default everywhere: each clip's minimum, which is silence in a
max-referenced dB map. The reference code's 0 is the *loudest* value of such a map.
"""

from __future__ import annotations

import torch

from bsbench.core.errors import UsageError

BASELINES = ("floor", "zero", "mean")


def baseline_of(inputs: torch.Tensor, kind: str, method: str) -> torch.Tensor:
    """The reference value of every cell, per clip, shaped like ``inputs``."""
    if kind == "floor":
        return inputs.amin(dim=(1, 2, 3), keepdim=True).expand_as(inputs).contiguous()
    if kind == "mean":
        return inputs.mean(dim=(1, 2, 3), keepdim=True).expand_as(inputs).contiguous()
    if kind == "zero":
        return torch.zeros_like(inputs)
    raise UsageError(f"method {method}: baseline {kind!r} is not one of {', '.join(BASELINES)}")
