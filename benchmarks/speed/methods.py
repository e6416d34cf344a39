"""Cost of each saliency method per clip on the same inputs, as ratios to crp (one run, one machine).

Usage: python benchmarks/speed/methods.py [--clips 4] [--device cpu|cuda] [--model resnet-small]
Every installed method at its defaults (occlusion at the paper's 1x10 window, 1x3 stride), plus
CRP conditioned on the paper's concept, on a freshly initialised model (cost does not depend on
the weights) and synthetic clips.
"""

from __future__ import annotations

import argparse
import time

import torch
from untrained import untrained_scene

from bsbench.core.parameters import build_parameters, split_spec
from bsbench.grid.runner import resolve_device
from bsbench.registry.loader import load_registry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clips", type=int, default=4)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--model", default="resnet-small")
    args = parser.parse_args()
    device = resolve_device(args.device)
    registry = load_registry()
    model, _, inputs, targets = untrained_scene(registry, args.model, device, args.clips)
    specs = [record.name for record in registry.records("method")]
    if args.model == "resnet-small":
        specs.append("crp:layer=layer1.conv1,concept=35")
    seconds = {}
    for spec in specs:
        name, raw = split_spec(spec)
        method = registry.get("method", name)
        params = build_parameters(method.parameters, raw, name)
        method.explain(model, inputs[:1], targets[:1], params, 0)  # warm-up
        started = time.perf_counter()
        method.explain(model, inputs, targets, params, 0)
        if device.type == "cuda":
            torch.cuda.synchronize()
        seconds[spec] = (time.perf_counter() - started) / args.clips
    print(f"{args.model} on {device}, {args.clips} clips, seconds per clip and ratio to crp")
    for spec, value in seconds.items():
        print(f"{spec:40s} {value:8.4f} s  x{value / seconds['crp']:8.2f}")


if __name__ == "__main__":
    main()
