"""Leaderboards: per-sample rows aggregated to a mean, a 95% bootstrap interval and a rank interval.

The interval is a percentile bootstrap over clips (see :mod:`bsbench.statistics`,
fixed seed), so reprinting a leaderboard from the same rows always gives the same
numbers. NaN values (a metric undefined for a clip) are left out and the count ``n``
says how many remain. Methods are ranked on one metric with a rank interval, because
a difference in the third decimal on a few dozen clips rarely settles an order.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import numpy as np
import pandas as pd
from tabulate import tabulate

from bsbench.errors import UsageError
from bsbench.statistics import bootstrap_interval, rank_intervals

FORMATS = ("table", "markdown", "csv", "json")
GROUP = ["dataset", "model", "method"]
#: Ways to split every leaderboard cell: by whether the model classified the clip correctly, or by its true emotion.
BREAKDOWNS = ("correct", "emotion")
#: Columns the ranked metric's rows carry (NaN on the other metrics' rows).
RANK_COLUMNS = ("rank", "rank_low", "rank_high", "p_first")


def metric_direction(metric: str, directions: Mapping[str, bool | None]) -> bool | None:
    """Whether higher is better for a result column (``cue-salience:pitch`` reads ``cue-salience``)."""
    return directions.get(metric, directions.get(metric.split(":")[0]))


def ranked_metrics(rows: pd.DataFrame, directions: Mapping[str, bool | None]) -> list[str]:
    """Metrics of ``rows`` that methods can be ranked on (those with a direction), in row order."""
    return [metric for metric in dict.fromkeys(rows["metric"]) if metric_direction(metric, directions) is not None]


def group_keys(by: str | None = None) -> list[str]:
    """The columns one leaderboard row is keyed by; a breakdown adds ``subset`` before the method."""
    return [*GROUP[:2], "subset", GROUP[2]] if by is not None else list(GROUP)


def _subsets(rows: pd.DataFrame, by: str) -> pd.Series:
    if by == "correct":
        return rows["correct"].astype(bool).map({True: "correct", False: "misclassified"})
    if by == "emotion":
        return rows["label"].astype(str)
    raise ValueError(f"unknown breakdown {by!r}; choose one of {', '.join(BREAKDOWNS)}")


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
    rank_by: str | None = None,
    by: str | None = None,
) -> pd.DataFrame:
    """Long leaderboard: one row per (dataset, model, method, metric).

    ``quality`` (see :func:`model_quality`) adds the model's test accuracy and UAR to
    its rows: an explanation of a bad model explains little.

    The rows of the ``rank_by`` metric (default: the first metric in row order that has
    a direction) carry the method's rank among the methods of its (dataset, model) with
    its 95% bootstrap interval and ``p_first`` (see :func:`bsbench.statistics.rank_intervals`).

    ``by`` (one of BREAKDOWNS) splits every cell by a ``subset`` column: ``correct``
    into correctly classified and misclassified clips (an explanation of a wrong
    prediction may look different), ``emotion`` by the clip's true label.
    """
    ranked = ranked_metrics(rows, directions)
    if rank_by is None:
        rank_by = ranked[0] if ranked else None
    elif rank_by not in ranked:
        raise ValueError(f"cannot rank by {rank_by!r}; metrics with a direction: {', '.join(ranked) or 'none'}")
    keys = group_keys(by)
    if by is not None:
        rows = rows.assign(subset=_subsets(rows, by))
    ranks = _ranks(rows, keys, rank_by, directions, seed) if rank_by is not None else {}
    records = []
    method_order = {method: i for i, method in enumerate(dict.fromkeys(rows["method"]))}
    for (*key, metric), group in rows.groupby([*keys, "metric"], sort=False):
        values = group["value"].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        low, high = bootstrap_interval(values, seed)
        model = key[1]
        no_rank = dict.fromkeys(RANK_COLUMNS, float("nan"))
        records.append(
            {
                **dict(zip(keys, key, strict=True)),
                "metric": metric,
                "higher_is_better": metric_direction(metric, directions),
                "n": int(values.size),
                "mean": float(values.mean()) if values.size else float("nan"),
                "ci_low": low,
                "ci_high": high,
                **{column: (quality or {}).get(model, {}).get(column, float("nan")) for column in MODEL_COLUMNS},
                **(ranks.get(tuple(key), no_rank) if metric == rank_by else no_rank),
            }
        )
    board = pd.DataFrame.from_records(records)
    if board.empty:
        return board
    board["_order"] = board["method"].map(method_order)
    order = [*keys[:-1], "_order", "metric"]
    return board.sort_values(order, kind="stable").drop(columns="_order").reset_index(drop=True)


def _ranks(
    rows: pd.DataFrame, keys: list[str], metric: str, directions: Mapping[str, bool | None], seed: int
) -> dict[tuple, dict[str, float]]:
    """Rank columns per leaderboard key, ranking the methods within each (dataset, model[, subset])."""
    ranks: dict[tuple, dict[str, float]] = {}
    scored = rows[rows["metric"] == metric]
    for context, group in scored.groupby(keys[:-1], sort=False):
        table = rank_intervals(group, metric_direction(metric, directions), seed)
        for record in table.to_dict(orient="records"):
            ranks[(*context, record["method"])] = {column: float(record[column]) for column in RANK_COLUMNS}
    return ranks


def wide(board: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """One row per (dataset, model[, subset], method), one ``mean [low, high]`` column per metric.

    When the board is ranked, a ``rank (<metric>)`` column right after the method shows
    ``rank [low-high]``, so the order and how firm it is are read before any score.
    """
    keys = [*GROUP[:2], "subset", GROUP[2]] if "subset" in board else GROUP
    arrows = {True: " ↑", False: " ↓", None: ""}
    cells = board.assign(
        column=[f"{metric}{arrows[up]}" for metric, up in zip(board["metric"], board["higher_is_better"], strict=True)],
        cell=[_cell(row, digits) for row in board.itertuples()],
    )
    table = cells.pivot(index=keys, columns="column", values="cell")
    table = table[list(dict.fromkeys(cells["column"]))]
    order = list(dict.fromkeys(zip(*(board[g] for g in keys), strict=True)))
    table = table.reindex(order)
    if "rank" in board and board["rank"].notna().any():
        rank_by = board.loc[board["rank"].notna(), "metric"].iloc[0]
        ranked = board[board["metric"] == rank_by]
        cells_by_key = {tuple(getattr(row, g) for g in keys): _rank_cell(row) for row in ranked.itertuples()}
        table.insert(0, f"rank ({rank_by})", [cells_by_key.get(key, "n/a") for key in table.index])
    table = table.reset_index().rename_axis(columns=None)
    if all(column in board for column in MODEL_COLUMNS) and board[list(MODEL_COLUMNS)].notna().any().any():
        per_model = board.groupby("model", sort=False)[list(MODEL_COLUMNS)].first()
        for position, (column, title) in enumerate(zip(MODEL_COLUMNS, ("model acc", "model UAR"), strict=True)):
            values = table["model"].map(per_model[column])
            table.insert(2 + position, title, [f"{value:.{digits}f}" if pd.notna(value) else "?" for value in values])
    return table


def _rank_cell(row: tuple) -> str:
    if np.isnan(row.rank):
        return "n/a"
    return f"{row.rank:g} [{row.rank_low:g}-{row.rank_high:g}]"


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
