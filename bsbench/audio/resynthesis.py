"""Masking a waveform's STFT with a mask drawn on a model's input grid, and hearing the result.

A relevance map lives on the model's input grid (mel bands x frames for a log-mel
model, one row of samples for a waveform model). To remove cells *in the audio*, each
STFT bin is tied to the grid row whose centre frequency is nearest, each STFT frame to
the grid frame at the same time (the STFT uses the front end's own hop, so frames
coincide), the removed cells' bins are set to zero, and the waveform is resynthesised
by the inverse STFT with the original phase. For a waveform model the grid *is* the
samples, so the mask applies to them directly.

A front end makes this possible by stating the STFT its features come from
(``stft_parameters``: n_fft, win_length, hop_length, as :class:`bsbench.audio.frontend.
LogMelFrontEnd` does), or by reading raw samples (a grid without frequency rows). For
any other front end :func:`resynthesis_unavailable` says why audio removal cannot be used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from bsbench.core.types import InputGrid

if TYPE_CHECKING:
    from bsbench.audio.frontend import FrontEnd


def resynthesis_unavailable(frontend: FrontEnd) -> str:
    """Why waveforms cannot be resynthesised on ``frontend``'s grid ("" when they can)."""
    grid = frontend.grid
    if grid.n_bins == 0:
        return ""
    stft = getattr(frontend, "stft_parameters", None)
    if stft is None:
        return (
            f"needs a front end that states the STFT of its features (stft_parameters) or reads raw samples; "
            f"{type(frontend).__name__} does neither"
        )
    hop = stft()[2]
    if abs(hop / frontend.sample_rate - grid.seconds_per_frame) > 1e-9:
        return (
            f"front end {type(frontend).__name__}: its STFT hop ({hop} samples) does not match its grid's "
            f"{grid.seconds_per_frame:g} s per frame"
        )
    return ""


@dataclass(frozen=True, eq=False)
class Resynthesis:
    """The STFT of some prepared waveforms, ready to be masked on ``grid`` and turned back into audio."""

    grid: InputGrid
    waveforms: torch.Tensor
    #: (clips, STFT bins, frames) complex spectra; None for a waveform grid.
    spectra: torch.Tensor | None
    #: STFT bin -> grid row it belongs to (the row with the nearest centre frequency).
    row_of_bin: torch.Tensor | None
    n_fft: int = 0
    win_length: int = 0
    hop_length: int = 0

    def masked(self, rows: Sequence[int], removed: np.ndarray) -> torch.Tensor:
        """Waveforms of clips ``rows`` with the grid cells ``removed`` (n, bins, frames) taken out, (n, samples)."""
        index = torch.as_tensor(np.asarray(rows), dtype=torch.long, device=self.waveforms.device)
        keep = torch.as_tensor(~np.asarray(removed, dtype=bool), device=self.waveforms.device)
        if self.spectra is None:
            return self.waveforms[index] * keep[:, 0, :].to(self.waveforms.dtype)
        assert self.row_of_bin is not None
        frames = self.spectra.shape[-1]
        gains = keep[:, self.row_of_bin, :frames].to(self.spectra.real.dtype)
        window = torch.hann_window(self.win_length, device=self.waveforms.device, dtype=self.waveforms.dtype)
        return torch.istft(
            self.spectra[index] * gains,
            n_fft=self.n_fft,
            hop_length=self.hop_length,
            win_length=self.win_length,
            window=window,
            center=True,
            length=self.waveforms.shape[-1],
        )


def resynthesis_for(frontend: FrontEnd, waveforms: np.ndarray, device: torch.device | str = "cpu") -> Resynthesis:
    """The STFT of ``waveforms`` (clips, samples; as the front end prepared them) on ``frontend``'s frames.

    Raises ValueError naming the reason when the front end cannot be resynthesised
    (see :func:`resynthesis_unavailable`); callers that can skip check that first.
    """
    reason = resynthesis_unavailable(frontend)
    if reason:
        raise ValueError(f"audio resynthesis {reason}")
    samples = torch.as_tensor(np.asarray(waveforms, dtype=np.float32), device=device)
    grid = frontend.grid
    if grid.n_bins == 0:
        return Resynthesis(grid, samples, None, None)
    n_fft, win_length, hop_length = frontend.stft_parameters()
    window = torch.hann_window(win_length, device=samples.device, dtype=samples.dtype)
    spectra = torch.stft(
        samples,
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=win_length,
        window=window,
        center=True,
        pad_mode="constant",
        return_complex=True,
    )
    bin_hz = np.arange(n_fft // 2 + 1) * frontend.sample_rate / n_fft
    centres = np.asarray(grid.bin_frequencies_hz)
    row_of_bin = np.abs(bin_hz[:, None] - centres[None, :]).argmin(axis=1)
    return Resynthesis(
        grid,
        samples,
        spectra,
        torch.as_tensor(row_of_bin, device=samples.device),
        n_fft,
        win_length,
        hop_length,
    )
