"""Explanations one can hear: the salient part of a clip alone ("masked in"), and the clip without it.

A map on a log-mel image is hard to judge by eye; people who work with audio would rather
listen (L-MAC, Paissan et al. 2024; the AudioMNIST study of Becker et al. found audible
explanations easier to read than visual ones). The kept cells of the model's input grid are
mapped onto the original waveform's STFT (:mod:`bsbench.audio.resynthesis`: each STFT bin to
the nearest grid row, its own phase kept), so the masked-in and masked-out clips add up to the
original and each has its length and rate. Which cells are kept:

- by default the paper's salient windows (:mod:`bsbench.cues.windows`), whole in frequency: the
  same 150 ms spans the cue analysis reads, so one hears what the cue findings describe;
- with ``top_percent``, the given share of the grid's cells with the highest positive relevance,
  a time-frequency mask.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bsbench.audio.resynthesis import resynthesis_for
from bsbench.core.types import Clip, Explanation
from bsbench.cues.windows import frames_inside, salient_windows
from bsbench.interfaces.protocols import LoadedModel


@dataclass(frozen=True, eq=False)
class Listening:
    """One explained clip as audio: the original as the model read it, the kept part, the rest."""

    sample_rate: int
    original: np.ndarray
    masked_in: np.ndarray
    masked_out: np.ndarray
    #: (bins, frames) of the model's input grid: True where the cell is kept in ``masked_in``.
    kept: np.ndarray

    def parts(self) -> tuple[tuple[str, np.ndarray], ...]:
        """The three clips by the names their files and players carry: original, masked-in, masked-out."""
        return (("original", self.original), ("masked-in", self.masked_in), ("masked-out", self.masked_out))


def kept_cells(explanation: Explanation, top_percent: float = 0.0) -> np.ndarray:
    """The cells a listener hears in the masked-in clip: the salient windows, or the top share of relevance."""
    relevance = explanation.relevance
    if top_percent:
        count = max(1, round(relevance.size * top_percent / 100))
        order = np.argsort(-relevance, axis=None, kind="stable")[:count]
        kept = np.zeros(relevance.size, dtype=bool)
        kept[order] = True
        return kept.reshape(relevance.shape) & (relevance > 0)
    grid = explanation.grid
    inside = frames_inside(salient_windows(explanation), relevance.shape[1], grid.seconds_per_frame)
    return np.broadcast_to(inside, relevance.shape).copy()


def listen(model: LoadedModel, clip: Clip, explanation: Explanation, top_percent: float = 0.0) -> Listening:
    """``clip`` as the model's front end prepared it, with and without the explanation's kept cells.

    Raises ValueError with the reason when the model's front end cannot be resynthesised.
    """
    prepared = model.frontend.prepare(clip)
    resynthesis = resynthesis_for(model.frontend, prepared[None])
    kept = kept_cells(explanation, top_percent)
    masked_in = resynthesis.masked([0], ~kept[None])[0].cpu().numpy()
    masked_out = resynthesis.masked([0], kept[None])[0].cpu().numpy()
    return Listening(model.frontend.sample_rate, prepared, masked_in, masked_out, kept)
