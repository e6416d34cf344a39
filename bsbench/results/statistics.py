"""How uncertain a benchmark number is: bootstrap intervals, paired comparisons, rank intervals.

A leaderboard ranks explanation methods on a few dozen clips, so a difference in the
third decimal is usually noise. Every number here is computed from per-clip scores and
resamples *clips*, the unit the benchmark draws. Two methods scored on the same clips
are compared *paired*: a clip that is hard for every method moves both scores alike,
and pairing removes that shared variation instead of counting it as uncertainty.

All resampling is seeded, so reprinting a table from the same rows gives the same
numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

#: Bootstrap resamples for every interval of a mean: enough for stable 2.5/97.5 percentiles.
BOOTSTRAP_RESAMPLES = 2000
#: Resamples for rank intervals (each resample ranks every method, so fewer suffice).
RANK_RESAMPLES = 1000
#: Resampled values held in memory at once while ranking (resamples x clips x methods).
_RANK_BLOCK = 4_000_000


def bootstrap_interval(values: np.ndarray, seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` (NaN pair for fewer than two values).

    The percentile method, not BCa: BCa needs a jackknife per interval and warns on the
    small, tied samples a benchmark often has (a metric that is 1.0 on most clips),
    while the percentile interval is simple to state in a paper. A constant sample has
    no sampling spread, so its interval is the constant itself, returned exactly.
    """
    values = np.asarray(values, dtype=float)
    if values.size < 2:
        return (float("nan"), float("nan"))
    if np.all(values == values[0]):
        return (float(values[0]), float(values[0]))
    result = stats.bootstrap(
        (values,),
        np.mean,
        n_resamples=BOOTSTRAP_RESAMPLES,
        vectorized=True,
        method="percentile",
        confidence_level=level,
        rng=np.random.default_rng(seed),
    )
    return (float(result.confidence_interval.low), float(result.confidence_interval.high))


@dataclass(frozen=True)
class PairedComparison:
    """Method A against method B on the clips both scored: ``difference`` is mean(A - B)."""

    difference: float
    ci_low: float
    ci_high: float
    #: Two-sided Wilcoxon signed-rank p-value; NaN when it is undefined (all differences zero, < 2 pairs).
    p_value: float
    n_pairs: int
    #: Clips left out because A or B has no score (NaN) for them.
    n_dropped: int


def paired_comparison(a: np.ndarray, b: np.ndarray, seed: int = 0) -> PairedComparison:
    """Compare two methods scored on the same clips; ``a[i]`` and ``b[i]`` must belong to the same clip.

    The interval resamples clip *pairs*, which is the bootstrap of the per-clip
    difference: a clip effect shared by both methods cancels. The Wilcoxon signed-rank
    test adds a p-value that does not assume normal differences (scores such as
    relevance-mass accuracy are bounded and skewed).
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"paired scores must be two 1-D arrays of one length, got shapes {a.shape} and {b.shape}")
    kept = np.isfinite(a) & np.isfinite(b)
    differences = a[kept] - b[kept]
    low, high = bootstrap_interval(differences, seed)
    return PairedComparison(
        difference=float(differences.mean()) if differences.size else float("nan"),
        ci_low=low,
        ci_high=high,
        p_value=_wilcoxon_p(differences),
        n_pairs=int(differences.size),
        n_dropped=int(a.size - differences.size),
    )


def _wilcoxon_p(differences: np.ndarray) -> float:
    # Zero differences carry no sign; with fewer than two nonzero ones the test has nothing to rank.
    if differences.size < 2 or np.count_nonzero(differences) < 2:
        return float("nan")
    return float(stats.wilcoxon(differences, alternative="two-sided").pvalue)


def holm_adjust(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values: comparing every pair of k methods runs k(k-1)/2 tests.

    Holm controls the family-wise error like Bonferroni but is uniformly more powerful,
    and needs no assumption about how the tests depend on each other (they share clips
    and methods). NaN p-values are not tests; they stay NaN and do not enlarge the family.
    """
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full(p.shape, np.nan)
    tested = np.flatnonzero(np.isfinite(p))
    order = tested[np.argsort(p[tested], kind="stable")]
    m = order.size
    steps = (m - np.arange(m)) * p[order]
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate(steps))
    return adjusted


def rank_intervals(
    rows_for_one_metric: pd.DataFrame, higher_is_better: bool | None, seed: int = 0, resamples: int = RANK_RESAMPLES
) -> pd.DataFrame:
    """Where each method ranks and how sure that rank is, by a paired bootstrap over clips (as MTEB does).

    ``rows_for_one_metric`` holds ``method``, ``clip_id`` and ``value`` for one metric of
    one model on one dataset. Each resample draws clips with replacement, the same clips
    for every method, and ranks the methods by their mean there (rank 1 is best; ties
    share the average rank). A method's ``rank_low``-``rank_high`` is the 2.5-97.5
    percentile range of its ranks, and ``p_first`` the share of resamples it was best in
    (a tie for best splits the resample evenly, so ``p_first`` sums to 1 over methods).

    Only clips every method scored are used (``n_clips`` says how many), so each mean is
    taken over the same clips. A method with no finite score at all cannot be ranked: it
    gets NaN and does not empty the comparison of the others.
    """
    if higher_is_better is None:
        raise ValueError("cannot rank methods on a metric without a direction (neither higher nor lower is better)")
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    if rows_for_one_metric.duplicated(["method", "clip_id"]).any():
        raise ValueError("a method scores a clip twice: pass the rows of one metric, model and dataset")
    methods = list(dict.fromkeys(rows_for_one_metric["method"]))
    scores = rows_for_one_metric.pivot(index="clip_id", columns="method", values="value").reindex(columns=methods)
    scores = scores.astype(float)
    rankable = [method for method in methods if np.isfinite(scores[method]).any()]
    table = scores[rankable].to_numpy()
    table = table[np.isfinite(table).all(axis=1)]
    result = pd.DataFrame(
        {"method": methods, "rank": np.nan, "rank_low": np.nan, "rank_high": np.nan, "p_first": np.nan}
    )
    result["n_clips"] = len(table) if rankable else 0
    if not rankable or not len(table):
        return result
    sign = -1.0 if higher_is_better else 1.0  # rank ascending on a score where lower is better
    full_rank = stats.rankdata(sign * table.mean(axis=0))
    ranks, firsts = _resampled_ranks(sign * table, seed, resamples)
    where = result["method"].isin(rankable).to_numpy()
    result.loc[where, "rank"] = full_rank
    # Observed ranks, not interpolated ones: the interval reads as "ranked 1st to 3rd", never "1.4th".
    result.loc[where, "rank_low"] = np.percentile(ranks, 2.5, axis=0, method="lower")
    result.loc[where, "rank_high"] = np.percentile(ranks, 97.5, axis=0, method="higher")
    result.loc[where, "p_first"] = firsts
    return result


def _resampled_ranks(table: np.ndarray, seed: int, resamples: int) -> tuple[np.ndarray, np.ndarray]:
    """Ranks per resample (resamples x methods) and each method's share of firsts, lower score = better."""
    n_clips, n_methods = table.shape
    rng = np.random.default_rng(seed)
    ranks = np.empty((resamples, n_methods))
    firsts = np.zeros(n_methods)
    block = max(1, _RANK_BLOCK // (n_clips * n_methods))
    for start in range(0, resamples, block):
        count = min(block, resamples - start)
        # Fancy indexing then a mean over clips sums each method's column in the same order,
        # so two methods with identical scores get bitwise identical means and tie exactly.
        means = table[rng.integers(0, n_clips, size=(count, n_clips))].mean(axis=1)
        ranks[start : start + count] = stats.rankdata(means, axis=1)
        best = means == means.min(axis=1, keepdims=True)
        firsts += (best / best.sum(axis=1, keepdims=True)).sum(axis=0)
    return ranks, firsts / resamples


#: Columns of :func:`pairwise_comparisons`, in order.
COMPARISON_COLUMNS = (
    "dataset",
    "model",
    "method_a",
    "method_b",
    "n_pairs",
    "n_dropped",
    "difference",
    "ci_low",
    "ci_high",
    "p_wilcoxon",
    "p_holm",
    "verdict",
)


def pairwise_comparisons(
    rows_for_one_metric: pd.DataFrame,
    higher_is_better: bool | None,
    methods: Sequence[str] | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Every pair of ``methods`` (default: all, in row order) on one metric, per (dataset, model), paired by clip.

    ``difference`` is mean(A - B) over the clips both scored. The Holm adjustment runs
    over every comparison in the returned table, the family a reader scans at once. The
    verdict reads the (unadjusted) 95% interval: it names the better method when the
    interval excludes 0, ``no difference`` when it holds 0, ``too few clips`` when
    there is no interval; on a metric without a direction it says which is higher.
    """
    if rows_for_one_metric["metric"].nunique() > 1:
        raise ValueError("pairwise comparisons need the rows of one metric")
    chosen = list(dict.fromkeys(methods if methods is not None else rows_for_one_metric["method"]))
    records = []
    for (dataset, model), group in rows_for_one_metric.groupby(["dataset", "model"], sort=False):
        if group.duplicated(["method", "clip_id"]).any():
            raise ValueError(f"{dataset}/{model}: a method scores a clip twice, so clips cannot be paired")
        scores = group.pivot(index="clip_id", columns="method", values="value").reindex(columns=chosen)
        for i, first in enumerate(chosen):
            for second in chosen[i + 1 :]:
                a = scores[first].to_numpy(dtype=float)
                b = scores[second].to_numpy(dtype=float)
                result = paired_comparison(a, b, seed)
                records.append(
                    {
                        "dataset": dataset,
                        "model": model,
                        "method_a": first,
                        "method_b": second,
                        "n_pairs": result.n_pairs,
                        "n_dropped": result.n_dropped,
                        "difference": result.difference,
                        "ci_low": result.ci_low,
                        "ci_high": result.ci_high,
                        "p_wilcoxon": result.p_value,
                        "verdict": _verdict(result, first, second, higher_is_better),
                    }
                )
    table = pd.DataFrame.from_records(records, columns=[c for c in COMPARISON_COLUMNS if c != "p_holm"])
    table["p_holm"] = holm_adjust(table["p_wilcoxon"].to_numpy(dtype=float))
    return table[list(COMPARISON_COLUMNS)]


def _verdict(result: PairedComparison, first: str, second: str, higher_is_better: bool | None) -> str:
    if np.isnan(result.ci_low):
        return "too few clips"
    if result.ci_low <= 0 <= result.ci_high:
        return "no difference"
    a_higher = result.ci_low > 0
    if higher_is_better is None:
        return f"{first if a_higher else second} higher"
    return f"{first if a_higher == higher_is_better else second} better"
