"""Leaderboards: per-sample rows aggregated to a mean and a 95% bootstrap interval.

The interval is a percentile bootstrap over clips (2,000 resamples, fixed seed), so
reprinting a leaderboard from the same rows always gives the same numbers. NaN values
(a metric undefined for a clip) are left out and the count ``n`` says how many remain.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import numpy as np
import pandas as pd
from tabulate import tabulate

from bsbench.errors import UsageError

FORMATS = ("table", "markdown", "csv", "json")
GROUP = ["dataset", "model", "method"]
BOOTSTRAP_RESAMPLES = 2000


def bootstrap_interval(values: np.ndarray, seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean; NaN for fewer than two values."""
    if values.size < 2:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, values.size, size=(BOOTSTRAP_RESAMPLES, values.size))].mean(axis=1)
    tail = (1 - level) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return (float(low), float(high))


def metric_direction(metric: str, directions: Mapping[str, bool | None]) -> bool | None:
    """Whether higher is better for a result column (``cue-salience:pitch`` reads ``cue-salience``)."""
    return directions.get(metric, directions.get(metric.split(":")[0]))


#: Columns that say how good the explained model is, from its model card.
MODEL_COLUMNS = ("model_test_accuracy", "model_test_uar")


def model_quality(manifest: Mapping) -> dict[str, dict[str, float]]:
    """Model name -> test accuracy and UAR from a run manifest's model card (empty when unknown)."""
    model = manifest.get("model") or {}
    test = (model.get("card") or {}).get("test")
    if not test:
        return {}
    return {
        model["name"]: {"model_test_accuracy": test["accuracy"], "model_test_uar": test["unweighted_average_recall"]}
    }


def aggregate(
    rows: pd.DataFrame,
    directions: Mapping[str, bool | None],
    seed: int = 0,
    quality: Mapping[str, Mapping[str, float]] | None = None,
) -> pd.DataFrame:
    """Long leaderboard: one row per (dataset, model, method, metric).

    ``quality`` (see :func:`model_quality`) adds the model's test accuracy and UAR to
    its rows: an explanation of a bad model explains little.
    """
    records = []
    method_order = {method: i for i, method in enumerate(dict.fromkeys(rows["method"]))}
    for (dataset, model, method, metric), group in rows.groupby([*GROUP, "metric"], sort=False):
        values = group["value"].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        low, high = bootstrap_interval(values, seed)
        records.append(
            {
                "dataset": dataset,
                "model": model,
                "method": method,
                "metric": metric,
                "higher_is_better": metric_direction(metric, directions),
                "n": int(values.size),
                "mean": float(values.mean()) if values.size else float("nan"),
                "ci_low": low,
                "ci_high": high,
                **{column: (quality or {}).get(model, {}).get(column, float("nan")) for column in MODEL_COLUMNS},
            }
        )
    board = pd.DataFrame.from_records(records)
    if board.empty:
        return board
    board["_order"] = board["method"].map(method_order)
    return board.sort_values(["dataset", "model", "_order", "metric"], kind="stable").drop(columns="_order")


def wide(board: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """One row per (dataset, model, method), one ``mean [low, high]`` column per metric."""
    arrows = {True: " ↑", False: " ↓", None: ""}
    cells = board.assign(
        column=[f"{metric}{arrows[up]}" for metric, up in zip(board["metric"], board["higher_is_better"], strict=True)],
        cell=[_cell(row, digits) for row in board.itertuples()],
    )
    table = cells.pivot(index=GROUP, columns="column", values="cell")
    table = table[list(dict.fromkeys(cells["column"]))]
    order = list(dict.fromkeys(zip(*(board[g] for g in GROUP), strict=True)))
    table = table.reindex(order).reset_index().rename_axis(columns=None)
    if all(column in board for column in MODEL_COLUMNS) and board[list(MODEL_COLUMNS)].notna().any().any():
        per_model = board.groupby("model", sort=False)[list(MODEL_COLUMNS)].first()
        for position, (column, title) in enumerate(zip(MODEL_COLUMNS, ("model acc", "model UAR"), strict=True)):
            values = table["model"].map(per_model[column])
            table.insert(2 + position, title, [f"{value:.{digits}f}" if pd.notna(value) else "?" for value in values])
    return table


def _cell(row: tuple, digits: int) -> str:
    if row.n == 0:
        return "n/a"
    interval = "" if np.isnan(row.ci_low) else f" [{row.ci_low:.{digits}f}, {row.ci_high:.{digits}f}]"
    return f"{row.mean:.{digits}f}{interval}"


def render(board: pd.DataFrame, fmt: str = "table") -> str:
    """The leaderboard as text in one of FORMATS: long rows for json/csv, the wide view for tables."""
    return render_table(board if fmt in {"json", "csv"} else wide(board) if not board.empty else board, fmt)


def render_table(frame: pd.DataFrame, fmt: str = "table", digits: int = 3) -> str:
    """Any result frame as text in one of FORMATS (JSON records carry null for NaN)."""
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if fmt == "json":
        records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
        return json.dumps(records, indent=2)
    if fmt == "csv":
        return frame.to_csv(index=False)
    if frame.empty:
        return "(no results)"
    style = "github" if fmt == "markdown" else "simple"
    return tabulate(frame, headers="keys", tablefmt=style, showindex=False, floatfmt=f".{digits}f")
