"""SIGKILL a run at random points, repeat the same command, and compare with an uninterrupted run.

Usage: python benchmarks/speed/kill_resume.py [--kills 10] [--clips 14] [--seed 0]

Every trial starts from a cache holding only the trained model (so the kill can land in
cue extraction, in any explanation or score piece, or while the results are written),
kills ``bsbench run`` after a random delay, runs the same command again into the same
``--out`` and compares its ``results.parquet`` with the uninterrupted run's: values
(NaN where NaN) and reasons must be equal, whatever the cache held when it was killed.
The test suite runs the same check with two kills (tests/test_kill_resume.py).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

#: Four speakers, two clips per class; a two-epoch model: small enough for many trials.
SMALL_CORPUS = {"speakers": "4", "clips_per_class": "2", "test_speakers": "1", "validation_speakers": "1"}
METHODS = ("crp", "gradcam", "random")
#: The cached parts a trial starts with: the trained model and the generated corpus, no pieces or cue tracks.
KEPT_CACHE = ("models", "datasets")


def run_command(out: Path, clips: int) -> list[str]:
    """The ``bsbench run`` every trial repeats: three methods, the default metrics at the quick preset."""
    options = [arg for key, value in SMALL_CORPUS.items() for arg in ("--dataset-option", f"{key}={value}")]
    methods = [arg for method in METHODS for arg in ("-m", method)]
    return [
        sys.executable,
        "-m",
        "bsbench",
        "run",
        *options,
        *methods,
        "--epochs",
        "2",
        "--limit",
        str(clips),
        "--batch-size",
        "4",
        "--metric-preset",
        "quick",
        "--device",
        "cpu",
        "-q",
        "--out",
        str(out),
    ]


def result_values(run_dir: Path) -> pd.DataFrame:
    """A run's values and reasons in a fixed order, without the run id (each run has its own)."""
    frame = pd.read_parquet(run_dir / "results.parquet")
    keys = ["method", "metric", "clip_id"]
    return frame[[*keys, "value", "reason"]].sort_values(keys).reset_index(drop=True)


def differences(expected: pd.DataFrame, found: pd.DataFrame) -> int:
    """How many rows differ in key, value (NaN equal to NaN) or reason."""
    if expected.shape != found.shape:
        return max(len(expected), len(found))
    keys = ["method", "metric", "clip_id", "reason"]
    same_keys = (expected[keys] == found[keys]).all(axis=1)
    same_values = np.isclose(expected.value, found.value, rtol=0, atol=0, equal_nan=True)
    return int((~(same_keys & same_values)).sum())


def fresh_cache(warm: Path, root: Path) -> dict[str, str]:
    """An environment whose cache holds only ``warm``'s trained model and corpus."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    for part in KEPT_CACHE:
        if (warm / part).is_dir():
            shutil.copytree(warm / part, root / part)
    return {**os.environ, "BSBENCH_CACHE": str(root)}


def killed_then_repeated(command: list[str], delay: float, env: dict[str, str]) -> tuple[bool, int]:
    """Kill ``command`` with SIGKILL after ``delay`` s (if it is still running), then run it again.

    Returns whether the kill landed before the run ended, and the repeated run's exit code.
    """
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        process.wait(timeout=delay)
        landed = False
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        landed = True
    repeated = subprocess.run(command, env=env, capture_output=True, text=True)
    if repeated.returncode:
        sys.stderr.write(repeated.stderr)
    return landed, repeated.returncode


def kill_trials(
    workdir: Path, kills: int, clips: int, seed: int, warm: Path | None = None
) -> list[dict[str, float | int | bool]]:
    """The uninterrupted run, then ``kills`` killed-and-repeated runs; one record per trial.

    ``warm`` is a cache that already holds the trained model; without one a first run trains it.
    """
    if warm is None:
        warm = workdir / "warm-cache"
        warm_env = {**os.environ, "BSBENCH_CACHE": str(warm)}
        subprocess.run(run_command(workdir / "warm-up", clips), env=warm_env, check=True, capture_output=True)
    started = time.perf_counter()
    reference_env = fresh_cache(warm, workdir / "cache")
    subprocess.run(run_command(workdir / "reference", clips), env=reference_env, check=True, capture_output=True)
    duration = time.perf_counter() - started
    expected = result_values(workdir / "reference")
    rng = np.random.default_rng(seed)
    trials = []
    for trial in range(kills):
        out = workdir / f"trial-{trial}"
        delay = float(rng.uniform(0.05, 0.8) * duration)
        landed, code = killed_then_repeated(run_command(out, clips), delay, fresh_cache(warm, workdir / "cache"))
        differing = differences(expected, result_values(out)) if code == 0 else -1
        trials.append({"trial": trial, "delay_s": round(delay, 2), "killed": landed, "exit": code, "differ": differing})
    return trials


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--clips", type=int, default=14)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        trials = kill_trials(Path(workdir), args.kills, args.clips, args.seed)
    print(pd.DataFrame(trials).to_string(index=False))
    bad = [t for t in trials if t["differ"] != 0]
    print(f"{len(trials) - len(bad)} of {len(trials)} repeated runs equal the uninterrupted run")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
