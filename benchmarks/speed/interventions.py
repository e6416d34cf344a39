"""Cost of cue-intervention per clip at each preset, and what reusing one Praat analysis per clip saves.

Usage: python benchmarks/speed/interventions.py [--clips 6] [--device cpu|cuda]
Scores the same clips (emotional ones, explained for their own class so the consensus profile
settles five cues for most of them) with a map of the input's own level, under every preset,
on a freshly initialised resnet-small (cost does not depend on the weights). Then the standard
preset once more with Praat's pitch analysis redone for every edit, as it was before the
analysis was reused: the ratio of the two, taken in one run.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from untrained import untrained_scene

import bsbench.audio.cue_manipulations as manipulations
from bsbench.core.types import Explanation
from bsbench.grid.runner import resolve_device
from bsbench.interfaces.protocols import ScoringBatch
from bsbench.registry.loader import load_registry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clips", type=int, default=6)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    device = resolve_device(args.device)
    registry = load_registry()
    model, clips, inputs, _ = untrained_scene(registry, "resnet-small", device, 4 * args.clips)
    chosen = [i for i, clip in enumerate(clips) if clip.label not in ("neutral", "disgust")][: args.clips]
    clips = [clips[i] for i in chosen]
    features = inputs.cpu().numpy()[chosen]
    targets = np.array([model.labels.index(clip.label) for clip in clips])
    explanations = tuple(
        Explanation(c.clip_id, x[0] - x[0].min(), model.frontend.grid, "level", int(t))
        for c, x, t in zip(clips, features, targets, strict=True)
    )
    tracks = tuple(registry.get("cues", "librosa").extract(clip) for clip in clips)
    batch = ScoringBatch(
        model, tuple(clips), features, targets, explanations, tracks, 0, profile=registry.get("profile", "consensus")
    )
    metric = registry.get("metric", "cue-intervention")
    labels = ", ".join(clip.label for clip in clips)
    print(f"resnet-small on {device}, {len(clips)} clips ({labels}): seconds per clip")
    seconds = {}
    for preset in ("quick", "standard", "paper"):
        params = metric.parameters(preset=preset)
        started = time.perf_counter()
        scores = metric.score(batch, params)
        seconds[preset] = (time.perf_counter() - started) / len(clips)
        tested = sum(np.isfinite(scores.columns[c]).sum() for c in scores.columns if c) / len(clips)
        passes = metric.model_passes(params, model.frontend.grid)
        print(f"{preset:10s} {seconds[preset]:7.3f} s  ({tested:.1f} cues tested per clip; at most {passes} passes)")
    analyse = manipulations._manipulation

    def analyse_afresh(samples: np.ndarray, sample_rate: int) -> object:
        manipulations._last_analysis = {}
        return analyse(samples, sample_rate)

    manipulations._manipulation = analyse_afresh
    try:
        started = time.perf_counter()
        metric.score(batch, metric.parameters(preset="standard"))
        afresh = (time.perf_counter() - started) / len(clips)
    finally:
        manipulations._manipulation = analyse
    print(f"standard, pitch analysis redone per edit: {afresh:.3f} s (x{afresh / seconds['standard']:.2f} the reused)")


if __name__ == "__main__":
    main()
