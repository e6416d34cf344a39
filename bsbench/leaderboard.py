"""Leaderboards: per-sample rows aggregated to a mean, a 95% bootstrap interval and a rank interval.

The interval is a percentile bootstrap over clips (see :mod:`bsbench.statistics`,
fixed seed), so reprinting a leaderboard from the same rows always gives the same
numbers. NaN values (a metric undefined for a clip) are left out and the count ``n``
says how many remain. Methods are ranked on one metric with a rank interval, because
a difference in the third decimal on a few dozen clips rarely settles an order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from bsbench.errors import UsageError
from bsbench.statistics import bootstrap_interval, rank_intervals
from bsbench.table_formats import FORMATS, render_table

__all__ = ["BREAKDOWNS", "FORMATS", "aggregate", "render", "render_table", "select_metrics", "wide"]

GROUP = ["dataset", "model", "method"]
#: Ways to split every leaderboard cell: whether the model classified the clip correctly, its true
#: emotion, its speaker, or (for merged runs) its dataset.
BREAKDOWNS = ("correct", "emotion", "speaker", "dataset")
#: Columns the ranked metric's rows carry (NaN on the other metrics' rows).
RANK_COLUMNS = ("rank", "rank_low", "rank_high", "p_first")


def metric_direction(metric: str, directions: Mapping[str, bool | None]) -> bool | None:
    """Whether higher is better for a result column (``cue-salience:pitch`` reads ``cue-salience``)."""
    return directions.get(metric, directions.get(metric.split(":")[0]))


def ranked_metrics(rows: pd.DataFrame, directions: Mapping[str, bool | None]) -> list[str]:
    """Metrics of ``rows`` that methods can be ranked on (those with a direction), in row order."""
    return [metric for metric in dict.fromkeys(rows["metric"]) if metric_direction(metric, directions) is not None]


def group_keys(by: str | None = None) -> list[str]:
    """The columns one leaderboard row is keyed by; a breakdown adds ``subset`` before the method.

    ``by="dataset"`` puts the dataset in ``subset`` under each model, so merged runs read
    as one block per model with a row per dataset.
    """
    if by is None:
        return list(GROUP)
    return ["model", "subset", "method"] if by == "dataset" else [*GROUP[:2], "subset", GROUP[2]]


def _subsets(rows: pd.DataFrame, by: str) -> pd.Series:
    if by == "correct":
        return rows["correct"].astype(bool).map({True: "correct", False: "misclassified"})
    if by == "emotion":
        return rows["label"].astype(str)
    if by == "speaker":
        if "speaker" not in rows or (rows["speaker"].astype(str) == "").all():
            raise UsageError("--by speaker: these results carry no speakers (written before bsbench recorded them)")
        return rows["speaker"].astype(str)
    if by == "dataset":
        return rows["dataset"].astype(str)
    raise UsageError(f"--by {by!r}: choose one of {', '.join(BREAKDOWNS)}")


def select_metrics(rows: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    """Rows of the named metrics only; a metric name also selects its sub-columns (``cue-salience:pitch``)."""
    present = list(dict.fromkeys(rows["metric"]))
    keep = pd.Series(False, index=rows.index)
    for name in metrics:
        chosen = (rows["metric"] == name) | rows["metric"].str.startswith(f"{name}:")
        if not chosen.any():
            raise UsageError(f"--metrics {name!r} is not a result of these runs; metrics: {', '.join(present)}")
        keep |= chosen
    return rows[keep]


#: Columns that say how good the explained model is, from its model card.
MODEL_COLUMNS = ("model_test_accuracy", "model_test_uar")


def model_quality(manifest: Mapping) -> dict[tuple[str, str], dict[str, float]]:
    """(dataset, model) -> test accuracy and UAR from a run manifest's model card (empty when unknown).

    Keyed by the dataset too: merged runs may explain the same architecture trained on two corpora.
    """
    model = manifest.get("model") or {}
    test = (model.get("card") or {}).get("test")
    if not test:
        return {}
    dataset = (manifest.get("dataset") or {}).get("name", "")
    return {
        (dataset, model["name"]): {
            "model_test_accuracy": test["accuracy"],
            "model_test_uar": test["unweighted_average_recall"],
        }
    }


def aggregate(
    rows: pd.DataFrame,
    directions: Mapping[str, bool | None],
    seed: int = 0,
    quality: Mapping[tuple[str, str], Mapping[str, float]] | None = None,
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
    prediction may look different), ``emotion`` by the clip's true label, ``speaker``
    by who spoke it, ``dataset`` by corpus (for merged runs).

    ``best`` marks, per metric with a direction, the method(s) with the best mean
    within each (dataset, model[, subset]).
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
        named = dict(zip(keys, key, strict=True))
        model = (named.get("dataset", named.get("subset", "")), named["model"])
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
    board["best"] = _best(board, keys)
    board["_order"] = board["method"].map(method_order)
    order = [*keys[:-1], "_order", "metric"]
    return board.sort_values(order, kind="stable").drop(columns="_order").reset_index(drop=True)


def _best(board: pd.DataFrame, keys: list[str]) -> pd.Series:
    """True where a mean is the best of its metric among the methods of its (dataset, model[, subset])."""
    signed = board["mean"] * board["higher_is_better"].map({True: 1.0, False: -1.0})  # NaN for no direction
    top = signed.groupby([board[k] for k in keys[:-1]] + [board["metric"]], sort=False).transform("max")
    return (signed == top) & signed.notna()


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


def row_keys(board: pd.DataFrame) -> list[str]:
    """The columns one row of the wide table is keyed by, in order: those of the board's grouping."""
    return [column for column in ("dataset", "model", "subset", "method") if column in board]


def column_title(metric: str, higher_is_better: bool | None) -> str:
    """A metric's column heading in the wide table: its name with an arrow saying which way is better."""
    return metric + {True: " ↑", False: " ↓", None: ""}[higher_is_better]


def wide(board: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """One row per (dataset, model[, subset], method), one ``mean [low, high]`` column per metric.

    When the board is ranked, a ``rank (<metric>)`` column right after the method shows
    ``rank [low-high]``, so the order and how firm it is are read before any score.
    """
    keys = row_keys(board)
    cells = board.assign(
        column=[column_title(m, up) for m, up in zip(board["metric"], board["higher_is_better"], strict=True)],
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
        for position, (column, title) in enumerate(zip(MODEL_COLUMNS, ("model acc", "model UAR"), strict=True)):
            per_key = board.groupby(keys[:-1], sort=False)[column].first()
            values = [per_key.get(key[:-1]) for key in order]
            at = keys.index("model") + 1 + position
            table.insert(at, title, [f"{value:.{digits}f}" if pd.notna(value) else "?" for value in values])
    return table


def best_cells(board: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Booleans shaped like ``wide(board)``: the cells holding the best mean of their column and block."""
    keys = row_keys(board)
    marks = pd.DataFrame(False, index=table.index, columns=table.columns)
    position = {tuple(row): i for i, row in enumerate(table[keys].itertuples(index=False, name=None))}
    for row in board[board["best"]].itertuples():
        column = column_title(row.metric, row.higher_is_better)
        where = position.get(tuple(getattr(row, k) for k in keys))
        if where is not None and column in marks:
            marks.loc[where, column] = True
    return marks


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
    """The leaderboard as text in one of FORMATS: long rows for json/csv, the wide view with the best marked else."""
    if fmt in {"json", "csv"} or board.empty:
        return render_table(board, fmt)
    table = wide(board)
    return render_table(table, fmt, emphasis=best_cells(board, table))
