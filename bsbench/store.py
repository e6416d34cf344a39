"""A run directory on disk: ``manifest.json``, per-sample ``results.parquet`` and ``explanations.jsonl``.

Every table bsbench prints is recomputed from the first two, so a run can be
re-scored, compared or published without re-running anything. The third keeps what
each explanation said in the paper's terms: its target, its salient time windows in
seconds and the method's own findings (CRP's top concepts, for instance).
"""

from __future__ import annotations

import json
import platform
import sys
from collections.abc import Iterable
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from bsbench.cache import write_atomic, write_json
from bsbench.errors import ResultsError
from bsbench.types import RESULT_COLUMNS, ResultRow

MANIFEST = "manifest.json"
RESULTS = "results.parquet"
EXPLANATIONS = "explanations.jsonl"

#: Distributions whose versions change numbers; recorded in every manifest.
TRACKED_PACKAGES = (
    "bsbench",
    "torch",
    "torchaudio",
    "numpy",
    "scipy",
    "librosa",
    "captum",
    "quantus",
    "zennit",
    "zennit-crp",
    "pandas",
    "praat-parselmouth",
)


def package_versions(extra: Iterable[str] = ()) -> dict[str, str]:
    versions = {}
    for name in (*TRACKED_PACKAGES, *extra):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def environment() -> dict[str, Any]:
    return {"python": sys.version.split()[0], "platform": platform.platform(), "machine": platform.machine()}


def rows_frame(rows: Iterable[ResultRow]) -> pd.DataFrame:
    frame = pd.DataFrame([asdict(row) for row in rows], columns=list(RESULT_COLUMNS))
    return frame.astype({"correct": bool, "value": float})


def write_results(run_dir: Path, rows: Iterable[ResultRow]) -> None:
    frame = rows_frame(rows)
    write_atomic(run_dir / RESULTS, lambda temp: frame.to_parquet(temp, index=False))


def write_explanations(run_dir: Path, records: Iterable[dict[str, Any]]) -> None:
    """One JSON object per line, per explained clip and method."""
    lines = "".join(json.dumps(record, sort_keys=True) + "\n" for record in records)
    write_atomic(run_dir / EXPLANATIONS, lambda temp: temp.write_text(lines))


def write_manifest(run_dir: Path, manifest: dict[str, Any]) -> None:
    write_json(run_dir / MANIFEST, manifest)


#: Quantus baselines of runs scored before ``removal`` existed -> the removal they amount to.
OLDER_REMOVALS = {"black": "floor", "uniform": "uniform noise (Quantus's baseline)"}


def read_run(run_dir: Path) -> tuple[dict[str, Any], pd.DataFrame]:
    """The manifest and result rows of a finished (or interrupted) run."""
    run_dir = Path(run_dir)
    manifest_path, results_path = run_dir / MANIFEST, run_dir / RESULTS
    if not run_dir.is_dir():
        raise ResultsError(f"run directory {run_dir}: no such directory")
    for path in (manifest_path, results_path):
        if not path.is_file():
            raise ResultsError(f"run directory {run_dir}: {path.name} is missing (not a bsbench run?)")
    try:
        manifest = json.loads(manifest_path.read_text())
    except json.JSONDecodeError as error:
        raise ResultsError(f"{manifest_path}: not valid JSON ({error})") from None
    try:
        frame = pd.read_parquet(results_path)
    except Exception as error:  # pyarrow raises several types for damaged files
        raise ResultsError(f"{results_path}: cannot be read as Parquet ({' '.join(str(error).split())})") from None
    for metric in manifest.get("metrics", []) if isinstance(manifest.get("metrics"), list) else []:
        settings = metric.get("settings") if isinstance(metric, dict) else None
        if isinstance(settings, dict) and "perturb_baseline" in settings and "removal" not in settings:
            # scored before removal was a parameter: Quantus's baseline is what filled the removed cells
            settings["removal"] = OLDER_REMOVALS.get(settings["perturb_baseline"], settings["perturb_baseline"])
    for column in ("reason", "speaker"):  # runs written before NaN values carried reasons, rows their speaker
        if column not in frame.columns:
            frame[column] = ""
    missing = [column for column in RESULT_COLUMNS if column not in frame.columns]
    if missing:
        raise ResultsError(f"{results_path}: missing columns {', '.join(missing)}")
    return manifest, frame
