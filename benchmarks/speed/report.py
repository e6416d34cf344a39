"""How long ``bsbench report`` takes for a 4-method x 200-clip run (the target: under 30 s on 2 cores).

Usage: python benchmarks/speed/report.py [--clips 200] [--device cpu]

A run with four cheap methods (saliency, input-x-gradient, gradcam, random) and the
default metrics is made first on a synthetic corpus with enough test speakers for
the clips asked; only the report is timed: reading the run, the leaderboard and the
per-emotion breakdown with their bootstrap intervals, the figures, the examples, and
writing the file. The leaderboard alone is timed too, as the part every command shares.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from bsbench.grid.run_config import RunConfig
from bsbench.grid.runner import run_benchmark
from bsbench.registry.loader import load_registry
from bsbench.report.html import build_report
from bsbench.results.leaderboard import aggregate, render
from bsbench.results.run_set import read_runs

METHODS = ("saliency", "input-x-gradient", "gradcam", "random")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clips", type=int, default=200)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bsbench-report-"))
    os.environ.setdefault("BSBENCH_CACHE", str(root / "cache"))
    speakers = -(-args.clips // 28) + 2  # 28 clips per test speaker (7 classes x 4), plus training speakers
    options = {"speakers": str(speakers + 4), "test_speakers": str(speakers), "validation_speakers": "2"}
    config = RunConfig(
        methods=METHODS, dataset_options=options, limit=args.clips, epochs=3, device=args.device, out=root / "run"
    )
    registry = load_registry()
    result = run_benchmark(config, registry, show_progress=False)
    print(f"run: {len(result.rows)} rows, {args.clips} clips x {len(METHODS)} methods ({result.manifest['seconds']} s)")

    started = time.perf_counter()
    runs = read_runs([result.run_dir])
    render(aggregate(runs.rows, runs.directions, quality=runs.quality), "html")
    board_seconds = time.perf_counter() - started
    started = time.perf_counter()
    page = build_report(result.run_dir, registry)
    (root / "report.html").write_text(page, encoding="utf-8")
    report_seconds = time.perf_counter() - started
    print(f"leaderboard (read, aggregate, render): {board_seconds:.1f} s")
    print(f"report: {report_seconds:.1f} s for {len(page) / 1e6:.1f} MB ({os.cpu_count()} cores); target < 30 s")


if __name__ == "__main__":
    main()
