"""Wall time of the default `bsbench run`: first run (data + training) vs. second run (cached model).

Usage: python benchmarks/speed/default_run.py
Both runs happen in one process tree on the same machine, with a fresh cache, so the ratio is
meaningful even on a noisy machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed_run(cache: Path, out: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bsbench", "run", "-q", "--out", str(out)],
        env={**os.environ, "BSBENCH_CACHE": str(cache)},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        first = timed_run(root / "cache", root / "first")
        second = timed_run(root / "cache", root / "second")
    print(f"first run (generate + train + explain + score): {first:6.1f} s")
    print(f"second run (cached model):                      {second:6.1f} s")
    print(f"ratio first/second: {first / second:.2f}")


if __name__ == "__main__":
    main()
