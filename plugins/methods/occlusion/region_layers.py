"""Layers computed on regions: convolution, max pooling, ReLU, addition, global average pooling.

Each function takes a region and returns the layer's output as a region (or, for the
global average, a whole tensor). Where the boxes go depends only on where the occluded
windows are, so that geometry is asked of ``memo``: it is computed for the first clip
and reused for every later clip explained with the same windows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from bsbench_plugins.methods.occlusion.regions import NEG_INF_PAD, ZERO_PAD, Region, cell_table_with_room
from torch import Tensor, nn

#: ``memo(compute)``: the cached result of ``compute()`` for the current chunk and layer.
Memo = Callable[[Callable[[], Any]], Any]


def affected_span(start: Tensor, size: int, kernel: int, stride: int, padding: int, n_out: int) -> tuple[Tensor, int]:
    """First output index and output count touched by input cells [start, start + size) along one axis.

    The count is the same for every item (the largest needed), and the span is slid
    inside [0, n_out) so no output past the edge is computed.
    """
    first = -torch.div(kernel - 1 - padding - start, stride, rounding_mode="floor")
    last = torch.div(start + size - 1 + padding, stride, rounding_mode="floor")
    count = min(int((last - first + 1).max()), n_out)
    return first.clamp(0, n_out - count), count


def pair(value: Any) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else tuple(value)


def _window_input(region: Region, layer: nn.Conv2d | nn.MaxPool2d, n_out: tuple[int, int], memo: Memo):
    """The input crop a sliding-window layer needs for the outputs the region touches, and their top-left."""
    kernel, stride, padding = (pair(getattr(layer, name)) for name in ("kernel_size", "stride", "padding"))

    def geometry() -> tuple[Tensor, Tensor, Tensor, tuple[int, int]]:
        height, width = region.data.shape[-2:]
        top, out_rows = affected_span(region.rows, height, kernel[0], stride[0], padding[0], n_out[0])
        left, out_cols = affected_span(region.cols, width, kernel[1], stride[1], padding[1], n_out[1])
        size = ((out_rows - 1) * stride[0] + kernel[0], (out_cols - 1) * stride[1] + kernel[1])
        fill = ZERO_PAD if isinstance(layer, nn.Conv2d) else NEG_INF_PAD
        index = region.crop_index(top * stride[0] - padding[0], left * stride[1] - padding[1], size, fill)
        return top, left, index, size

    top, left, index, size = memo(geometry)
    return region.gather(index, size), top, left


def convolve(
    layer: nn.Conv2d, region: Region, clean: Tensor, weight: Tensor, bias: Tensor | None, memo: Memo
) -> Region:
    """``layer`` (with ``weight`` and ``bias``, e.g. a batch norm folded in) on the outputs the region touches."""
    crop, top, left = _window_input(region, layer, tuple(clean.shape[-2:]), memo)
    return Region(clean, F.conv2d(crop, weight, bias, layer.stride, 0, 1, layer.groups), top, left)


def max_pool(layer: nn.MaxPool2d, region: Region, clean: Tensor, memo: Memo) -> Region:
    crop, top, left = _window_input(region, layer, tuple(clean.shape[-2:]), memo)
    return Region(clean, F.max_pool2d(crop, layer.kernel_size, layer.stride, 0), top, left)


def rectify(region: Region, clean: Tensor) -> Region:
    """ReLU written straight into the cell table the next sliding-window layer reads (no copy there)."""
    cells, data = cell_table_with_room(clean, region.data.shape[0], tuple(region.data.shape[-2:]))
    torch.clamp_min(region.data, 0, out=data)
    return Region(clean, data, region.rows, region.cols, cells)


def add(first: Region, second: Region, clean: Tensor, memo: Memo) -> Region:
    """The sum of two regions over a box that holds both (a residual block's branch and shortcut)."""

    def geometry() -> tuple[bool, Tensor, Tensor, tuple[int, int], Tensor, Tensor | None]:
        for order, (outer, inner) in enumerate(((first, second), (second, first))):
            if outer.contains(inner):  # the usual case: the branch's box holds the shortcut's
                size = tuple(outer.data.shape[-2:])
                return (
                    order == 1,
                    outer.rows,
                    outer.cols,
                    size,
                    inner.crop_index(outer.rows, outer.cols, size, None),
                    None,
                )
        spans = []
        for axis, (start_a, start_b) in enumerate(((first.rows, second.rows), (first.cols, second.cols))):
            size_a, size_b, limit = first.data.shape[2 + axis], second.data.shape[2 + axis], clean.shape[2 + axis]
            low = torch.minimum(start_a, start_b)
            extent = min(int((torch.maximum(start_a + size_a, start_b + size_b) - low).max()), limit)
            spans.append((low.clamp(0, limit - extent), extent))
        (top, height), (left, width) = spans
        size = (height, width)
        return False, top, left, size, second.crop_index(top, left, size, None), first.crop_index(top, left, size, None)

    swapped, top, left, size, inner_index, outer_index = memo(geometry)
    outer, inner = (second, first) if swapped else (first, second)
    outer_values = outer.data if outer_index is None else outer.gather(outer_index, size)
    return Region(clean, outer_values + inner.gather(inner_index, size), top, left)


def global_average(region: Region, clean: Tensor, memo: Memo) -> Tensor:
    """Mean over all cells, updated by the change inside each box only: (items, C, 1, 1).

    The clean cells a box covers are summed from an integral image (four reads per
    channel), and the update is added in float64 so it is not lost against the mean.
    """
    height, width = region.data.shape[-2:]
    n_rows, n_cols = region.base.shape[-2:]

    def geometry() -> tuple[Tensor | None, Tensor, Tensor, Tensor, Tensor]:
        index = None if region.in_bounds() else region.crop_index(region.rows, region.cols, (height, width), ZERO_PAD)
        top, bottom = region.rows.clamp(0, n_rows), (region.rows + height).clamp(0, n_rows)
        left, right = region.cols.clamp(0, n_cols), (region.cols + width).clamp(0, n_cols)
        return index, top, bottom, left, right

    index, top, bottom, left, right = memo(geometry)
    changed = region.data if index is None else region.gather(index, (height, width))
    integral = F.pad(region.base[0].double().cumsum(dim=1).cumsum(dim=2), (1, 0, 1, 0))
    unchanged = (
        integral[:, bottom, right] - integral[:, top, right] - integral[:, bottom, left] + integral[:, top, left]
    )
    change = changed.sum(dim=(2, 3)).double() - unchanged.T
    return clean.double() + change[:, :, None, None] / (n_rows * n_cols)
