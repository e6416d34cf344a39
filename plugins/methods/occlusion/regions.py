"""Regions: a batch of activations that differ from the clean one only inside a box each.

Occluding a patch of the input changes a box of every later activation; a
:class:`Region` keeps the clean activation once and only each item's box. Layers read
a region through :meth:`Region.gather`: one ``index_select`` over a table of channel
rows (the clean cells, two padding rows, the boxes' cells), so a crop costs one copy.
Index tensors depend only on where the boxes are, never on values, so they are built
once (:meth:`Region.crop_index`) and reused for every clip explained with the same windows.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

#: The padding values a sliding-window layer reads outside the tensor: zeros (convolution), -inf (max pooling).
ZERO_PAD, NEG_INF_PAD = 0.0, float("-inf")
#: Rows of padding values that follow the clean cells in a cell table, in this order.
PADDING_ROWS = (ZERO_PAD, NEG_INF_PAD)


@dataclass
class Region:
    """Activations equal to ``base`` except inside one box per item.

    ``base`` is the clean activation (1, C, H, W); ``data`` holds each item's box
    (items, C, h, w) whose top-left cell is (``rows[i]``, ``cols[i]``). A box may reach
    past the tensor's edges; the values there mean nothing and every reader masks them.
    ``cells`` is the table :meth:`gather` reads, built on first use unless a layer wrote
    its output straight into one (see :func:`cell_table_with_room`).
    """

    base: Tensor
    data: Tensor
    rows: Tensor
    cols: Tensor
    cells: Tensor | None = None

    def crop_index(self, top: Tensor, left: Tensor, size: tuple[int, int], fill: float | None) -> Tensor:
        """Where :meth:`gather` reads each cell of one box per item (top-left ``top``, ``left``).

        Cells outside the tensor read ``fill`` (:data:`ZERO_PAD` or :data:`NEG_INF_PAD`);
        with ``fill`` None they read some cell of the tensor, for callers that discard them.
        """
        return box_index(tuple(self.base.shape[1:]), top, left, size, fill, self)

    def gather(self, index: Tensor, size: tuple[int, int]) -> Tensor:
        """The cells ``index`` names, as (items, C, height, width) in channels-last layout."""
        if self.cells is None:  # built once: a region is often read by two layers (a block and its shortcut)
            self.cells = torch.cat([clean_cell_table(self.base), channel_rows(self.data)])
        return read_cells(self.cells, index, self.rows.shape[0], size)

    def crop(self, top: Tensor, left: Tensor, size: tuple[int, int], fill: float | None) -> Tensor:
        return self.gather(self.crop_index(top, left, size, fill), size)

    def materialise(self) -> Tensor:
        """The whole activation of every item: (items, C, H, W)."""
        zero = torch.zeros_like(self.rows)
        return self.crop(zero, zero, tuple(self.base.shape[-2:]), fill=None)

    def in_bounds(self) -> bool:
        """Whether every box lies inside the tensor."""
        height, width = self.data.shape[-2:]
        n_rows, n_cols = self.base.shape[-2:]
        return bool(
            (self.rows >= 0).all()
            and (self.cols >= 0).all()
            and (self.rows + height <= n_rows).all()
            and (self.cols + width <= n_cols).all()
        )

    def contains(self, other: Region) -> bool:
        """Whether every item's box holds its box in ``other``."""
        (height, width), (other_height, other_width) = self.data.shape[-2:], other.data.shape[-2:]
        return bool(
            ((self.rows <= other.rows) & (other.rows + other_height <= self.rows + height)).all()
            and ((self.cols <= other.cols) & (other.cols + other_width <= self.cols + width)).all()
        )


def channel_rows(tensor: Tensor) -> Tensor:
    """(items, C, H, W) -> (items * H * W, C): a view when the tensor is channels-last already."""
    return tensor.permute(0, 2, 3, 1).reshape(-1, tensor.shape[1])


def clean_cell_table(base: Tensor) -> Tensor:
    """Rows of channels to gather from: every cell of ``base`` (1, C, H, W), then the padding rows."""
    pads = base.new_tensor(PADDING_ROWS)[:, None].expand(len(PADDING_ROWS), base.shape[1])
    return torch.cat([channel_rows(base), pads])


def cell_table_with_room(base: Tensor, items: int, size: tuple[int, int]) -> tuple[Tensor, Tensor]:
    """A cell table whose region rows are still to be written, and those rows as (items, C, h, w).

    A layer that writes its output into the returned view spares the next layer the
    copy of :meth:`Region.gather`'s first call.
    """
    prefix = clean_cell_table(base)
    height, width = size
    cells = base.new_empty((prefix.shape[0] + items * height * width, base.shape[1]))
    cells[: prefix.shape[0]] = prefix
    data = cells[prefix.shape[0] :].view(items, height, width, base.shape[1]).permute(0, 3, 1, 2)
    return cells, data


def box_index(
    shape: tuple[int, int, int],
    top: Tensor,
    left: Tensor,
    size: tuple[int, int],
    fill: float | None,
    region: Region | None = None,
) -> Tensor:
    """Flat cell-table index of every cell of one box per item, (items * height * width,), int32.

    ``shape`` is (C, H, W) of the clean activation; cells inside ``region``'s boxes read
    the region's rows, the others the clean rows (or a padding row outside the tensor).
    """
    _, n_rows, n_cols = shape
    height, width = size
    row_index = top.int()[:, None] + torch.arange(height, device=top.device, dtype=torch.int32)
    col_index = left.int()[:, None] + torch.arange(width, device=top.device, dtype=torch.int32)
    index = (row_index.clamp(0, n_rows - 1) * n_cols)[:, :, None] + col_index.clamp(0, n_cols - 1)[:, None, :]
    if region is not None:
        items, _, box_rows, box_cols = region.data.shape
        in_rows, in_cols = row_index - region.rows.int()[:, None], col_index - region.cols.int()[:, None]
        inside = _outer_and((in_rows >= 0) & (in_rows < box_rows), (in_cols >= 0) & (in_cols < box_cols))
        first_cell = n_rows * n_cols + len(PADDING_ROWS)
        first_cell = first_cell + torch.arange(items, device=top.device, dtype=torch.int32) * (box_rows * box_cols)
        box_rows_index = first_cell[:, None] + in_rows.clamp(0, box_rows - 1) * box_cols
        index = torch.where(inside, box_rows_index[:, :, None] + in_cols.clamp(0, box_cols - 1)[:, None, :], index)
    if fill is not None:
        rows_valid, cols_valid = (row_index >= 0) & (row_index < n_rows), (col_index >= 0) & (col_index < n_cols)
        if not (bool(rows_valid.all()) and bool(cols_valid.all())):
            pad_row = n_rows * n_cols + PADDING_ROWS.index(fill)
            index = torch.where(_outer_and(rows_valid, cols_valid), index, pad_row)
    return index.reshape(-1)


def read_cells(cells: Tensor, index: Tensor, items: int, size: tuple[int, int]) -> Tensor:
    """``cells[index]`` as (items, C, height, width), a channels-last view (what oneDNN reads fastest)."""
    values = cells.index_select(0, index)
    return values.view(items, size[0], size[1], cells.shape[1]).permute(0, 3, 1, 2)


def _outer_and(row_mask: Tensor, col_mask: Tensor) -> Tensor:
    return row_mask[:, :, None] & col_mask[:, None, :]
