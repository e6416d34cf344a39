"""What the localised-corpus checks share: the model trained on it, its emotional test clips and their masks.

On the synthetic corpus in localised placement each emotional clip is neutral speech with one
emotional segment, whose ground-truth mask is the "explanation" that knows the answer. The
model is the cached resnet-small of benchmarks/synthetic_ground_truth.py (same corpus, seed
and epochs), trained on first use.
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass

import numpy as np
import torch

from bsbench.core.types import Clip
from bsbench.grid.runner import evidence_masks, load_corpus, predict_clips, select_clips
from bsbench.interfaces.protocols import LoadedModel, TrainingConfig
from bsbench.models.store import trained_model
from bsbench.registry.loader import Registry, load_registry
from bsbench.results.statistics import bootstrap_interval

CORPUS = {"placement": "localised", "clips_per_class": "12"}


@dataclass(frozen=True)
class LocalisedScene:
    registry: Registry
    model: LoadedModel
    clips: list[Clip]
    inputs: np.ndarray
    #: The class the model predicts for each clip (what a method explains).
    targets: np.ndarray
    #: Each clip's ground-truth evidence on the model's input grid, as a map.
    oracle: np.ndarray


def arguments(description: str, methods: tuple[str, ...]) -> argparse.Namespace:
    """``--limit``, ``--method``, ``--epochs`` and ``--seed``, as every localised check takes them."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--limit", type=int, default=84, help="held-out clips (balanced over classes)")
    parser.add_argument("--method", action="append", help=f"method spec, repeatable [default: {' '.join(methods)}]")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def localised_scene(limit: int, epochs: int, seed: int) -> LocalisedScene:
    """The trained model and the emotional test clips (neutral ones hold no evidence), predicted."""
    registry = load_registry()
    corpus = load_corpus(registry.get("dataset", "synthetic"), None, seed, CORPUS)
    model = trained_model(
        registry.get("model", "resnet-small"),
        corpus,
        seed=seed,
        device=torch.device("cpu"),
        config=dataclasses.replace(TrainingConfig(), epochs=epochs),
    )
    clips = [c for c in select_clips(corpus.split("test"), limit) if c.label != "neutral"]
    inputs, predicted = predict_clips(model, clips, 32)
    oracle = evidence_masks(clips, model.frontend.grid).astype(np.float32)
    return LocalisedScene(registry, model, clips, inputs.numpy(), predicted.numpy(), oracle)


def interval(values: np.ndarray) -> str:
    """Mean of the finite values with its 95% bootstrap interval and count."""
    values = values[np.isfinite(values)]
    low, high = bootstrap_interval(values)
    return f"{values.mean():+.3f} [{low:+.3f}, {high:+.3f}] (n={values.size})"
