"""Leaderboards: per-sample rows aggregated to a mean, a 95% bootstrap interval and a rank interval.

The interval is a percentile bootstrap over clips (see :mod:`bsbench.results.statistics`,
fixed seed), so reprinting a leaderboard from the same rows always gives the same
numbers. NaN values (a metric undefined for a clip) are left out and the count ``n``
says how many remain. Methods are ranked on one metric with a rank interval, because
a difference in the third decimal on a few dozen clips rarely settles an order.

A leaderboard says when it cannot tell. The best mean of a column is marked only when
it beats the runner-up, paired by clip (the 95% interval of the difference excludes
0): a tie, or a lead smaller than the noise, is marked as nothing. Every method is also
compared with ``random`` the same way, and a cell that cannot be told from ``random``
(or is worse) carries a mark of its own in every format, with a legend.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from bsbench.core.errors import UsageError
from bsbench.results.statistics import bootstrap_interval, paired_comparison, rank_intervals
from bsbench.results.table_formats import FORMATS, render_table
from bsbench.results.validation_findings import failed_reliability

__all__ = ["BREAKDOWNS", "FORMATS", "aggregate", "cue_table", "render", "render_table", "select_metrics", "wide"]

GROUP = ["dataset", "model", "method"]
#: Ways to split every leaderboard cell: whether the model classified the clip correctly, its true
#: emotion, its speaker, or (for merged runs) its dataset.
BREAKDOWNS = ("correct", "emotion", "speaker", "dataset")
#: Columns the ranked metric's rows carry (NaN on the other metrics' rows).
RANK_COLUMNS = ("rank", "rank_low", "rank_high", "p_first")
#: The chance-level method every other method is compared with.
CHANCE_METHOD = "random"
#: ``vs_random`` values: how a method's cell compares with ``random`` of its block, paired by clip.
VS_RANDOM = ("better", "not separable", "worse")
#: Marks a cell carries for its ``vs_random`` verdict, in every format, and what they mean.
RANDOM_MARKS = {"not separable": "°", "worse": "†"}
BEST_LEGEND = "best: beats the runner-up (paired 95% CI of the difference excludes 0); a tie marks nothing"
LEGEND = (
    "° not separable from random (paired 95% CI of the difference holds 0)",
    "† worse than random (paired 95% CI of the difference below 0)",
)


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


#: Columns that say how good the explained model is: held-out test scores from its model card, and for a
#: checkpoint from elsewhere the scores measured on the run's explained clips (with their number).
MODEL_COLUMNS = (
    "model_test_accuracy",
    "model_test_uar",
    "model_measured_accuracy",
    "model_measured_uar",
    "model_measured_clips",
)


def model_quality(manifest: Mapping) -> dict[tuple[str, str], dict[str, float]]:
    """(dataset, model) -> the model's quality columns (MODEL_COLUMNS) from a run manifest (empty when unknown).

    Test scores come from the model card (a model bsbench trained and tested). Scores
    measured on the explained clips are given for a run of a ``--checkpoint`` only: for
    a model trained here they repeat the card's test split, less well. Keyed by the
    dataset too: merged runs may explain the same architecture trained on two corpora.
    """
    model = manifest.get("model") or {}
    test = (model.get("card") or {}).get("test")
    measured = model.get("measured") if (manifest.get("config") or {}).get("checkpoint") else None
    quality: dict[str, float] = {}
    if test:
        quality["model_test_accuracy"] = test["accuracy"]
        quality["model_test_uar"] = test["unweighted_average_recall"]
    if measured:
        quality["model_measured_accuracy"] = measured["accuracy"]
        quality["model_measured_uar"] = measured["unweighted_average_recall"]
        quality["model_measured_clips"] = measured["clips"]
    if not quality:
        return {}
    return {((manifest.get("dataset") or {}).get("name", ""), model["name"]): quality}


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
    its 95% bootstrap interval and ``p_first`` (see :func:`bsbench.results.statistics.rank_intervals`).

    ``by`` (one of BREAKDOWNS) splits every cell by a ``subset`` column: ``correct``
    into correctly classified and misclassified clips (an explanation of a wrong
    prediction may look different), ``emotion`` by the clip's true label, ``speaker``
    by who spoke it, ``dataset`` by corpus (for merged runs).

    ``best`` marks, per metric with a direction, the method with the best mean within
    each (dataset, model[, subset]) when it beats the runner-up paired by clip (95%
    interval of the difference excluding 0); ``vs_random`` says how each method compares
    with ``random`` of its block the same way (one of VS_RANDOM; empty for ``random``
    itself, a metric without a direction, or a block without ``random``).
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
    board["best"], board["vs_random"] = _verdicts(rows, board, keys, directions, seed)
    board["_order"] = board["method"].map(method_order)
    order = [*keys[:-1], "_order", "metric"]
    return board.sort_values(order, kind="stable").drop(columns="_order").reset_index(drop=True)


def _verdicts(
    rows: pd.DataFrame, board: pd.DataFrame, keys: list[str], directions: Mapping[str, bool | None], seed: int
) -> tuple[pd.Series, pd.Series]:
    """``best`` and ``vs_random`` for every board row, from paired comparisons of the per-clip values."""
    best = pd.Series(False, index=board.index)
    vs_random = pd.Series("", index=board.index)
    position = {tuple(key): i for i, key in enumerate(board[[*keys, "metric"]].itertuples(index=False, name=None))}
    for (*context, metric), group in rows.groupby([*keys[:-1], "metric"], sort=False):
        up = metric_direction(metric, directions)
        if up is None:
            continue
        scores = group.pivot_table(index="clip_id", columns="method", values="value", aggfunc="first", dropna=False)
        sign = 1.0 if up else -1.0
        means = (sign * scores).mean().dropna().sort_values(ascending=False, kind="stable")
        if len(means) >= 2:
            leader, runner_up = means.index[0], means.index[1]
            lead = paired_comparison(sign * scores[leader].to_numpy(), sign * scores[runner_up].to_numpy(), seed)
            if lead.ci_low > 0:
                best[position[(*context, leader, metric)]] = True
        if CHANCE_METHOD not in scores:
            continue
        chance = sign * scores[CHANCE_METHOD].to_numpy()
        for method in scores.columns:
            if method == CHANCE_METHOD or (*context, method, metric) not in position:
                continue
            compared = paired_comparison(sign * scores[method].to_numpy(), chance, seed)
            if np.isnan(compared.ci_low):
                continue
            verdict = "better" if compared.ci_low > 0 else "worse" if compared.ci_high < 0 else "not separable"
            vs_random[position[(*context, method, metric)]] = verdict
    return best, vs_random


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


def is_cue_column(metric: str) -> bool:
    """A per-cue sub-score (``cue-salience:loudness``): shown in the cue table, not the leaderboard."""
    return ":" in metric


def column_title(metric: str, higher_is_better: bool | None) -> str:
    """A metric's column heading in the wide table: its name with an arrow saying which way is better."""
    return metric + {True: " ↑", False: " ↓", None: ""}[higher_is_better]


def wide(board: pd.DataFrame, digits: int = 3, two_lines: bool = False) -> pd.DataFrame:
    """One row per (dataset, model[, subset], method), one ``mean [low, high]`` column per metric.

    Per-cue sub-scores are left to :func:`cue_table`. A cell carries the marks of its
    ``vs_random`` verdict (see LEGEND). When the board is ranked, a ``rank`` column right
    after the method shows ``rank [low-high]``, so the order and how firm it is are read
    before any score. The dataset and model columns appear only when the board holds
    more than one of them (:func:`footer` names them otherwise). ``two_lines`` puts each
    interval under its mean and breaks long headings at a dash, so a table of five
    metrics fits a 120-column terminal.
    """
    board = board[~board["metric"].map(is_cue_column)]
    keys = _shown_keys(board)
    cells = board.assign(
        column=[column_title(m, up) for m, up in zip(board["metric"], board["higher_is_better"], strict=True)],
        cell=[_cell(row, digits, two_lines) for row in board.itertuples()],
    )
    table = cells.pivot(index=keys, columns="column", values="cell")
    columns = list(dict.fromkeys(cells["column"]))
    table = table[sorted(columns, key=lambda c: (_headline_rank(c), columns.index(c)))]
    table = table.reindex(_key_order(board, keys)).fillna("n/a")
    if "rank" in board and board["rank"].notna().any():
        rank_by = board.loc[board["rank"].notna(), "metric"].iloc[0]
        ranked = board[board["metric"] == rank_by]
        cells_by_key = {_key(row, keys): _rank_cell(row) for row in ranked.itertuples()}
        table.insert(0, "rank", [cells_by_key.get(key, "n/a") for key in table.index])
    table = table.reset_index().rename_axis(columns=None)
    if two_lines:
        table.columns = [_broken(str(column)) for column in table.columns]
    return table


#: Columns the wide table shows first, in this order, when a board has them: one correlation metric,
#: the removal metrics, cue plausibility, a localisation metric. Other metrics follow in name order.
HEADLINE = ("faithfulness-correlation", "pixel-flipping", "road", "cue-plausibility", "relevance-mass-accuracy")


def _headline_rank(title: str) -> int:
    metric = title.rsplit(" ", 1)[0] if title.endswith((" ↑", " ↓")) else title
    return HEADLINE.index(metric) if metric in HEADLINE else len(HEADLINE)


def _key_order(board: pd.DataFrame, keys: list[str]) -> list:
    """Row keys in the board's order, as pandas indexes them (bare values for one key, tuples for several)."""
    order = list(dict.fromkeys(zip(*(board[g] for g in keys), strict=True)))
    return [key[0] for key in order] if len(keys) == 1 else order


def _shown_keys(board: pd.DataFrame) -> list[str]:
    """Row keys without the dataset and model columns when the board holds one of each."""
    keys = row_keys(board)
    return [k for k in keys if k not in ("dataset", "model") or board[k].nunique() > 1]


def _broken(title: str, width: int = 14) -> str:
    """A long heading broken after its last dash within ``width`` characters, for a two-line header."""
    if len(title) <= width or "-" not in title[:width]:
        return title
    cut = title[:width].rindex("-") + 1
    return title[:cut] + "\n" + title[cut:]


def best_cells(board: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Booleans shaped like ``wide(board)``: the cells holding the best mean of their column and block."""
    board = board[~board["metric"].map(is_cue_column)]
    keys = _shown_keys(board)
    marks = pd.DataFrame(False, index=table.index, columns=table.columns)
    titles = {str(column).replace("\n", ""): column for column in table.columns}
    rows = table[[titles[k] for k in keys]].itertuples(index=False, name=None)
    position = {tuple(row): i for i, row in enumerate(rows)}
    for row in board[board["best"]].itertuples():
        column = titles.get(column_title(row.metric, row.higher_is_better))
        where = position.get(tuple(getattr(row, k) for k in keys))
        if where is not None and column is not None:
            marks.loc[where, column] = True
    return marks


def footer(board: pd.DataFrame, quality_note: bool = True, fmt: str = "table") -> list[str]:
    """Lines under a wide table: what was ranked, the blocks' model quality, and the legend of the marks."""
    lines = []
    if "rank" in board and board["rank"].notna().any():
        lines.append(f"rank: by {board.loc[board['rank'].notna(), 'metric'].iloc[0]}, with its 95% rank interval")
    if quality_note:
        # with --by dataset the dataset sits in the subset column
        block = ["dataset" if "dataset" in board else "subset", "model"]
        for (dataset, model), group in board.groupby(block, sort=False):
            lines.append(f"{dataset} / {model}: {quality_text(group.iloc[0])}")
    lines.append(("* " if fmt == "table" else "bold: ") + BEST_LEGEND)
    lines.extend(LEGEND)
    return lines


def quality_text(row: pd.Series) -> str:
    """How good one block's model is, in words, from its MODEL_COLUMNS; measured scores say on what."""
    known = []
    if pd.notna(row.get("model_test_accuracy", float("nan"))):
        known.append(f"test accuracy {row['model_test_accuracy']:.3f}, UAR {row['model_test_uar']:.3f}")
    if pd.notna(row.get("model_measured_accuracy", float("nan"))):
        known.append(
            f"accuracy {row['model_measured_accuracy']:.3f}, UAR {row['model_measured_uar']:.3f} measured on the "
            f"{int(row['model_measured_clips'])} explained clips (not a held-out test)"
        )
    return "; ".join(known) or "accuracy unknown"


def cue_table(board: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """Per-cue sub-scores as one row per (block, metric, cue) and one ``mean [low, high]`` column per method."""
    cues = board[board["metric"].map(is_cue_column)]
    if cues.empty:
        return pd.DataFrame()
    split = cues["metric"].str.split(":", n=1)
    cues = cues.assign(family=split.str[0], cue=split.str[1], cell=[_cell(r, digits) for r in cues.itertuples()])
    blocks = [k for k in _shown_keys(cues) if k != "method"]
    table = cues.pivot(index=[*blocks, "family", "cue"], columns="method", values="cell")
    table = table[list(dict.fromkeys(cues["method"]))]
    table = (
        table.reindex(_key_order(cues, [*blocks, "family", "cue"]))
        .fillna("n/a")
        .reset_index()
        .rename_axis(columns=None)
    )
    return table.rename(columns={"family": "metric"})


def _key(row: tuple, keys: list[str]) -> object:
    return getattr(row, keys[0]) if len(keys) == 1 else tuple(getattr(row, k) for k in keys)


def _rank_cell(row: tuple) -> str:
    if np.isnan(row.rank):
        return "n/a"
    return f"{row.rank:g} [{row.rank_low:g}-{row.rank_high:g}]"


def _cell(row: tuple, digits: int, two_lines: bool = False) -> str:
    if row.n == 0:
        return "n/a"
    mark = RANDOM_MARKS.get(getattr(row, "vs_random", ""), "")
    if np.isnan(row.ci_low):
        return f"{row.mean:.{digits}f}{mark}"
    interval = f"[{row.ci_low:.{digits}f}, {row.ci_high:.{digits}f}]"
    return f"{row.mean:.{digits}f}{mark}" + ("\n" if two_lines else " ") + interval


def render(
    board: pd.DataFrame,
    fmt: str = "table",
    cues: bool = False,
    model_lines: bool = True,
    findings: Mapping | None = None,
) -> str:
    """The leaderboard as text in one of FORMATS.

    json and csv give the long rows (every column, per-cue sub-scores included). The
    other formats give the wide view with the best marked and a footer (ranking, each
    model's test accuracy unless ``model_lines`` is False, the legend, and a line for
    every reliability check a shown metric failed in ``findings``, see
    :mod:`bsbench.results.validation_findings`); ``cues`` gives the per-cue table instead.
    """
    if fmt in {"json", "csv"} or board.empty:
        return render_table(board, fmt)
    if cues or board["metric"].map(is_cue_column).all():  # nothing but per-cue scores: their table
        table = cue_table(board)
        if table.empty:
            raise UsageError("--cues: these results have no per-cue scores (cue-salience, cue-relevance-correlation)")
        return render_table(table, fmt)
    table = wide(board, two_lines=fmt == "table")
    shown = [metric for metric in dict.fromkeys(board["metric"]) if not is_cue_column(metric)]
    notes = [*footer(board, model_lines, fmt), *failed_reliability(findings, shown)]
    return render_table(table, fmt, emphasis=best_cells(board, table), notes=notes)
