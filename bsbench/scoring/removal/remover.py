"""Taking cells away from a batch of model inputs, the same way for every removal-based metric.

Pixel flipping, faithfulness correlation, monotonicity correlation and ROAD all ask one
question: what does the model say when these cells are gone? How a cell is "gone"
decides the answer. Replacing relevant cells by the spectrogram's floor punches holes
below the noise floor that a model trained on clean spectrograms has never seen: on
bsbench's default model the first 1.6% of replaced cells cut the class probability from
0.95 to 0.6 *whatever their order*, so such a metric ranks random relevance with real
explanations. The removals here:

- ``floor``: the clip's minimum (silence), Quantus's ``black`` baseline;
- ``mean``: the clip's mean level;
- ``noisy-linear``: ROAD's noisy linear imputation from the neighbouring cells;
- ``audio``: the cells are silenced in the STFT of the original waveform (its phase
  kept), the waveform is resynthesised and the model's own front end reads it, so the
  model only ever sees spectrograms of real audio.

A removal always starts from the original input and the whole removed set, never from a
partly removed input, so every step of a curve is what its removed set alone gives.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence

import numpy as np
import torch

from bsbench.audio.resynthesis import resynthesis_for, resynthesis_unavailable
from bsbench.core.errors import UsageError
from bsbench.interfaces.protocols import FrontEnd, ScoringBatch
from bsbench.scoring.removal.imputation import floor_fill, mean_fill, noisy_linear

REMOVALS = ("floor", "mean", "noisy-linear", "audio")
#: The removal every removal-based metric uses unless told otherwise (README: "Choosing the removal").
DEFAULT_REMOVAL = "mean"


def check_removal(removal: str, metric: str) -> None:
    """One line listing the valid removals when ``removal`` is none of them."""
    if removal not in REMOVALS:
        raise UsageError(f"metric {metric}: removal={removal!r} is not one of {', '.join(REMOVALS)}")


def removal_unavailable(removal: str, frontend: FrontEnd) -> str:
    """Why ``removal`` cannot run on a model with ``frontend`` ("" when it can)."""
    if removal != "audio":
        return ""
    reason = resynthesis_unavailable(frontend)
    return f"removal=audio {reason}" if reason else ""


class Remover:
    """Removes cells from the inputs of one scoring batch; every call starts from the original inputs.

    Noise (``noisy-linear``) is drawn per clip and call from a generator seeded by the
    batch seed, the clip's id and the call number, so the same batch scored twice gives
    the same values and a clip's noise does not depend on its batch-mates.
    """

    def __init__(self, removal: str, batch: ScoringBatch, noise: bool = True) -> None:
        if removal not in REMOVALS:  # metrics check their parameter first, with a line for the user
            raise ValueError(f"removal {removal!r} is not one of {', '.join(REMOVALS)}")
        self.removal = removal
        #: False leaves out noisy-linear's noise (for comparisons with a noise-free reference).
        self.noise = noise
        self.inputs = np.asarray(batch.inputs, dtype=np.float32)
        self.seed = batch.seed
        self.clip_keys = [zlib.crc32(clip.clip_id.encode()) for clip in batch.clips]
        self.calls = 0
        self.model = batch.model
        self._resynthesis = None
        if removal == "audio":
            prepared = np.stack([batch.model.frontend.prepare(clip) for clip in batch.clips])
            self._resynthesis = resynthesis_for(batch.model.frontend, prepared, batch.model.device)

    def __call__(self, rows: Sequence[int], removed: np.ndarray) -> np.ndarray:
        """Inputs of clips ``rows`` with the cells ``removed`` (n, bins, frames) taken away: (n, 1, bins, frames)."""
        rows = list(rows)
        removed = np.asarray(removed, dtype=bool)
        self.calls += 1
        if self.removal == "audio":
            return self._through_audio(rows, removed)
        out = np.empty((len(rows), *self.inputs.shape[1:]), dtype=np.float32)
        for i, (row, mask) in enumerate(zip(rows, removed, strict=True)):
            cells = self.inputs[row, 0]
            if self.removal == "floor":
                out[i, 0] = floor_fill(cells, mask, cells)
            elif self.removal == "mean":
                out[i, 0] = mean_fill(cells, mask, cells)
            else:
                rng = np.random.default_rng([self.seed % 2**63, self.clip_keys[row], self.calls])
                out[i, 0] = noisy_linear(cells, mask, rng if self.noise else None)
        return out

    def _through_audio(self, rows: list[int], removed: np.ndarray) -> np.ndarray:
        assert self._resynthesis is not None
        with torch.no_grad():
            waveforms = self._resynthesis.masked(rows, removed)
            features = self.model.frontend(waveforms)
        return features.cpu().numpy().astype(np.float32)


def quantus_perturbation(remover: Remover, cumulative: bool) -> Callable[..., np.ndarray]:
    """``remover`` as Quantus's ``perturb_func`` (flat (clips, cells) arrays and cell indices per clip).

    Faithfulness and monotonicity correlation hand Quantus's perturbation the original
    input and one subset at a time. Pixel flipping hands it the *already perturbed*
    input and only the next step's cells (``cumulative``): the perturbation then keeps
    the union of the cells removed so far, so imputation and resynthesis always see the
    whole removed set on the original input.
    """
    removed_so_far = np.zeros((remover.inputs.shape[0], remover.inputs[0, 0].size), dtype=bool)

    def perturb(arr: np.ndarray, indices: np.ndarray, **_: object) -> np.ndarray:
        removed = removed_so_far if cumulative else np.zeros_like(removed_so_far)
        rows = np.arange(arr.shape[0])
        removed[rows[:, None], indices] = True
        shape = remover.inputs.shape[2:]
        out = remover(rows, removed.reshape(len(rows), *shape))
        return out.reshape(arr.shape).astype(arr.dtype)

    return perturb
