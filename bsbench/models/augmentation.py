"""SpecAugment-style masking of training inputs (Park et al., 2019, without time warping).

Each training example gets a few frequency stripes and time stripes filled with
silence, so the network cannot lean on one narrow band or one instant. "Silence" is
the clip's minimum in a spectrogram (max-referenced dB) and 0 in a standardised
waveform; a one-row input (a waveform model) gets time stripes only. Masks come from a
seeded generator, so augmented training is as reproducible as plain training.
"""

from __future__ import annotations

import torch

AUGMENTATIONS = ("none", "specaugment")

#: Stripes per example and the widest stripe, as a fraction of the axis.
FREQUENCY_MASKS, MAX_FREQUENCY_FRACTION = 2, 0.10
TIME_MASKS, MAX_TIME_FRACTION = 2, 0.10


def spec_augment(inputs: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """A masked copy of a (batch, 1, bins, frames) batch; ``generator`` lives on the CPU."""
    batch, _, bins, frames = inputs.shape
    keep = _stripes(batch, frames, TIME_MASKS, MAX_TIME_FRACTION, generator)[:, None, :]
    if bins > 1:
        keep = keep & _stripes(batch, bins, FREQUENCY_MASKS, MAX_FREQUENCY_FRACTION, generator)[:, :, None]
        fill = inputs.amin(dim=(-2, -1), keepdim=True)
    else:
        fill = torch.zeros_like(inputs[..., :1, :1])
    keep = keep[:, None].to(inputs.device)
    return torch.where(keep, inputs, fill)


def _stripes(batch: int, length: int, count: int, max_fraction: float, generator: torch.Generator) -> torch.Tensor:
    """(batch, length) booleans, False inside ``count`` random stripes per row."""
    widest = max(1, int(length * max_fraction))
    widths = torch.randint(0, widest + 1, (batch, count), generator=generator)
    starts = (torch.rand(batch, count, generator=generator) * (length - widths + 1)).long()
    positions = torch.arange(length)[None, None, :]
    inside = (positions >= starts[..., None]) & (positions < (starts + widths)[..., None])
    return ~inside.any(dim=1)
