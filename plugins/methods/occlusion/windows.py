"""Where occlusion puts its windows, and how the output drops become a relevance map.

The same rules as captum's ``Occlusion``, so the two give the same map: along each
axis, windows start every ``stride`` cells, ``ceil((size - window) / stride) + 1`` of
them, the last one cut at the edge; a cell's relevance is the mean output drop of the
windows that cover it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from bsbench.plugin import UsageError


@dataclass(frozen=True)
class SlidingWindows:
    """Windows of ``window`` cells every ``stride`` cells over an input of ``size`` (rows, columns)."""

    size: tuple[int, int]
    window: tuple[int, int]
    stride: tuple[int, int]

    def __post_init__(self) -> None:
        for axis, (size, window, stride) in enumerate(zip(self.size, self.window, self.stride, strict=True)):
            name = ("rows", "frames")[axis]
            if not 1 <= window <= size:
                raise UsageError(f"occlusion window of {window} {name} does not fit the input's {size}")
            if stride < 1 or (stride > window and window < size):
                raise UsageError(f"occlusion stride of {stride} {name} must be 1 to the window's {window}")

    @property
    def counts(self) -> tuple[int, int]:
        """Windows along each axis."""
        return tuple(
            math.ceil((size - window) / stride) + 1
            for size, window, stride in zip(self.size, self.window, self.stride, strict=True)
        )

    def __len__(self) -> int:
        rows, cols = self.counts
        return rows * cols

    def starts(self, device: torch.device | None = None) -> torch.Tensor:
        """Top-left cell (row, column) of every window, (windows, 2), rows outermost."""
        rows, cols = (
            torch.arange(count, device=device) * stride for count, stride in zip(self.counts, self.stride, strict=True)
        )
        return torch.cartesian_prod(rows, cols).reshape(-1, 2)

    def relevance(self, drops: np.ndarray) -> np.ndarray:
        """Each cell's mean ``drops`` (one per window, in ``starts`` order) over the windows covering it."""
        total = np.zeros(self.size, dtype=np.float64)
        covering = np.zeros(self.size, dtype=np.int64)
        starts = self.starts().numpy()
        for (row, col), drop in zip(starts, drops, strict=True):
            total[row : row + self.window[0], col : col + self.window[1]] += drop
            covering[row : row + self.window[0], col : col + self.window[1]] += 1
        return total / covering
