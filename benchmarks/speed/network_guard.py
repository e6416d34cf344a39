"""Cost of the run-time network guard, as a ratio to the plugin call it watches (one run, one machine).

Usage: python benchmarks/speed/network_guard.py [--clips 32] [--repeats 5] [--device cpu|cuda]
Every (method, batch) job of a run builds one guard (a deep copy of the network) and
checks the network after each plugin call (every state-dict tensor compared with the
copy, plus flags and hooks). This script times both on freshly initialised resnet-small
and crnn networks next to the cheapest real call they guard - one crp and one gradcam
explanation of a batch - and prints the medians and the ratios.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial

from untrained import untrained_scene

from bsbench.grid.network_guard import NetworkGuard
from bsbench.grid.runner import resolve_device
from bsbench.registry.loader import load_registry


def median_seconds(call: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    device = resolve_device(args.device)
    registry = load_registry()
    print(f"{device}, batch of {args.clips} clips, median of {args.repeats}: seconds and ratio to the explanation")
    for model_name in ("resnet-small", "crnn"):
        model, _, inputs, targets = untrained_scene(registry, model_name, device, args.clips)
        parameters = sum(p.numel() for p in model.network.parameters())
        guard = NetworkGuard(model.network)
        build = median_seconds(partial(NetworkGuard, model.network), args.repeats)
        check = median_seconds(guard.changes, args.repeats)
        for method_name in ("crp", "gradcam"):
            method = registry.get("method", method_name)
            params = method.parameters()
            explain = median_seconds(partial(method.explain, model, inputs, targets, params, 0), args.repeats)
            print(
                f"{model_name:13s} ({parameters / 1e6:.2f} M parameters) {method_name:8s} explain {explain:7.3f} s | "
                f"guard built {build * 1e3:6.1f} ms (x{build / explain:.4f}), "
                f"check {check * 1e3:6.1f} ms (x{check / explain:.4f})"
            )


if __name__ == "__main__":
    main()
