"""Removing input cells for removal-based metrics: floor, mean, ROAD's noisy linear imputation, or audio.

One component for every metric that asks what the model says once some cells are gone
(pixel flipping, faithfulness and monotonicity correlation, ROAD), so the choice of
removal is a parameter of each metric (``--metric pixel-flipping:removal=noisy-linear``)
and part of its settings and cache key, not an accident of the library it calls.
"""

from bsbench.scoring.removal.remover import (
    DEFAULT_REMOVAL,
    REMOVALS,
    Remover,
    check_removal,
    quantus_perturbation,
    removal_unavailable,
)

__all__ = ["DEFAULT_REMOVAL", "REMOVALS", "Remover", "check_removal", "quantus_perturbation", "removal_unavailable"]
