"""Trivial explanations that read the input alone: where it is loud (``energy``), where it changes (``spectral-flux``).

XAI-TRIS (Clark et al., Machine Learning 2024) found that on data with a known signal,
popular attribution methods often fail to beat such model-blind baselines. A
leaderboard that shows them beside ``random`` tells its reader whether a method knows
more about the *model* than the signal itself does: a method that only finds the loud
syllables scores like ``energy``.

Both ignore the model and the class, and declare the check they fail on purpose.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch

from bsbench.plugin import InputGrid, LoadedModel, NoParameters

MODEL_BLIND = {"respects-the-target": "reads the input alone by design: the map ignores the model and the class"}


class ModelBlindMethod:
    """What both baselines share: no model passes, no parameters, a map computed from the input cells alone."""

    expected_check_failures: ClassVar[dict[str, str]] = MODEL_BLIND
    version = "0.1.0"
    cost = "baseline"
    parameters = NoParameters

    def model_passes(self, params: NoParameters, grid: InputGrid) -> int:
        return 0

    def explain(
        self, model: LoadedModel, inputs: torch.Tensor, targets: torch.Tensor, params: NoParameters, seed: int
    ) -> np.ndarray:
        cells = inputs.detach().sum(dim=1).cpu().numpy().astype(np.float64)  # (clips, rows, frames)
        return self.relevance(cells, model.frontend.grid).astype(np.float32)

    def relevance(self, cells: np.ndarray, grid: InputGrid) -> np.ndarray:
        raise NotImplementedError


class EnergyMethod(ModelBlindMethod):
    """Relevance = the input's level above the clip's floor ("it looks where it is loud")."""

    name = "energy"
    description = "Model-blind baseline: relevance is the input's level above the clip's floor (where it is loud)."

    def relevance(self, cells: np.ndarray, grid: InputGrid) -> np.ndarray:
        if not grid.n_bins:  # raw samples: level is the magnitude
            return np.abs(cells)
        return cells - cells.min(axis=(1, 2), keepdims=True)


class SpectralFluxMethod(ModelBlindMethod):
    """Relevance = how much each cell changed since the previous frame ("it looks where the spectrum changes")."""

    name = "spectral-flux"
    description = "Model-blind baseline: relevance is each cell's change from the previous frame (onsets, glides)."

    def relevance(self, cells: np.ndarray, grid: InputGrid) -> np.ndarray:
        change = np.abs(np.diff(cells, axis=2))
        # the first frame has no predecessor: it is given the change into the second
        return np.concatenate([change[:, :, :1], change], axis=2)
