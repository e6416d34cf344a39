"""Several runs read as one: their rows merged, metric directions and model quality combined, clashes refused.

Runs merge when they add datasets, models or methods to each other. Two runs that
score the same (dataset, model, method, metric, clip) would count a clip twice, and
two runs that explain the same model name trained differently (other weights) would
rank methods of different networks against each other: both are refused with the runs
named, rather than averaged into a table that means nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from bsbench.core.errors import ResultsError
from bsbench.results.leaderboard import model_quality
from bsbench.results.store import read_run

DEFAULT_CUE_PROFILE = "consensus"
IDENTITY = ["dataset", "model", "method", "metric", "clip_id"]


@dataclass(frozen=True)
class RunSet:
    manifests: tuple[Mapping[str, Any], ...]
    rows: pd.DataFrame
    #: Metric name -> True/False (higher/lower is better) or None (a signed effect).
    directions: Mapping[str, bool | None]
    quality: Mapping[tuple[str, str], Mapping[str, float]]

    @property
    def cue_profile(self) -> str:
        """The expert profile the (first) run judged cues by; consensus for runs written before it was recorded."""
        return str(self.manifests[0].get("cue_profile", DEFAULT_CUE_PROFILE))


def read_runs(run_dirs: Sequence[Path]) -> RunSet:
    """Read and merge ``run_dirs``; one :class:`ResultsError` line names any clash."""
    manifests, frames = [], []
    directions: dict[str, bool | None] = {}
    weights: dict[tuple[str, str], tuple[str, Path]] = {}
    quality: dict[tuple[str, str], Mapping[str, float]] = {}
    for position, run_dir in enumerate(run_dirs):
        manifest, rows = read_run(run_dir)
        for metric in manifest.get("metrics", []):
            name, direction = metric["name"], metric["higher_is_better"]
            if directions.setdefault(name, direction) != direction:
                raise ResultsError(f"run directory {run_dir}: metric {name!r} has another direction than earlier runs")
        model_key = ((manifest.get("dataset") or {}).get("name", ""), (manifest.get("model") or {}).get("name", ""))
        digest = ((manifest.get("model") or {}).get("card") or {}).get("checkpoint_sha256")
        if digest is not None:
            earlier = weights.setdefault(model_key, (digest, Path(run_dir)))
            if earlier[0] != digest:
                raise ResultsError(
                    f"run directories {earlier[1]} and {run_dir}: model {model_key[1]} on {model_key[0]} has different "
                    "weights in each; methods explaining different networks cannot share a leaderboard"
                )
        quality.update(model_quality(manifest))
        manifests.append(manifest)
        frames.append(rows.assign(run_dir=str(run_dir), run_position=position))
    merged = pd.concat(frames, ignore_index=True)
    per_run = merged.drop_duplicates([*IDENTITY, "run_position"])
    twice = per_run[per_run.duplicated(IDENTITY, keep=False)]
    if not twice.empty:
        first = twice.iloc[0]
        runs = " and ".join(twice[(twice[IDENTITY] == first[IDENTITY]).all(axis=1)]["run_dir"])
        raise ResultsError(
            f"run directories {runs} both score method {first['method']} with {first['metric']} on "
            f"{first['dataset']} ({first['model']}): merge runs that add datasets, models or methods"
        )
    return RunSet(tuple(manifests), merged.drop(columns=["run_dir", "run_position"]), directions, quality)
