"""Cost of each removal per clip, as ratios to ``floor``, through pixel flipping and ROAD (one run, one machine).

Usage: python benchmarks/speed/removal.py [--clips 4] [--preset quick|standard|paper] [--device cpu|cuda]
The same inputs and maps (the input level itself, so the order is informed) are scored by
pixel flipping and ROAD under every removal on a freshly initialised resnet-small (cost does
not depend on the weights). Prints seconds per clip for each metric and the ratio to floor.
"""

from __future__ import annotations

import argparse
import time

from untrained import untrained_scene

from bsbench.core.types import Explanation
from bsbench.grid.runner import resolve_device
from bsbench.interfaces.protocols import ScoringBatch
from bsbench.registry.loader import load_registry
from bsbench.scoring.removal import REMOVALS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clips", type=int, default=4)
    parser.add_argument("--preset", default="standard")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    device = resolve_device(args.device)
    registry = load_registry()
    model, clips, inputs, predicted = untrained_scene(registry, "resnet-small", device, args.clips)
    targets = predicted.cpu().numpy()
    features = inputs.cpu().numpy()
    explanations = tuple(
        Explanation(c.clip_id, x[0] - x[0].min(), model.frontend.grid, "level", int(t))
        for c, x, t in zip(clips, features, targets, strict=True)
    )
    batch = ScoringBatch(model, tuple(clips), features, targets, explanations, None, 0)
    print(f"resnet-small on {device}, {args.clips} clips, preset {args.preset}: seconds per clip, ratio to floor")
    for name in ("pixel-flipping", "road"):
        metric = registry.get("metric", name)
        seconds = {}
        for removal in REMOVALS:
            params = metric.parameters(preset=args.preset, removal=removal)
            started = time.perf_counter()
            metric.score(batch, params)
            seconds[removal] = (time.perf_counter() - started) / args.clips
        passes = metric.model_passes(metric.parameters(preset=args.preset), model.frontend.grid)
        for removal, value in seconds.items():
            print(f"{name:16s} {removal:14s} {value:8.3f} s  x{value / seconds['floor']:7.2f}  ({passes} passes)")


if __name__ == "__main__":
    main()
