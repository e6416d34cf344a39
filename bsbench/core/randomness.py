"""Seeded randomness for code that draws from the global generators and takes no seed of its own.

captum draws SmoothGrad's noise from torch's global generator and gradient SHAP's path points
from NumPy's; Quantus seeds NumPy's global state itself. A plugin that calls such code wraps the
call in :func:`private_random_streams`, so its draws follow the batch's seed and nothing else the
process does sees a changed generator afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch


@contextmanager
def private_random_streams(seed: int, device: torch.device) -> Iterator[None]:
    """Seed torch's and NumPy's global generators for the block, then put the caller's state back.

    captum draws SmoothGrad's noise from torch and gradient SHAP's path points from
    NumPy's global generator, with no seed argument of its own.
    """
    numpy_state = np.random.get_state()
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        np.random.seed(seed % 2**32)
        try:
            yield
        finally:
            np.random.set_state(numpy_state)
