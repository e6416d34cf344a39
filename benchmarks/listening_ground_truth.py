"""Does the masked-in audio keep what the model needs? L-MAC's fidelity metrics on the localised corpus.

Trains (or reads from the cache) the same resnet-small as benchmarks/synthetic_ground_truth.py,
then scores average increase, average drop, average gain and input fidelity for the ground-truth
mask of each clip's emotional segment, for seeded random maps, and for real methods (a run), each
paired over clips. For one angry clip it also says which phrase survives in each method's
masked-in audio: the share of its energy inside the evidence segment. Prints seconds per clip.

Usage: python benchmarks/listening_ground_truth.py [--limit N] [--method SPEC ...]
"""

from __future__ import annotations

import time

import numpy as np
from bsbench_plugins.metrics.audio_fidelity import (
    AudioFidelityParameters,
    AverageDropMetric,
    AverageGainMetric,
    AverageIncreaseMetric,
    InputFidelityMetric,
)
from localised_scene import CORPUS, arguments, interval, localised_scene

from bsbench.core.types import Explanation
from bsbench.explain.clip import explain_clip
from bsbench.explain.listening import listen
from bsbench.grid.run_config import RunConfig
from bsbench.grid.runner import plan_methods, run_benchmark
from bsbench.interfaces.protocols import ScoringBatch

METHODS = ("crp", "occlusion:window=8x10,stride=8x5", "random")
METRICS = (AverageIncreaseMetric(), AverageDropMetric(), AverageGainMetric(), InputFidelityMetric())


def main() -> None:
    args = arguments(__doc__.splitlines()[0], METHODS)
    scene = localised_scene(args.limit, args.epochs, args.seed)
    registry, model, clips, targets, oracle = scene.registry, scene.model, scene.clips, scene.targets, scene.oracle
    inputs = scene.inputs
    grid = model.frontend.grid
    noise = np.random.default_rng(args.seed).random(oracle.shape).astype(np.float32)
    params = AudioFidelityParameters()
    scored = {}
    for name, maps in (("oracle mask", oracle), ("random map", noise)):
        explanations = tuple(
            Explanation(c.clip_id, m, grid, name, int(t)) for c, m, t in zip(clips, maps, targets, strict=True)
        )
        batch = ScoringBatch(model, tuple(clips), inputs, targets, explanations, None, args.seed)
        for metric in METRICS:
            started = time.perf_counter()
            scored[name, metric.name] = metric.score(batch, params).columns[""]
            seconds = (time.perf_counter() - started) / len(clips)
            print(f"{name:12s} {metric.name:17s} {interval(scored[name, metric.name])}  ({seconds:.3f} s per clip)")
    for metric in METRICS:
        paired = scored["oracle mask", metric.name] - scored["random map", metric.name]
        print(f"oracle - random {metric.name:17s} {interval(paired)}")

    config = RunConfig(
        dataset_options=CORPUS,
        methods=tuple(args.method or METHODS),
        metrics=tuple(metric.name for metric in METRICS),
        limit=args.limit,
        epochs=args.epochs,
        seed=args.seed,
        device="cpu",
    )
    result = run_benchmark(config, registry)
    for metric in METRICS:
        rows = result.rows[result.rows["metric"] == metric.name].pivot_table(
            index="clip_id", columns="method", values="value"
        )
        for method in rows.columns:
            print(f"{metric.name:17s} {method:34s} {interval(rows[method].to_numpy())}")

    angry = next(i for i, c in enumerate(clips) if c.label == "angry" and model.labels[targets[i]] == "angry")
    clip, truth = clips[angry], clips[angry].ground_truth
    start, end = truth.evidence[0][:2]
    print(f"angry clip {clip.clip_id}: evidence segment {start:.2f}-{end:.2f} s; share of the original's energy")
    print("the masked-in audio keeps inside the segment and outside it:")
    maps = {"oracle mask": oracle[angry], "random map": noise[angry]}
    for planned in plan_methods(registry, list(config.methods)):
        explained = explain_clip(model, clip, planned, None, None, args.seed)
        maps[planned.label] = explained.relevance
    for name, relevance in maps.items():
        heard = listen(model, clip, Explanation(clip.clip_id, relevance, grid, name, int(targets[angry])))
        inside, outside = kept_shares(heard.original, heard.masked_in, start, end)
        print(f"  {name:34s} inside {inside:.3f}  outside {outside:.3f}")
    print(f"results: {result.run_dir}")


def kept_shares(original: np.ndarray, kept: np.ndarray, start: float, end: float, rate: int = 16_000):
    """Share of ``original``'s energy that ``kept`` holds between ``start`` and ``end`` seconds, and outside."""
    inside = np.zeros(len(original), dtype=bool)
    inside[round(start * rate) : round(end * rate)] = True
    power, held = np.asarray(original, np.float64) ** 2, np.asarray(kept, np.float64) ** 2
    return float(held[inside].sum() / power[inside].sum()), float(held[~inside].sum() / power[~inside].sum())


if __name__ == "__main__":
    main()
