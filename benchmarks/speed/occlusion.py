"""Occlusion at the paper's settings: captum's ``Occlusion`` against bsbench's incremental inference, side by side.

Usage: python benchmarks/speed/occlusion.py [--model resnet-small] [--clips 2] [--window 1x10] [--stride 1x3]
           [--device cpu|cuda] [--epochs 30]

Both compute the same map (captum's windows and averaging) for the same trained model,
clips, targets and floor baseline, in one process, so the ratios hold whatever the
machine's load. captum runs with its default ``perturbations_per_eval=1`` and with 64
occluded copies per pass. Differences are reported relative to the largest map value,
against captum's default map and against captum in float64 on the first clip (the truth
up to rounding).
"""

from __future__ import annotations

import argparse
import copy
import time
from dataclasses import replace

import numpy as np
import torch
from captum.attr import Occlusion

from bsbench.core.parameters import build_parameters
from bsbench.grid.runner import resolve_device, select_clips
from bsbench.interfaces.protocols import DatasetRequest
from bsbench.models.store import trained_model
from bsbench.registry.loader import load_registry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="resnet-small")
    parser.add_argument("--clips", type=int, default=2)
    parser.add_argument("--window", default="1x10")
    parser.add_argument("--stride", default="1x3")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--epochs", type=int, default=30, help="training epochs of the model (cached)")
    args = parser.parse_args()
    device = resolve_device(args.device)
    registry = load_registry()
    corpus = registry.get("dataset", "synthetic").load(DatasetRequest(seed=0))
    plugin = registry.get("model", args.model)
    model = trained_model(
        plugin, corpus, seed=0, device=device, config=replace(plugin.training, epochs=args.epochs), show_progress=False
    )
    inputs = model.features(select_clips(corpus.split("test"), args.clips))
    targets = model.logits(inputs).argmax(dim=1)
    method = registry.get("method", "occlusion")
    params = build_parameters(method.parameters, {"window": args.window, "stride": args.stride}, "occlusion")
    windows = method.windows(params, model.frontend.grid)
    print(
        f"{args.model} on {device}, {torch.get_num_threads()} CPU threads, {len(inputs)} clips, "
        f"window {args.window} stride {args.stride}: {len(windows)} occluded copies per clip"
    )

    method.explain(model, inputs[:1], targets[:1], params, 0)  # warm-up (tracing, oneDNN kernels)
    started = time.perf_counter()
    ours = method.explain(model, inputs, targets, params, 0)
    incremental = (time.perf_counter() - started) / len(inputs)

    baseline = inputs.amin(dim=(1, 2, 3), keepdim=True).expand_as(inputs).contiguous()
    occlusion = Occlusion(model.network)
    timings, maps = {}, {}
    for copies in (1, 64):
        started = time.perf_counter()
        with torch.no_grad():
            maps[copies] = (
                occlusion.attribute(
                    inputs,
                    sliding_window_shapes=(1, *windows.window),
                    strides=(1, *windows.stride),
                    baselines=baseline,
                    target=targets,
                    perturbations_per_eval=copies,
                )[:, 0]
                .cpu()
                .numpy()
            )
        timings[copies] = (time.perf_counter() - started) / len(inputs)

    reference = maps[1]
    print(f"captum Occlusion, defaults (1 copy per pass)  {timings[1]:8.2f} s/clip")
    print(f"captum Occlusion, 64 copies per pass          {timings[64]:8.2f} s/clip   x{timings[1] / timings[64]:.1f}")
    print(f"bsbench occlusion (incremental)               {incremental:8.2f} s/clip   x{timings[1] / incremental:.1f}")
    for name, found in (("bsbench", ours), ("captum 64 copies", maps[64])):
        difference = np.abs(found - reference).max() / np.abs(reference).max()
        print(f"max |{name} - captum defaults| / max |map| = {difference:.2e}")
    # captum's float32 map is itself off by a unit in the last place of the logits; the float64 map is the truth
    wide = copy.deepcopy(model.network).double()
    with torch.no_grad():
        truth = (
            Occlusion(wide)
            .attribute(
                inputs[:1].double(),
                sliding_window_shapes=(1, *windows.window),
                strides=(1, *windows.stride),
                baselines=baseline[:1].double(),
                target=targets[:1],
                perturbations_per_eval=64,
            )[0, 0]
            .cpu()
            .numpy()
        )
    for name, found in (("bsbench", ours[0]), ("captum defaults", reference[0])):
        difference = np.abs(found - truth).max() / np.abs(truth).max()
        print(f"first clip: max |{name} - captum in float64| / max |map| = {difference:.2e}")


if __name__ == "__main__":
    main()
