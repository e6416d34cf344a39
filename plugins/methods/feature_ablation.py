"""Feature ablation on time-frequency patches: each non-overlapping patch set to silence in turn.

The input is tiled into patches (16 mel bins x 10 frames of 15 ms by default) and a
patch's relevance is the drop of the target logit when it alone is silenced: coarser
and far cheaper than occlusion, one pass per patch (113 on the paper's 128 x 134 grid)
instead of one per window position. The map is captum's ``FeatureAblation`` map for a
patch mask; it is computed as occlusion whose stride equals its window, by the same
incremental inference (the tests compare it with captum's ``FeatureAblation``).
"""

from __future__ import annotations

from dataclasses import dataclass

from bsbench_plugins.methods.occlusion.plugin import SlidingOcclusion, on_grid
from bsbench_plugins.methods.occlusion.windows import SlidingWindows

from bsbench.plugin import InputGrid


@dataclass(frozen=True)
class FeatureAblationParameters:
    #: Patch in (frequency bins x 15 ms frames); the last patch of each axis is cut at the edge.
    patch: tuple[int, int] = (16, 10)
    #: What fills the patch: floor (silence), zero, or the clip's mean.
    baseline: str = "floor"
    #: Ablated copies computed together (memory vs. speed).
    batch: int = 192


class FeatureAblationMethod(SlidingOcclusion):
    name = "feature-ablation"
    description = "Ablation of non-overlapping time-frequency patches to silence (captum FeatureAblation's map)."
    version = "0.2.0"
    parameters = FeatureAblationParameters

    def windows(self, params: FeatureAblationParameters, grid: InputGrid) -> SlidingWindows:
        extent = on_grid(params.patch, grid)
        return SlidingWindows(grid.shape, extent, extent)
