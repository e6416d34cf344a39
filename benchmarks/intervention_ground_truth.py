"""Does cue-intervention find the cues a model uses where they are? The localised-corpus answer key.

On the synthetic corpus in localised placement each emotional clip is neutral speech with one
0.8 s emotional segment, and the emotion table says which cues that segment shifts. With the
ground-truth mask as the "explanation", moving the class's carrier cues towards neutral inside
its windows must cost the class more than the same change elsewhere (the 95% interval above 0);
with the inverted mask, at or below 0; and a manipulable cue the table does not shift for the
class (fear: loudness and shrillness; surprise: shrillness) must score about 0. Then real
methods against ``random`` on the same metric, paired over clips.

Usage: python benchmarks/intervention_ground_truth.py [--limit N] [--method SPEC ...]
Trains (or reads from the cache) the same resnet-small as benchmarks/synthetic_ground_truth.py.
"""

from __future__ import annotations

import time

import numpy as np
from bsbench_plugins.metrics.cue_intervention import CueInterventionMetric, CueInterventionParameters
from localised_scene import CORPUS, arguments, interval, localised_scene

from bsbench.core.types import Explanation
from bsbench.cues.interventions import DEFAULT_CHANGES, intervene
from bsbench.grid.run_config import RunConfig
from bsbench.grid.runner import run_benchmark
from bsbench.interfaces.protocols import ScoringBatch

METHODS = ("crp", "occlusion:window=8x10,stride=8x5", "random")
TRUTH = "synthetic-emotions"


def main() -> None:
    args = arguments(__doc__.splitlines()[0], METHODS)
    scene = localised_scene(args.limit, args.epochs, args.seed)
    registry, model, clips, targets, oracle = scene.registry, scene.model, scene.clips, scene.targets, scene.oracle
    inputs = scene.inputs
    extractor = registry.get("cues", "librosa")
    tracks = tuple(extractor.extract(c) for c in clips)
    grid = model.frontend.grid
    truth = registry.get("profile", TRUTH)
    metric, params = CueInterventionMetric(), CueInterventionParameters(profile=TRUTH)
    correct = np.array([model.labels[t] == c.label for c, t in zip(clips, targets, strict=True)])
    print(f"{len(clips)} emotional clips, {correct.sum()} predicted correctly")

    def explanations(maps: np.ndarray) -> tuple[Explanation, ...]:
        return tuple(
            Explanation(c.clip_id, m, grid, "mask", int(t)) for c, m, t in zip(clips, maps, targets, strict=True)
        )

    for name, maps in (("oracle mask", oracle), ("inverted mask", 1.0 - oracle)):
        batch = ScoringBatch(model, tuple(clips), inputs, targets, explanations(maps), tracks, args.seed, profile=truth)
        started = time.perf_counter()
        scores = metric.score(batch, params)
        seconds = (time.perf_counter() - started) / len(clips)
        values = scores.columns[""]
        print(f"{name:14s} overall  {interval(values[correct])}  ({seconds:.2f} s per clip)")
        for cue in (c for c in scores.columns if c):
            if np.isfinite(scores.columns[cue][correct]).sum() > 1:
                print(f"{name:14s} {cue:18s} {interval(scores.columns[cue][correct])}")

    unshifted = {"fear": ("loudness", "shrillness"), "surprise": ("shrillness",)}
    effects = []
    for i, clip in enumerate(clips):
        if not correct[i] or clip.label not in unshifted:
            continue
        explanation = explanations(oracle)[i]
        plan = [(cue, 1) for cue in unshifted[clip.label]]
        for tested in intervene(model, clip, explanation, tracks[i], plan, DEFAULT_CHANGES, 4, args.seed, 3):
            effects.append(tested.effect)
    print(f"oracle mask, a cue the class does not shift: {interval(np.array(effects))}")

    methods = tuple(args.method or METHODS)
    config = RunConfig(
        dataset_options=CORPUS,
        methods=methods,
        metrics=(f"cue-intervention:profile={TRUTH}",),
        limit=args.limit,
        epochs=args.epochs,
        seed=args.seed,
        device="cpu",
    )
    result = run_benchmark(config, registry)
    rows = result.rows[result.rows["metric"] == "cue-intervention"]
    table = rows.pivot_table(index="clip_id", columns="method", values="value")
    for method in (m for m in table.columns if m != "random"):
        paired = (table[method] - table["random"]).dropna().to_numpy()
        print(f"cue-intervention {method:34s} - random: {interval(paired)}")
    print(f"results: {result.run_dir}")


if __name__ == "__main__":
    main()
