"""A run directory on disk: ``manifest.json``, per-sample ``results.parquet`` and ``explanations.jsonl``.

Every table bsbench prints is recomputed from the first two, so a run can be
re-scored, compared or published without re-running anything. The third keeps what
each explanation said in the paper's terms: its target, its salient time windows in
seconds and the method's own findings (CRP's top concepts, for instance).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd

from bsbench.core.cache import DamagedEntry, expect_json, read_json, write_atomic, write_json
from bsbench.core.errors import ResultsError
from bsbench.core.types import RESULT_COLUMNS, ResultRow

MANIFEST = "manifest.json"
RESULTS = "results.parquet"
EXPLANATIONS = "explanations.jsonl"


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
    manifest = read_manifest(manifest_path)
    try:
        frame = pd.read_parquet(results_path)
    except Exception as error:  # pyarrow raises several types for damaged files
        raise ResultsError(f"{results_path}: cannot be read as Parquet ({' '.join(str(error).split())})") from None
    for metric in manifest.get("metrics", []):
        settings = metric.get("settings")
        if isinstance(settings, dict) and "perturb_baseline" in settings and "removal" not in settings:
            # scored before removal was a parameter: Quantus's baseline is what filled the removed cells
            settings["removal"] = OLDER_REMOVALS.get(settings["perturb_baseline"], settings["perturb_baseline"])
    for column in ("reason", "speaker"):  # runs written before NaN values carried reasons, rows their speaker
        if column not in frame.columns:
            frame[column] = ""
    missing = [column for column in RESULT_COLUMNS if column not in frame.columns]
    if missing:
        raise ResultsError(f"{results_path}: missing columns {', '.join(missing)}")
    foreign = sorted(set(frame.run_id.astype(str)) - {str(manifest.get("run_id"))})
    if "run_id" in manifest and foreign:
        raise ResultsError(
            f"{results_path}: rows of run {', '.join(foreign)} under the manifest of run {manifest['run_id']} "
            "(another run was interrupted in this folder); repeat that run's command"
        )
    return manifest, frame


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest at ``path`` if it has the shape the readers of a run rely on, else one ResultsError line.

    A hand-edited or foreign ``manifest.json`` can be valid JSON of the wrong shape (a list, a
    number, ``{"metrics": 5}``); leaderboards, merged runs and the report index into these
    keys, so each is checked here once instead of failing there with a traceback. Keys the
    readers treat as optional may be absent.
    """
    try:
        return _checked_manifest(read_json(path))
    except DamagedEntry as error:
        raise ResultsError(f"{path}: {error}") from None


def _checked_manifest(manifest: Any) -> dict[str, Any]:
    expect_json(manifest, (dict,), "the top level")
    for key in ("dataset", "model"):
        expect_json(manifest.get(key, {}), (dict,), f"key '{key}'")
        expect_json(manifest.get(key, {}).get("name", ""), (str,), f"key '{key}.name'")
    card = manifest.get("model", {}).get("card") or {}
    expect_json(card, (dict,), "key 'model.card'")
    test = card.get("test") or {}
    expect_json(test, (dict,), "key 'model.card.test'")
    if test:  # the leaderboard's model columns: the model's name with its test scores
        expect_json(manifest["model"].get("name"), (str,), "key 'model.name'")
        for key in ("accuracy", "unweighted_average_recall"):
            expect_json(test.get(key), (int, float), f"key 'model.card.test.{key}'")
    for key in ("methods", "metrics"):
        expect_json(manifest.get(key, []), (list,), f"key '{key}'")
        for index, entry in enumerate(manifest.get(key, [])):
            expect_json(entry, (dict,), f"key '{key}[{index}]'")
    for index, method in enumerate(manifest.get("methods", [])):
        for field in ("name", "label"):
            expect_json(method.get(field, ""), (str,), f"key 'methods[{index}].{field}'")
    for index, metric in enumerate(manifest.get("metrics", [])):
        expect_json(metric.get("name", ...), (str,), f"key 'metrics[{index}].name'")
        expect_json(metric.get("higher_is_better", ...), (bool, type(None)), f"key 'metrics[{index}].higher_is_better'")
        expect_json(metric.get("settings"), (dict, type(None)), f"key 'metrics[{index}].settings'")
    return manifest
