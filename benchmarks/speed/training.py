"""Seconds per training epoch of every built-in model, side by side in one run (ratios to resnet-small).

Usage: python benchmarks/speed/training.py [--epochs 2] [--device cpu|cuda] [--threads N]
Trains on the default synthetic corpus (280 training clips) with each model's own recipe;
the first epoch is included, so the figure is what a user waits per epoch.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import torch

from bsbench.grid.runner import resolve_device
from bsbench.interfaces.protocols import DatasetRequest
from bsbench.models.training import train_model
from bsbench.registry.loader import load_registry

MODELS = ("resnet-small", "crnn", "wav-cnn")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    registry = load_registry()
    corpus = registry.get("dataset", "synthetic").load(DatasetRequest(seed=0))
    print(f"{len(corpus.split('train'))} training clips, device {device}, {torch.get_num_threads()} CPU threads")
    per_epoch = {}
    for name in MODELS:
        plugin = registry.get("model", name)
        recipe = replace(plugin.training, epochs=args.epochs)
        trained = train_model(plugin, corpus, seed=0, device=device, config=recipe, show_progress=False)
        per_epoch[name] = trained.card["train_seconds"] / trained.card["epochs_run"]
    for name, seconds in per_epoch.items():
        print(f"{name:14s} {seconds:7.2f} s/epoch   x{seconds / per_epoch[MODELS[0]]:.2f} of {MODELS[0]}")


if __name__ == "__main__":
    main()
