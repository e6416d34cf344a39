"""Which removal lets a removal metric rank methods as the ground truth does? The measurement behind the default.

On the synthetic corpus in localised placement (the evidence segment of every clip is
known), every method is scored by relevance-mass accuracy (how much of its relevance
lies on the evidence: the ground-truth ranking) and by faithfulness correlation, pixel
flipping and ROAD under each removal. For each removal the script prints the Spearman
correlation between the method ranking its metric gives and the ground-truth ranking, and the Kendall tau
between the rankings of every pair of removals (Bolanos et al., Interspeech 2025, found
proxy faithfulness and ground truth disagreeing on audio; this is how bsbench checks
its own), plus seconds per clip of each removal.

Usage: python benchmarks/removal_agreement.py [--limit N] [--preset quick|standard] [--removal R ...]
The defaults take about 10 minutes on 2 CPU cores with the localised model cached.
"""

from __future__ import annotations

import argparse
import itertools
import time

import pandas as pd
from scipy import stats

from bsbench.grid.run_config import RunConfig
from bsbench.grid.runner import run_benchmark
from bsbench.registry.loader import load_registry
from bsbench.scoring.removal import REMOVALS

CORPUS = {"placement": "localised"}
METHODS = (
    "saliency",
    "input-x-gradient",
    "integrated-gradients",
    "gradcam",
    "lrp",
    "crp",
    "occlusion-time",
    "feature-ablation",
    "random",
    "energy",
    "spectral-flux",
)
GROUND_TRUTH = "relevance-mass-accuracy"
REMOVAL_METRICS = ("faithfulness-correlation", "pixel-flipping", "road")


def method_means(rows: pd.DataFrame, metric: str) -> pd.Series:
    return rows[rows["metric"] == metric].groupby("method", sort=False)["value"].mean()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=28)
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--removal", action="append", help=f"repeatable [default: {' '.join(REMOVALS)}]")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    registry = load_registry()

    def run(metrics: tuple[str, ...]):
        config = RunConfig(
            dataset_options=CORPUS,
            methods=METHODS,
            metrics=metrics,
            metric_preset=args.preset,
            limit=args.limit,
            seed=args.seed,
        )
        return run_benchmark(config, registry, show_progress=False)

    # the ground truth first: it trains the model and explains the clips, so the timings below are the metrics'
    truth = method_means(run((GROUND_TRUTH,)).rows, GROUND_TRUTH)
    scores: dict[str, pd.Series] = {}
    seconds: dict[str, float] = {}
    for removal in args.removal or REMOVALS:
        started = time.perf_counter()
        result = run(tuple(f"{metric}:removal={removal}" for metric in REMOVAL_METRICS))
        seconds[removal] = (time.perf_counter() - started) / (args.limit * len(METHODS))
        for metric in REMOVAL_METRICS:
            sign = -1.0 if metric == "pixel-flipping" else 1.0  # lower is better for pixel flipping
            scores[f"{metric} ({removal})"] = sign * method_means(result.rows, metric)
    print(f"ground truth ({GROUND_TRUTH}) by method:")
    print(truth.sort_values(ascending=False).round(3).to_string())
    print("\nagreement with the ground-truth ranking (Spearman over methods):")
    for name, values in scores.items():
        rho = stats.spearmanr(values.reindex(truth.index), truth).statistic
        print(f"  {name:40s} rho = {rho:+.3f}")
    print("\nagreement between removals (Kendall tau over methods):")
    for metric in REMOVAL_METRICS:
        names = [name for name in scores if name.startswith(metric)]
        for first, second in itertools.combinations(names, 2):
            tau = stats.kendalltau(scores[first].reindex(truth.index), scores[second].reindex(truth.index)).statistic
            print(f"  {first:40s} vs {second:40s} tau = {tau:+.3f}")
    print("\nseconds per (clip, method), the three metrics, run wall time / clips / methods:")
    for removal, value in seconds.items():
        print(f"  {removal:14s} {value:.3f}")


if __name__ == "__main__":
    main()
