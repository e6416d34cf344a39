"""A convolutional-recurrent network on the paper's log-mel front end.

Three convolution blocks summarise each 15 ms frame's spectrum, a bidirectional GRU
reads the frames in order (so the network can use how pitch and loudness move, not
only their averages), and attention pooling weights the frames before the classifier.
The attention weights say which frames the network pooled from: a built-in saliency
of its own that the benchmark's methods can be compared with.
"""

from __future__ import annotations

import torch
from torch import nn
from zennit.canonizers import Canonizer, SequentialMergeBatchNorm

from bsbench.plugin import LogMelFrontEnd, TrainingConfig


class AttentionPooling(nn.Module):
    """A softmax over time of a learned score per frame; returns the weighted mean frame."""

    def __init__(self, features: int) -> None:
        super().__init__()
        self.score = nn.Linear(features, 1)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        weights = torch.softmax(self.score(frames), dim=1)
        return (weights * frames).sum(dim=1)


class ExplainableGRU(nn.GRU):
    """A GRU whose input gradient exists in eval mode on CUDA too.

    cuDNN computes a GRU's input gradient only in training mode, and explaining needs
    it in eval mode, so cuDNN is switched off for exactly that case. Keeping the switch
    inside the layer leaves the network's own forward free of branches on tensor
    state, so torch.fx can trace it (incremental occlusion reads the traced graph).
    """

    def forward(self, frames: torch.Tensor, state: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        explaining = frames.is_cuda and torch.is_grad_enabled() and not self.training
        with torch.backends.cudnn.flags(enabled=not explaining):
            return super().forward(frames, state)


class CRNN(nn.Module):
    def __init__(self, n_classes: int, n_mels: int = 128, hidden: int = 64) -> None:
        super().__init__()
        # conv before its batch norm, in forward order: zennit's canonizer pairs them so
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.pool2 = nn.MaxPool2d(2)
        self.conv3 = nn.Conv2d(64, 64, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(64)
        self.pool3 = nn.MaxPool2d((4, 1))
        # one activation module per use: DeepLift and guided backprop hook each use separately
        self.relu1, self.relu2, self.relu3, self.relu4 = (nn.ReLU() for _ in range(4))
        self.project = nn.Linear(64 * (n_mels // 16), 2 * hidden)
        self.gru = ExplainableGRU(2 * hidden, hidden, batch_first=True, bidirectional=True)
        self.attention = AttentionPooling(2 * hidden)
        self.dropout = nn.Dropout(0.3)
        self.fc = nn.Linear(2 * hidden, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool1(self.relu1(self.bn1(self.conv1(x))))
        x = self.pool2(self.relu2(self.bn2(self.conv2(x))))
        x = self.pool3(self.relu3(self.bn3(self.conv3(x))))
        frames = self.relu4(self.project(x.flatten(1, 2).transpose(1, 2)))  # (batch, time, features)
        sequence = self.gru(frames)[0]
        return self.fc(self.dropout(self.attention(sequence)))


class CrnnPlugin:
    name = "crnn"
    description = "Convolutions + bidirectional GRU + attention pooling on 128x134 log-mel input."
    version = "0.1.0"
    training = TrainingConfig()
    explain_layer = "conv3"
    checkpoint_labels = ()

    def frontend(self) -> LogMelFrontEnd:
        return LogMelFrontEnd()

    def build(self, n_classes: int) -> CRNN:
        return CRNN(n_classes)

    def canonizers(self) -> list[Canonizer]:
        return [SequentialMergeBatchNorm()]
