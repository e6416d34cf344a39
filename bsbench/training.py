"""Training any model plugin on any corpus, without leaking the test split.

The network trains for the whole cosine schedule and keeps its final weights; the
validation split is scored after every epoch for the progress bar and the model card,
and the test split once, after training. Neither chooses anything, so neither leaks.
The loss is class-balanced so a skewed corpus does not buy accuracy by ignoring its
small classes.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import torch
from torch import nn

from bsbench.errors import DataError
from bsbench.frontend import frontend_features
from bsbench.progress import progress_bar
from bsbench.protocols import ModelPlugin, TrainingConfig
from bsbench.types import Corpus


@dataclass(frozen=True)
class ClassificationScores:
    accuracy: float
    unweighted_average_recall: float
    confusion: list[list[int]]
    #: Mean cross-entropy (unweighted) of the true classes.
    loss: float

    @classmethod
    def from_predictions(
        cls, truth: np.ndarray, predicted: np.ndarray, n_classes: int, loss: float
    ) -> ClassificationScores:
        confusion = np.zeros((n_classes, n_classes), dtype=int)
        np.add.at(confusion, (truth, predicted), 1)
        support = confusion.sum(axis=1)
        recalls = np.diag(confusion)[support > 0] / support[support > 0]
        return cls(
            accuracy=float(np.mean(truth == predicted)) if truth.size else float("nan"),
            unweighted_average_recall=float(recalls.mean()) if recalls.size else float("nan"),
            confusion=confusion.tolist(),
            loss=loss,
        )


@dataclass
class TrainedModel:
    network: nn.Module
    card: dict[str, Any]


def train_model(
    plugin: ModelPlugin,
    corpus: Corpus,
    *,
    seed: int,
    device: torch.device,
    epochs: int | None = None,
    show_progress: bool = True,
) -> TrainedModel:
    """Train ``plugin``'s network on the corpus's train split; returns it with a model card."""
    config = plugin.training if epochs is None else replace(plugin.training, epochs=epochs)
    labels = corpus.labels
    index_of = {label: i for i, label in enumerate(labels)}
    frontend = plugin.frontend()
    splits = {}
    for split in ("train", "validation", "test"):
        clips = corpus.split(split)
        if not clips:
            raise DataError(f"dataset {corpus.name}: the {split} split is empty; cannot train {plugin.name}")
        targets = torch.tensor([index_of[clip.label] for clip in clips], device=device)
        splits[split] = (frontend_features(frontend, clips, device), targets)

    torch.manual_seed(seed)
    network = plugin.build(len(labels)).to(device)
    optimizer = torch.optim.AdamW(network.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    train_x, train_y = splits["train"]
    counts = torch.bincount(train_y, minlength=len(labels)).float()
    weights = torch.where(counts > 0, counts.sum() / (len(labels) * counts.clamp(min=1)), torch.zeros_like(counts))
    loss_fn = nn.CrossEntropyLoss(weight=weights)
    steps_per_epoch = -(-len(train_y) // config.batch_size)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs * steps_per_epoch)
    shuffler = torch.Generator().manual_seed(seed)

    validation_curve: list[float] = []
    started = time.perf_counter()
    with progress_bar(show_progress) as progress:
        task = progress.add_task(f"training {plugin.name} on {corpus.name}", total=config.epochs, status="")
        for _ in range(config.epochs):
            network.train()
            order = torch.randperm(len(train_y), generator=shuffler).to(device)
            epoch_loss = 0.0
            for start in range(0, len(order), config.batch_size):
                batch = order[start : start + config.batch_size]
                optimizer.zero_grad()
                loss = loss_fn(network(train_x[batch]), train_y[batch])
                loss.backward()
                optimizer.step()
                schedule.step()
                epoch_loss += loss.item() * len(batch)
            validation = _evaluate(network, *splits["validation"], len(labels), config)
            validation_curve.append(round(validation.unweighted_average_recall, 4))
            progress.update(
                task,
                advance=1,
                status=f"loss {epoch_loss / len(order):.3f}  val UAR {validation.unweighted_average_recall:.3f}",
            )
    test = _evaluate(network, *splits["test"], len(labels), config)
    validation = _evaluate(network, *splits["validation"], len(labels), config)
    card = {
        "model": plugin.name,
        "model_version": plugin.version,
        "dataset": corpus.name,
        "dataset_parameters": dict(corpus.parameters),
        "split_policy": corpus.split_policy,
        "split_sizes": {split: len(targets) for split, (_, targets) in splits.items()},
        "labels": list(labels),
        "frontend": frontend.describe(),
        "seed": seed,
        "training": asdict(config),
        "train_seconds": round(time.perf_counter() - started, 1),
        "validation": asdict(validation),
        "validation_recall_per_epoch": validation_curve,
        "test": asdict(test),
    }
    return TrainedModel(network=network.eval(), card=card)


@torch.no_grad()
def _evaluate(
    network: nn.Module, features: torch.Tensor, targets: torch.Tensor, n_classes: int, config: TrainingConfig
) -> ClassificationScores:
    network.eval()
    logits = torch.cat(
        [network(features[i : i + config.batch_size]) for i in range(0, len(features), config.batch_size)]
    )
    loss = float(nn.functional.cross_entropy(logits, targets))
    predicted = logits.argmax(dim=1)
    return ClassificationScores.from_predictions(targets.cpu().numpy(), predicted.cpu().numpy(), n_classes, loss)
