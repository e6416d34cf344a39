"""A 1-D convolutional network on the raw waveform (after Dai et al.'s M5, ICASSP 2017).

The first convolution (80 samples, 5 ms at 16 kHz, stride 4) learns its own filter
bank; four blocks of convolution, batch norm and pooling then shrink 32,000 samples
to about 30 steps, which global average and max pooling summarise. Its input has no
frequency axis, so every explanation of it is a relevance curve over time: where, not
in which band, the evidence lies.
"""

from __future__ import annotations

import torch
from torch import nn
from zennit.canonizers import Canonizer, SequentialMergeBatchNorm

from bsbench.plugin import TrainingConfig, WaveformFrontEnd


class WavCNN(nn.Module):
    def __init__(self, n_classes: int, width: int = 64) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(1, width, 80, stride=4, padding=38, bias=False)
        self.bn1 = nn.BatchNorm1d(width)
        self.pool1 = nn.MaxPool1d(4)
        self.conv2 = nn.Conv1d(width, width, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm1d(width)
        self.pool2 = nn.MaxPool1d(4)
        self.conv3 = nn.Conv1d(width, 2 * width, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm1d(2 * width)
        self.pool3 = nn.MaxPool1d(4)
        self.conv4 = nn.Conv1d(2 * width, 2 * width, 3, padding=1, bias=False)
        self.bn4 = nn.BatchNorm1d(2 * width)
        self.pool4 = nn.MaxPool1d(4)
        # one activation module per use: DeepLift and guided backprop hook each use separately
        self.relu1, self.relu2, self.relu3, self.relu4 = (nn.ReLU() for _ in range(4))
        self.dropout = nn.Dropout(0.3)
        self.fc = nn.Linear(4 * width, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(1, 2)  # (batch, 1, 1, samples) -> (batch, 1, samples)
        x = self.pool1(self.relu1(self.bn1(self.conv1(x))))
        x = self.pool2(self.relu2(self.bn2(self.conv2(x))))
        x = self.pool3(self.relu3(self.bn3(self.conv3(x))))
        x = self.pool4(self.relu4(self.bn4(self.conv4(x))))
        pooled = torch.cat([x.mean(dim=-1), x.amax(dim=-1)], dim=1)
        return self.fc(self.dropout(pooled))


class WavCnnPlugin:
    name = "wav-cnn"
    description = "1-D CNN on the raw 16 kHz waveform (M5-style); relevance lives on the time axis only."
    version = "0.1.0"
    training = TrainingConfig()
    explain_layer = "conv4"
    checkpoint_labels = ()

    def frontend(self) -> WaveformFrontEnd:
        return WaveformFrontEnd()

    def build(self, n_classes: int) -> WavCNN:
        return WavCNN(n_classes)

    def canonizers(self) -> list[Canonizer]:
        return [SequentialMergeBatchNorm()]
