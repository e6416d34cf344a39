"""Front ends: what a model reads, computed in torch so training and explaining share it.

``LogMelFrontEnd`` reproduces the paper's features (librosa's Slaney mel filter bank
and ``power_to_db(ref=max)``) batched on CPU or GPU, so the features a model is
trained on are exactly those it is explained on (the reference code computed them
differently at the two stages). ``WaveformFrontEnd`` hands raw samples to waveform
models; their input grid has a time axis only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol, runtime_checkable

import librosa
import numpy as np
import torch
import torchaudio

from bsbench.audio.reading import fix_length, resample
from bsbench.core.types import Clip, InputGrid


@runtime_checkable
class FrontEnd(Protocol):
    """Turns waveforms into the tensor a model reads, on a declared input grid."""

    sample_rate: int
    clip_samples: int
    grid: InputGrid

    def prepare(self, clip: Clip) -> np.ndarray:
        """Resample and fix the length of one clip: float32 samples, ``clip_samples`` long."""
        ...

    def __call__(self, waveforms: torch.Tensor) -> torch.Tensor:
        """(batch, samples) -> (batch, 1, bins, frames) model input."""
        ...

    def describe(self) -> dict[str, Any]:
        """Every parameter that changes the features, for manifests and model cards."""
        ...

    # Optional, for spectrogram front ends (see bsbench.audio.resynthesis):
    #   def stft_parameters(self) -> tuple[int, int, int]
    # (n_fft, win_length, hop_length) of the Hann-windowed STFT the features come from, on the
    # grid's frames; lets removal=audio and listening resynthesise waveforms the model can read.


@dataclass(frozen=True)
class LogMelSettings:
    """Front-end parameters; the defaults are the reference pipeline's (128 x 134 input)."""

    sample_rate: int = 16_000
    clip_seconds: float = 2.0
    n_fft: int = 1024
    win_length: int = 480
    hop_length: int = 240
    n_mels: int = 128
    top_db: float = 80.0


class FixedLengthInput:
    """Resampling and cutting or padding to the fixed clip length every front end shares."""

    sample_rate: int
    clip_samples: int

    def prepare(self, clip: Clip) -> np.ndarray:
        """Resample to the front end's rate, then cut or zero-pad to the fixed clip length."""
        samples = resample(np.asarray(clip.waveform, dtype=np.float32), clip.sample_rate, self.sample_rate)
        return np.ascontiguousarray(fix_length(samples, self.clip_samples), dtype=np.float32)


class LogMelFrontEnd(FixedLengthInput):
    """Waveforms -> per-clip max-referenced log-mel spectrograms, shape (batch, 1, mels, frames)."""

    def __init__(self, settings: LogMelSettings | None = None) -> None:
        self.settings = settings or LogMelSettings()
        s = self.settings
        self.sample_rate = s.sample_rate
        self.clip_samples = round(s.clip_seconds * s.sample_rate)
        self._mel = torchaudio.transforms.MelSpectrogram(
            sample_rate=s.sample_rate,
            n_fft=s.n_fft,
            win_length=s.win_length,
            hop_length=s.hop_length,
            n_mels=s.n_mels,
            power=2.0,
            center=True,
            pad_mode="constant",
            norm="slaney",
            mel_scale="slaney",
        )
        centres = librosa.mel_frequencies(n_mels=s.n_mels + 2, fmin=0.0, fmax=s.sample_rate / 2)[1:-1]
        self.grid = InputGrid(
            seconds_per_frame=s.hop_length / s.sample_rate,
            n_frames=1 + self.clip_samples // s.hop_length,
            bin_frequencies_hz=tuple(float(f) for f in centres),
        )

    def __call__(self, waveforms: torch.Tensor) -> torch.Tensor:
        mel = self._mel.to(waveforms.device)
        power = mel(waveforms.float())
        amin = 1e-10
        db = 10.0 * torch.log10(torch.clamp(power, min=amin))
        reference = 10.0 * torch.log10(torch.clamp(power.amax(dim=(-2, -1), keepdim=True), min=amin))
        db = db - reference
        db = torch.maximum(db, db.amax(dim=(-2, -1), keepdim=True) - self.settings.top_db)
        return db.unsqueeze(1)

    def stft_parameters(self) -> tuple[int, int, int]:
        """(n_fft, win_length, hop_length) of the Hann-windowed STFT the mel bands are summed from.

        Stating it lets audio removal and listening resynthesise waveforms on this grid's frames.
        """
        s = self.settings
        return (s.n_fft, s.win_length, s.hop_length)

    def describe(self) -> dict[str, Any]:
        return {"kind": "log-mel", "reference": "max", "mel_scale": "slaney", **asdict(self.settings)}


@dataclass(frozen=True)
class WaveformSettings:
    sample_rate: int = 16_000
    clip_seconds: float = 2.0
    #: Scale each clip to zero mean and unit variance (wav2vec 2.0's ``do_normalize``), so
    #: recording gain does not decide the class.
    standardize: bool = True


class WaveformFrontEnd(FixedLengthInput):
    """Waveforms -> the samples themselves, shape (batch, 1, 1, samples): one row, time only."""

    def __init__(self, settings: WaveformSettings | None = None) -> None:
        self.settings = settings or WaveformSettings()
        self.sample_rate = self.settings.sample_rate
        self.clip_samples = round(self.settings.clip_seconds * self.sample_rate)
        self.grid = InputGrid(seconds_per_frame=1 / self.sample_rate, n_frames=self.clip_samples)

    def __call__(self, waveforms: torch.Tensor) -> torch.Tensor:
        samples = waveforms.float()
        if self.settings.standardize:
            mean = samples.mean(dim=-1, keepdim=True)
            spread = samples.var(dim=-1, keepdim=True, unbiased=False)
            samples = (samples - mean) / torch.sqrt(spread + 1e-7)
        return samples[:, None, None, :]

    def describe(self) -> dict[str, Any]:
        return {"kind": "waveform", **asdict(self.settings)}


def frontend_features(
    frontend: FrontEnd, clips: Sequence[Clip], device: torch.device, batch_size: int = 64
) -> torch.Tensor:
    """Model inputs for ``clips``, computed in batches on ``device``."""
    batches = []
    for start in range(0, len(clips), batch_size):
        chunk = clips[start : start + batch_size]
        waveforms = torch.from_numpy(np.stack([frontend.prepare(clip) for clip in chunk])).to(device)
        batches.append(frontend(waveforms))
    return torch.cat(batches)
