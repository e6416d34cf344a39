"""Calling Quantus the way its pitfalls demand, for every Quantus-backed metric.

Numpy batches of one rank, (batch, 1, bins, frames), with ``channel_first=True``; the
model in eval mode; the global NumPy seed set before every call (Quantus draws from it
and takes no seed); ``softmax=True`` so scores read as probabilities of the explained
class; Quantus's per-call warnings about its own defaults silenced; all-negative maps
shifted (see :func:`quantus_inputs`).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import quantus

from bsbench.plugin import ScoringBatch

ALL_ZERO_MAP = "map is all zero: there is no relevance to distribute over cells"


def normalise_each_by_max(a: np.ndarray) -> np.ndarray:
    """Each map (first axis) divided by its own largest magnitude; an all-zero map stays zero.

    Quantus's default divides the whole batch by one batch-wide peak, which makes a clip's
    score depend on its batch-mates (and an all-zero map divided by its own peak is NaN).
    """
    peaks = np.abs(a).max(axis=tuple(range(1, a.ndim)), keepdims=True)
    return a / np.where(peaks > 0, peaks, 1.0)


def raw_relevance(batch: ScoringBatch) -> np.ndarray:
    """The explanations as Quantus's ``a_batch``, (clips, 1, bins, frames), without quantus_inputs's shift."""
    return np.stack([explanation.relevance for explanation in batch.explanations])[:, None].astype(np.float32)


def is_uniform(maps: np.ndarray) -> bool:
    """True when every cell of every map is equal: the batches Quantus's ordering guard refuses."""
    return bool(maps.max() == maps.min())


def quantus_inputs(batch: ScoringBatch) -> dict[str, Any]:
    relevance = raw_relevance(batch)
    # Quantus refuses a batch whose cells are all negative (an occlusion map of a clip
    # where every patch raises the logit). Scores read a map's order (flipping) or its
    # correlation over fixed-size subsets, both blind to a constant shift, so such a
    # map is shifted to a maximum of zero instead of losing the batch.
    peaks = relevance.max(axis=(1, 2, 3), keepdims=True)
    relevance = np.where(peaks < 0, relevance - peaks, relevance)
    batch.model.network.eval()
    return {
        "model": batch.model.network,
        "x_batch": batch.inputs.astype(np.float32),
        "y_batch": batch.targets.astype(int),
        "a_batch": relevance.astype(np.float32),
        "channel_first": True,
        "softmax": True,
        "device": str(batch.model.device),
        "batch_size": len(batch.targets),
    }


def n_features(batch: ScoringBatch) -> int:
    """Cells per input: what Quantus counts as features."""
    return math.prod(batch.inputs.shape[1:])


def quantus_seed(batch: ScoringBatch) -> int:
    """The batch seed in the range NumPy's global seed (and Quantus's ``seed`` arguments) accept."""
    return batch.seed % 2**32


def call_quantus(metric: quantus.Metric, batch: ScoringBatch, **overrides: Any) -> np.ndarray:
    """Per-sample scores of ``metric`` on ``batch``; ``overrides`` replace or add call arguments."""
    np.random.seed(quantus_seed(batch))
    arguments = quantus_inputs(batch)
    if batch.explainer is not None:
        arguments["explain_func"] = batch.explainer
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(metric(**{**arguments, **overrides}), dtype=float)
