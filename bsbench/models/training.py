"""Training any model plugin on any corpus, without leaking the test split.

By default the network trains for the whole cosine schedule and keeps its final
weights; the validation split is scored after every epoch for the progress bar and the
model card, and the test split once, after training. With ``patience`` set, training
stops when validation recall has not improved for that many epochs and keeps the best
validation epoch; the test split never chooses anything, so it never leaks. The loss
is class-balanced so a skewed corpus does not buy accuracy by ignoring small classes.

Every epoch ends by writing a training state (weights, optimiser, schedule and every
random generator) when ``state_path`` is given, so an interrupted training resumes
from its last finished epoch and ends with the same weights as an uninterrupted one.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from bsbench.audio.frontend import frontend_features
from bsbench.core.cache import write_atomic
from bsbench.core.errors import DataError, UsageError
from bsbench.core.progress import progress_bar
from bsbench.core.types import Corpus
from bsbench.core.versions import package_versions
from bsbench.interfaces.protocols import ModelPlugin, TrainingConfig
from bsbench.models.augmentation import AUGMENTATIONS, spec_augment

#: Format of the resumable training state; a file of another format is ignored.
STATE_FORMAT = 1


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


def weights_digest(state: dict[str, torch.Tensor]) -> str:
    """SHA-256 over parameter names, dtypes, shapes and bytes: equal digests, equal weights."""
    digest = hashlib.sha256()
    for name in sorted(state):
        tensor = state[name].detach().cpu().contiguous()
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def check_training_config(config: TrainingConfig) -> None:
    """One line naming the option that is out of range."""
    if config.epochs < 1:
        raise UsageError(f"--epochs {config.epochs}: must be at least 1")
    if config.batch_size < 1:
        raise UsageError(f"--batch-size {config.batch_size}: must be at least 1")
    if not config.learning_rate > 0:
        raise UsageError(f"--learning-rate {config.learning_rate}: must be positive")
    if config.patience < 0:
        raise UsageError(f"--patience {config.patience}: must be 0 (off) or more")
    if config.augment not in AUGMENTATIONS:
        raise UsageError(f"--augment {config.augment!r}: choose one of {', '.join(AUGMENTATIONS)}")


def train_model(
    plugin: ModelPlugin,
    corpus: Corpus,
    *,
    seed: int,
    device: torch.device,
    config: TrainingConfig | None = None,
    state_path: Path | None = None,
    show_progress: bool = True,
    on_epoch: Callable[[int, ClassificationScores], None] | None = None,
) -> TrainedModel:
    """Train ``plugin``'s network on the corpus's train split; returns it with a model card.

    ``config`` defaults to the plugin's recipe. ``on_epoch(epoch, validation)`` is called
    after each finished epoch (and after its state is saved).
    """
    config = config or plugin.training
    check_training_config(config)
    labels = corpus.labels
    index_of = {label: i for i, label in enumerate(labels)}
    frontend = plugin.frontend()
    splits = {}
    for split in ("train", "validation", "test"):
        clips = corpus.split(split)
        if not clips:
            why = "".join(f" ({warning})" for warning in corpus.warnings if "split" in warning)
            raise DataError(f"dataset {corpus.name}: the {split} split is empty; cannot train {plugin.name}{why}")
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
    masker = torch.Generator().manual_seed(seed + 1)
    precision = _autocast_dtype(device)

    progress_state = _TrainingProgress()
    if state_path is not None and state_path.is_file():
        progress_state = _resume(state_path, network, optimizer, schedule, shuffler, masker, device)

    started = time.perf_counter()
    with progress_bar(show_progress) as progress:
        task = progress.add_task(
            f"training {plugin.name} on {corpus.name}",
            total=config.epochs,
            completed=progress_state.epochs_done,
            status="resumed" if progress_state.epochs_done else "",
        )
        while progress_state.epochs_done < config.epochs and not progress_state.stopped_early(config.patience):
            network.train()
            order = torch.randperm(len(train_y), generator=shuffler).to(device)
            epoch_loss = 0.0
            for start in range(0, len(order), config.batch_size):
                batch = order[start : start + config.batch_size]
                inputs = train_x[batch]
                if config.augment == "specaugment":
                    inputs = spec_augment(inputs, masker)
                optimizer.zero_grad()
                with _autocast(device, precision):
                    loss = loss_fn(network(inputs).float(), train_y[batch])
                loss.backward()
                optimizer.step()
                schedule.step()
                epoch_loss += loss.item() * len(batch)
            validation = _evaluate(network, *splits["validation"], len(labels), config.batch_size)
            progress_state.record(validation.unweighted_average_recall, network)
            progress_state.train_seconds += time.perf_counter() - started
            started = time.perf_counter()
            if state_path is not None:
                _save_state(state_path, progress_state, network, optimizer, schedule, shuffler, masker, device)
            progress.update(
                task,
                advance=1,
                status=f"loss {epoch_loss / len(order):.3f}  val UAR {validation.unweighted_average_recall:.3f}",
            )
            if on_epoch is not None:
                on_epoch(progress_state.epochs_done, validation)
    if config.patience and progress_state.best_state is not None:
        network.load_state_dict(progress_state.best_state)
    test = _evaluate(network, *splits["test"], len(labels), config.batch_size)
    validation = _evaluate(network, *splits["validation"], len(labels), config.batch_size)
    state = {name: tensor.detach().cpu() for name, tensor in network.state_dict().items()}
    card = {
        "model": plugin.name,
        "model_version": plugin.version,
        "model_options": dict(getattr(plugin, "options", {}) or {}),
        "dataset": corpus.name,
        "dataset_parameters": dict(corpus.parameters),
        "split_policy": corpus.split_policy,
        "split_sizes": {split: len(targets) for split, (_, targets) in splits.items()},
        "labels": list(labels),
        "frontend": frontend.describe(),
        "seed": seed,
        "training": asdict(config),
        "device": str(device),
        # CPU results are bit-identical per seed at a fixed thread count; other counts round differently
        "cpu_threads": torch.get_num_threads(),
        "mixed_precision": str(precision).removeprefix("torch.") if precision else None,
        "epochs_run": progress_state.epochs_done,
        "kept_epoch": progress_state.best_epoch if config.patience else progress_state.epochs_done,
        "resumed_at_epoch": progress_state.resumed_at,
        "train_seconds": round(progress_state.train_seconds, 1),
        "seconds_per_epoch": round(progress_state.train_seconds / max(1, progress_state.epochs_done), 2),
        "versions": package_versions(),
        "weights_sha256": weights_digest(state),
        "validation": asdict(validation),
        "validation_recall_per_epoch": [round(value, 4) for value in progress_state.validation_curve],
        "test": asdict(test),
    }
    return TrainedModel(network=network.eval(), card=card)


@dataclass
class _TrainingProgress:
    """What the loop has done so far; saved with the weights so a resumed run continues it."""

    epochs_done: int = 0
    validation_curve: list[float] | None = None
    best_epoch: int = 0
    best_recall: float = -1.0
    best_state: dict[str, torch.Tensor] | None = None
    train_seconds: float = 0.0
    resumed_at: int | None = None

    def record(self, recall: float, network: nn.Module) -> None:
        self.epochs_done += 1
        self.validation_curve = [*(self.validation_curve or []), recall]
        if recall > self.best_recall:
            self.best_epoch, self.best_recall = self.epochs_done, recall
            self.best_state = {name: tensor.detach().clone() for name, tensor in network.state_dict().items()}

    def stopped_early(self, patience: int) -> bool:
        return bool(patience) and self.epochs_done - self.best_epoch >= patience


def _save_state(
    path: Path,
    progress: _TrainingProgress,
    network: nn.Module,
    optimizer: torch.optim.Optimizer,
    schedule: torch.optim.lr_scheduler.LRScheduler,
    shuffler: torch.Generator,
    masker: torch.Generator,
    device: torch.device,
) -> None:
    state = {
        "format": STATE_FORMAT,
        "epochs_done": progress.epochs_done,
        "validation_curve": list(progress.validation_curve or []),
        "best_epoch": progress.best_epoch,
        "best_recall": progress.best_recall,
        "best_state": progress.best_state or {},
        "train_seconds": progress.train_seconds,
        "network": network.state_dict(),
        "optimizer": optimizer.state_dict(),
        "schedule": schedule.state_dict(),
        "shuffler": shuffler.get_state(),
        "masker": masker.get_state(),
        "torch_rng": torch.get_rng_state(),
        "cuda_rng": torch.cuda.get_rng_state(device) if device.type == "cuda" else torch.empty(0, dtype=torch.uint8),
    }
    write_atomic(path, lambda temp: torch.save(state, temp))


def _resume(
    path: Path,
    network: nn.Module,
    optimizer: torch.optim.Optimizer,
    schedule: torch.optim.lr_scheduler.LRScheduler,
    shuffler: torch.Generator,
    masker: torch.Generator,
    device: torch.device,
) -> _TrainingProgress:
    """Restore everything the next epoch depends on; a stale or unreadable state starts afresh."""
    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except Exception:  # a half-written or foreign file: training from scratch is always safe
        return _TrainingProgress()
    if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
        return _TrainingProgress()
    network.load_state_dict(state["network"])
    optimizer.load_state_dict(state["optimizer"])
    schedule.load_state_dict(state["schedule"])
    shuffler.set_state(state["shuffler"].cpu())
    masker.set_state(state["masker"].cpu())
    torch.set_rng_state(state["torch_rng"].cpu())
    if device.type == "cuda" and state["cuda_rng"].numel():
        torch.cuda.set_rng_state(state["cuda_rng"].cpu(), device)
    return _TrainingProgress(
        epochs_done=state["epochs_done"],
        validation_curve=list(state["validation_curve"]),
        best_epoch=state["best_epoch"],
        best_recall=state["best_recall"],
        best_state=state["best_state"] or None,
        train_seconds=state["train_seconds"],
        resumed_at=state["epochs_done"],
    )


def _autocast_dtype(device: torch.device) -> torch.dtype | None:
    """Mixed precision on GPU: bfloat16 where supported (no loss scaling needed), else none."""
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return None


def _autocast(device: torch.device, dtype: torch.dtype | None):
    return torch.autocast(device_type=device.type, dtype=dtype) if dtype is not None else nullcontext()


@torch.no_grad()
def _evaluate(
    network: nn.Module, features: torch.Tensor, targets: torch.Tensor, n_classes: int, batch_size: int
) -> ClassificationScores:
    network.eval()
    logits = torch.cat([network(features[i : i + batch_size]) for i in range(0, len(features), batch_size)])
    loss = float(nn.functional.cross_entropy(logits, targets))
    predicted = logits.argmax(dim=1)
    return ClassificationScores.from_predictions(targets.cpu().numpy(), predicted.cpu().numpy(), n_classes, loss)
