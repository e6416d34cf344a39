"""What a removed cell of a spectrogram becomes: the clip's floor, its mean, or its neighbours' values.

``noisy_linear`` is the Noisy Linear Imputation of ROAD (Rong et al., ICML 2022): every
removed cell takes the weighted mean of its eight neighbours (direct neighbours in time
and frequency weigh 1/6, diagonal ones 1/12), all removed cells solved at once as one
sparse linear system, then small Gaussian noise is added. On a time-frequency grid this
continues harmonics and formants across a hole instead of punching silence into them,
so the input stays close to what the model was trained on, and the shape of the
removed set carries little class information (ROAD's leakage argument). The system is
the one Quantus's ``noisy_linear_imputation`` builds (tests check equality), assembled
here with vectorised index arithmetic instead of a ``lil_matrix`` loop, and solved with
SuperLU.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse
import scipy.sparse.linalg

#: (row offset, column offset, weight) of ROAD's neighbourhood.
NEIGHBOURS = (
    (0, 1, 1 / 6),
    (0, -1, 1 / 6),
    (1, 0, 1 / 6),
    (-1, 0, 1 / 6),
    (1, 1, 1 / 12),
    (1, -1, 1 / 12),
    (-1, 1, 1 / 12),
    (-1, -1, 1 / 12),
)
#: SD of ROAD's added noise, as a fraction of the clip's own SD (ROAD adds 0.01 to unit-SD images).
NOISE_FRACTION = 0.01


def floor_fill(cells: np.ndarray, removed: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Removed cells set to the clip's minimum: silence in a max-referenced dB map."""
    return np.where(removed, reference.min(), cells)


def mean_fill(cells: np.ndarray, removed: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Removed cells set to the clip's mean level."""
    return np.where(removed, reference.mean(), cells)


def noisy_linear(cells: np.ndarray, removed: np.ndarray, rng: np.random.Generator | None) -> np.ndarray:
    """ROAD's imputation of the ``removed`` cells of a 2-D map; ``rng`` None adds no noise.

    With every cell removed nothing is left to interpolate from: each cell takes the
    map's mean (the least informative value), plus the same noise.
    """
    filled = np.array(cells, dtype=np.float64)
    unknown = np.flatnonzero(removed)
    if unknown.size == 0:
        return filled.astype(cells.dtype)
    if unknown.size == filled.size:
        filled[:] = filled.mean()
    else:
        filled.ravel()[unknown] = _solve(filled, removed, unknown)
    if rng is not None:
        spread = float(np.asarray(cells, dtype=np.float64).std())
        filled.ravel()[unknown] += rng.normal(0.0, NOISE_FRACTION * spread, unknown.size)
    return filled.astype(cells.dtype)


def _solve(values: np.ndarray, removed: np.ndarray, unknown: np.ndarray) -> np.ndarray:
    """The removed cells' values: each equal to the weighted mean of its in-bounds neighbours."""
    height, width = values.shape
    flat_values, flat_removed = values.ravel(), removed.ravel()
    variable = np.full(values.size, -1)
    variable[unknown] = np.arange(unknown.size)
    rows_of, cols_of = np.divmod(unknown, width)
    diagonal = np.zeros(unknown.size)
    right_side = np.zeros(unknown.size)
    rows, columns, weights = [np.arange(unknown.size)], [np.arange(unknown.size)], []
    for d_row, d_col, weight in NEIGHBOURS:
        r, c = rows_of + d_row, cols_of + d_col
        inside = (r >= 0) & (r < height) & (c >= 0) & (c < width)
        equation = np.flatnonzero(inside)
        neighbour = r[inside] * width + c[inside]
        diagonal[equation] += weight
        is_unknown = flat_removed[neighbour]
        rows.append(equation[is_unknown])
        columns.append(variable[neighbour[is_unknown]])
        weights.append(np.full(int(is_unknown.sum()), -weight))
        np.add.at(right_side, equation[~is_unknown], weight * flat_values[neighbour[~is_unknown]])
    matrix = scipy.sparse.csc_matrix(
        (np.concatenate([diagonal, *weights]), (np.concatenate(rows), np.concatenate(columns))),
        shape=(unknown.size, unknown.size),
    )
    return scipy.sparse.linalg.spsolve(matrix, right_side)
