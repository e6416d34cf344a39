"""``tiny-cnn``: two convolutions on a 64-band log-mel spectrogram of one second."""

from __future__ import annotations

import torch
from torch import nn

from bsbench.plugin import LogMelFrontEnd, LogMelSettings, TrainingConfig, hookimpl


class TinyCnn(nn.Module):
    def __init__(self, n_classes: int) -> None:
        super().__init__()
        convolutions = (nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 16, 3, padding=1), nn.ReLU())
        self.features = nn.Sequential(*convolutions)
        # averaged over time but not over frequency: where the harmonics lie is what tells the classes apart
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d((8, 1)), nn.Flatten(), nn.Linear(16 * 8, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class TinyCnnPlugin:
    name = "tiny-cnn"
    description = "Two convolutions and a linear layer on 64 x 67 log-mel input (1 s): trains in seconds."
    version = "0.1.0"
    training = TrainingConfig(epochs=20, batch_size=16, learning_rate=3e-3)
    explain_layer = "features.2"  # the second convolution: Grad-CAM and CRP read it
    checkpoint_labels = ("angry", "happy", "neutral", "sad")

    def frontend(self) -> LogMelFrontEnd:
        return LogMelFrontEnd(LogMelSettings(clip_seconds=1.0, n_mels=64))

    def build(self, n_classes: int) -> TinyCnn:
        return TinyCnn(n_classes)

    def canonizers(self) -> list:
        return []  # no batch norm or residual sums: LRP rules apply as they are


@hookimpl
def bsbench_register_models(register):
    register(TinyCnnPlugin())
