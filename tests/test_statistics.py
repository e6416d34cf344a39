"""Uncertainty of benchmark numbers: bootstrap intervals, paired comparisons, rank intervals, and their CLI."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from bsbench.cli.app import app, main
from bsbench.core.errors import UsageError
from bsbench.core.types import ResultRow
from bsbench.results.leaderboard import aggregate, ranked_metrics, render, wide
from bsbench.results.statistics import (
    BOOTSTRAP_RESAMPLES,
    bootstrap_interval,
    holm_adjust,
    paired_comparison,
    pairwise_comparisons,
    rank_intervals,
)
from bsbench.results.store import write_manifest, write_results

runner = CliRunner()


def width(interval: tuple[float, float]) -> float:
    return interval[1] - interval[0]


# bootstrap_interval


def test_bootstrap_interval_contains_the_mean_and_is_seeded():
    values = np.random.default_rng(1).normal(5, 1, 50)
    low, high = bootstrap_interval(values)
    assert low < values.mean() < high
    assert bootstrap_interval(values, seed=3) == bootstrap_interval(values, seed=3)
    assert bootstrap_interval(values, seed=3) != bootstrap_interval(values, seed=4)
    assert all(np.isnan(bootstrap_interval(np.array([1.0]))))
    assert all(np.isnan(bootstrap_interval(np.array([]))))


def test_bootstrap_interval_is_scipys_percentile_bootstrap():
    values = np.random.default_rng(2).exponential(1.0, 37)
    direct = stats.bootstrap(
        (values,),
        np.mean,
        n_resamples=BOOTSTRAP_RESAMPLES,
        vectorized=True,
        method="percentile",
        confidence_level=0.9,
        rng=np.random.default_rng(7),
    ).confidence_interval
    low, high = bootstrap_interval(values, seed=7, level=0.9)
    assert low == pytest.approx(direct.low, abs=1e-12) and high == pytest.approx(direct.high, abs=1e-12)


def test_constant_sample_has_a_point_interval_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert bootstrap_interval(np.full(13, 0.7)) == (0.7, 0.7)


def test_bootstrap_interval_shrinks_with_the_square_root_of_n():
    rng = np.random.default_rng(5)
    small, large = rng.normal(0, 1, 100), rng.normal(0, 1, 400)
    # Standardised so only n differs: the 95% interval of a mean is about 2 x 1.96 sd / sqrt(n).
    small, large = small / small.std(), large / large.std()
    assert width(bootstrap_interval(small)) == pytest.approx(2 * 1.96 / 10, rel=0.15)
    assert width(bootstrap_interval(large)) / width(bootstrap_interval(small)) == pytest.approx(0.5, abs=0.08)


# paired_comparison and Holm


def pairs(shift: float, n: int = 40, seed: int = 0, clip_sd: float = 1.0, noise_sd: float = 0.5):
    """Scores of two methods on n clips: a shared clip effect plus each method's own noise."""
    rng = np.random.default_rng(seed)
    clip = rng.normal(0, clip_sd, n)
    return clip + shift + rng.normal(0, noise_sd, n), clip + rng.normal(0, noise_sd, n)


def test_paired_comparison_detects_a_half_point_shift():
    a, b = pairs(0.5)
    result = paired_comparison(a, b)
    assert result.difference == pytest.approx(np.mean(a - b), abs=1e-12)
    assert 0 < result.ci_low < result.difference < result.ci_high
    assert result.p_value < 0.01 and result.p_value == pytest.approx(stats.wilcoxon(a - b).pvalue)
    assert (result.n_pairs, result.n_dropped) == (40, 0)


def test_paired_comparison_finds_no_difference_without_a_shift():
    a, b = pairs(0.0)
    result = paired_comparison(a, b)
    assert result.ci_low < 0 < result.ci_high and result.p_value > 0.05


def test_paired_comparison_drops_and_counts_nan_pairs():
    a, b = pairs(0.5)
    a[3], b[7], a[9], b[9] = np.nan, np.nan, np.nan, np.nan
    result = paired_comparison(a, b)
    kept = np.isfinite(a) & np.isfinite(b)
    assert (result.n_pairs, result.n_dropped) == (37, 3)
    assert result.difference == pytest.approx(np.mean(a[kept] - b[kept]), abs=1e-12)
    assert (result.ci_low, result.ci_high) == bootstrap_interval(a[kept] - b[kept])


def test_pairing_removes_the_clip_effect_from_the_interval():
    a, b = pairs(0.5, clip_sd=2.0, noise_sd=0.3)
    paired = paired_comparison(a, b)
    unpaired = stats.bootstrap(
        (a, b),
        lambda x, y, axis: x.mean(axis=axis) - y.mean(axis=axis),
        n_resamples=BOOTSTRAP_RESAMPLES,
        vectorized=True,
        method="percentile",
        rng=np.random.default_rng(0),
    ).confidence_interval
    assert unpaired.low < 0 < paired.ci_low  # unpaired, the clip effect hides the shift
    assert width((paired.ci_low, paired.ci_high)) < 0.3 * width((unpaired.low, unpaired.high))


def test_wilcoxon_p_is_nan_when_undefined():
    assert np.isnan(paired_comparison(np.ones(5), np.ones(5)).p_value)
    one = paired_comparison(np.array([1.0, np.nan]), np.array([0.0, 0.0]))
    assert np.isnan(one.p_value) and np.isnan(one.ci_low) and (one.n_pairs, one.n_dropped) == (1, 1)
    with pytest.raises(ValueError, match="1-D arrays of one length"):
        paired_comparison(np.ones(3), np.ones(4))


def test_holm_adjusts_step_down_and_keeps_nan_out_of_the_family():
    adjusted = holm_adjust([0.01, 0.04, np.nan, 0.03])
    np.testing.assert_allclose(adjusted, [0.03, 0.06, np.nan, 0.06])
    assert holm_adjust([0.5, 0.6]).tolist() == [1.0, 1.0] and holm_adjust([]).size == 0


# rank_intervals


def metric_rows(centres: dict[str, float], n: int = 30, seed: int = 0, noise_sd: float = 0.3) -> pd.DataFrame:
    """Per-clip scores of several methods on one metric, with a clip effect they share."""
    rng = np.random.default_rng(seed)
    clip = rng.normal(0, 1, n)
    records = [
        {"method": method, "clip_id": f"c{i}", "value": clip[i] + centre + rng.normal(0, noise_sd)}
        for method, centre in centres.items()
        for i in range(n)
    ]
    return pd.DataFrame(records)


def test_a_clearly_best_method_ranks_first_almost_always():
    table = rank_intervals(metric_rows({"crp": 1.0, "gradcam": 0.0, "random": -1.0}), higher_is_better=True)
    assert table["method"].tolist() == ["crp", "gradcam", "random"]
    assert table["rank"].tolist() == [1.0, 2.0, 3.0]
    assert table.loc[0, "p_first"] > 0.95 and table.loc[0, ["rank_low", "rank_high"]].tolist() == [1.0, 1.0]
    assert table["p_first"].sum() == pytest.approx(1.0) and set(table["n_clips"]) == {30}
    assert table.equals(rank_intervals(metric_rows({"crp": 1.0, "gradcam": 0.0, "random": -1.0}), True))


def test_identical_methods_tie_and_share_their_firsts():
    rows = metric_rows({"a": 0.0, "worse": -1.0})
    twin = rows[rows["method"] == "a"].assign(method="b")
    table = rank_intervals(pd.concat([rows, twin]), higher_is_better=True).set_index("method")
    assert table.loc["a", "rank"] == table.loc["b", "rank"] == 1.5
    assert table.loc["a", "rank_low"] <= table.loc["b", "rank_high"]
    assert table.loc["b", "rank_low"] <= table.loc["a", "rank_high"]
    assert table.loc["a", "p_first"] == table.loc["b", "p_first"] == pytest.approx(0.5)
    assert table.loc["worse", "rank"] == 3.0


def test_lower_is_better_inverts_the_ranks():
    rows = metric_rows({"crp": 1.0, "gradcam": 0.0, "random": -1.0})
    higher = rank_intervals(rows, higher_is_better=True)
    lower = rank_intervals(rows, higher_is_better=False)
    assert (lower["rank"] == 4 - higher["rank"]).all()
    assert lower.loc[2, "p_first"] > 0.95 and lower.loc[0, "p_first"] == 0.0


def test_rank_intervals_use_only_clips_every_method_scored():
    rows = metric_rows({"crp": 0.2, "gradcam": 0.0})
    holes = rows.copy()
    holes.loc[(holes["method"] == "crp") & (holes["clip_id"] == "c0"), "value"] = np.nan
    holes.loc[(holes["method"] == "gradcam") & (holes["clip_id"] == "c5"), "value"] = np.nan
    table = rank_intervals(holes, higher_is_better=True)
    assert set(table["n_clips"]) == {28}
    complete = rows[~rows["clip_id"].isin(["c0", "c5"])]
    assert table.equals(rank_intervals(complete, higher_is_better=True))
    failed = pd.concat([rows, rows[rows["method"] == "crp"].assign(method="broken", value=np.nan)])
    with_failed = rank_intervals(failed, higher_is_better=True).set_index("method")
    assert np.isnan(with_failed.loc["broken", "rank"]) and set(with_failed["n_clips"]) == {30}
    assert with_failed.loc["crp", "rank"] == 1.0
    nothing = rank_intervals(rows.assign(value=np.nan), higher_is_better=True)
    assert nothing["rank"].isna().all() and set(nothing["n_clips"]) == {0}


def test_a_metric_without_direction_cannot_rank():
    with pytest.raises(ValueError, match="without a direction"):
        rank_intervals(metric_rows({"a": 0.0}), higher_is_better=None)


# leaderboard integration

DIRECTIONS = {"faithfulness-correlation": True, "pixel-flipping": False, "cue-salience": None}
LABELS = ("angry", "happy", "sad")


def result_rows(n: int = 30) -> list[ResultRow]:
    """A run's rows: crp best, random worst; crp is weaker on the clips the model got wrong (every third)."""
    rng = np.random.default_rng(0)
    clip = rng.normal(0, 0.2, n)
    rows = []
    for method, centre in (("crp", 0.6), ("gradcam", 0.3), ("random", 0.0)):
        for i in range(n):
            correct = i % 3 != 0
            faithfulness = clip[i] + centre - (0.4 if method == "crp" and not correct else 0.0) + rng.normal(0, 0.1)
            for metric, value in (
                ("cue-salience:loudness", 1.0 + rng.normal(0, 0.1)),
                ("faithfulness-correlation", faithfulness),
                ("pixel-flipping", 1.0 - centre + clip[i] + rng.normal(0, 0.1)),
            ):
                label = LABELS[i % 3]
                prediction = label if correct else LABELS[(i + 1) % 3]
                rows.append(
                    ResultRow("r1", "d", "test", "m", method, "", metric, f"c{i}", label, prediction, correct, value)
                )
    return rows


def frame() -> pd.DataFrame:
    return pd.DataFrame([row.__dict__ for row in result_rows()])


def test_aggregate_ranks_the_first_directed_metric_by_default():
    board = aggregate(frame(), DIRECTIONS)
    assert ranked_metrics(frame(), DIRECTIONS) == ["faithfulness-correlation", "pixel-flipping"]
    ranked = board[board["rank"].notna()]
    assert set(ranked["metric"]) == {"faithfulness-correlation"}
    assert ranked.set_index("method")["rank"].to_dict() == {"crp": 1.0, "gradcam": 2.0, "random": 3.0}
    assert ranked.set_index("method").loc["crp", "p_first"] > 0.95
    table = wide(board)
    assert list(table.columns[:2]) == ["method", "rank"]
    assert table["rank"].tolist() == ["1 [1-1]", "2 [2-2]", "3 [3-3]"]
    assert "rank: by faithfulness-correlation" in render(board)


def test_aggregate_ranks_a_lower_is_better_metric_on_request():
    board = aggregate(frame(), DIRECTIONS, rank_by="pixel-flipping")
    ranked = board[board["rank"].notna()].set_index("method")
    assert set(board.loc[board["rank"].notna(), "metric"]) == {"pixel-flipping"}
    assert ranked["rank"].to_dict() == {"crp": 1.0, "gradcam": 2.0, "random": 3.0}
    assert "rank: by pixel-flipping" in render(board)
    with pytest.raises(ValueError, match="cannot rank by 'cue-salience:loudness'"):
        aggregate(frame(), DIRECTIONS, rank_by="cue-salience:loudness")


def test_aggregate_splits_cells_by_correctness_and_by_emotion():
    rows = frame()
    board = aggregate(rows, DIRECTIONS, by="correct")
    crp = board[(board["method"] == "crp") & (board["metric"] == "faithfulness-correlation")].set_index("subset")
    assert crp["n"].to_dict() == {"correct": 20, "misclassified": 10}
    scored = rows[(rows["method"] == "crp") & (rows["metric"] == "faithfulness-correlation")]
    assert crp.loc["misclassified", "mean"] == pytest.approx(scored[~scored["correct"]]["value"].mean(), abs=1e-12)
    assert crp.loc["correct", "mean"] - crp.loc["misclassified", "mean"] > 0.3
    # Ranked within each subset: crp is first on correct clips only.
    assert crp["rank"].to_dict() == {"correct": 1.0, "misclassified": 2.0}
    assert list(wide(board).columns[:3]) == ["subset", "method", "rank"]
    by_emotion = aggregate(rows, DIRECTIONS, by="emotion")
    assert sorted(set(by_emotion["subset"])) == list(LABELS) and set(by_emotion["n"]) == {10}


# CLI


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    metrics = [{"name": name, "higher_is_better": up} for name, up in DIRECTIONS.items()]
    write_manifest(tmp_path, {"run_id": "r1", "metrics": metrics, "model": {"name": "m", "card": {}}})
    write_results(tmp_path, result_rows())
    return tmp_path


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def usage_error(*args: str) -> str:
    """The one-line message of the UsageError a command ends with."""
    result = runner.invoke(app, list(args))
    assert result.exit_code != 0 and isinstance(result.exception, UsageError), result.output
    message = str(result.exception)
    assert "\n" not in message
    return message


def test_cli_leaderboard_by_correct(run_dir):
    records = json.loads(invoke("leaderboard", str(run_dir), "--by", "correct", "--format", "json"))
    crp = {r["subset"]: r for r in records if r["method"] == "crp" and r["metric"] == "faithfulness-correlation"}
    assert (crp["correct"]["n"], crp["misclassified"]["n"]) == (20, 10)
    assert crp["correct"]["rank"] == 1.0 and crp["misclassified"]["rank"] == 2.0
    table = invoke("leaderboard", str(run_dir), "--by", "correct")
    header = table.splitlines()[0].split()
    assert header[:3] == ["subset", "method", "rank"]
    assert "misclassified" in table and "rank: by faithfulness-correlation" in table


def test_cli_leaderboard_rank_by(run_dir):
    table = invoke("leaderboard", str(run_dir), "--rank-by", "pixel-flipping")
    assert "rank: by pixel-flipping" in table and "by faithfulness-correlation" not in table
    crp = next(line for line in table.splitlines() if line.startswith("crp "))
    assert "1 [1-1]" in crp
    message = usage_error("leaderboard", str(run_dir), "--rank-by", "accuracy")
    assert message.startswith("--rank-by 'accuracy' is not a metric of this run; metrics: cue-salience:loudness")
    message = usage_error("leaderboard", str(run_dir), "--rank-by", "cue-salience:loudness")
    assert "has no direction" in message and "rankable: faithfulness-correlation, pixel-flipping" in message
    by_voice = usage_error("leaderboard", str(run_dir), "--by", "voice")
    assert by_voice == "--by 'voice': choose one of correct, emotion, speaker, dataset"
    no_speakers = usage_error("leaderboard", str(run_dir), "--by", "speaker")
    assert no_speakers.startswith("--by speaker: these results carry no speakers")


def test_cli_compare_every_pair(run_dir):
    records = json.loads(invoke("compare", str(run_dir), "--metric", "faithfulness-correlation", "-f", "json"))
    assert [(r["method_a"], r["method_b"]) for r in records] == [
        ("crp", "gradcam"),
        ("crp", "random"),
        ("gradcam", "random"),
    ]
    assert [r["verdict"] for r in records] == ["crp better", "crp better", "gradcam better"]
    assert all(r["n_pairs"] == 30 and r["n_dropped"] == 0 and r["p_holm"] >= r["p_wilcoxon"] for r in records)
    rows = frame()
    scores = rows[rows["metric"] == "faithfulness-correlation"].pivot(index="clip_id", columns="method", values="value")
    assert records[0]["difference"] == pytest.approx((scores["crp"] - scores["gradcam"]).mean(), abs=1e-12)
    lower = json.loads(
        invoke("compare", str(run_dir), "--metric", "pixel-flipping", "-m", "random", "-m", "crp", "-f", "json")
    )
    assert [(r["method_a"], r["method_b"], r["verdict"]) for r in lower] == [("random", "crp", "crp better")]
    assert lower[0]["difference"] > 0  # random scores higher, which is worse on pixel-flipping
    table = invoke("compare", str(run_dir), "--metric", "faithfulness-correlation")
    assert table.splitlines()[0].split()[:4] == ["dataset", "model", "method_a", "method_b"]
    pairs_table = pairwise_comparisons(rows[rows["metric"] == "faithfulness-correlation"], True)
    assert pairs_table["p_holm"].tolist() == [r["p_holm"] for r in records]


def test_cli_compare_errors_name_the_option(run_dir):
    message = usage_error("compare", str(run_dir), "--metric", "accuracy")
    assert message == (
        "--metric 'accuracy' is not a metric of this run; "
        "metrics: cue-salience:loudness, faithfulness-correlation, pixel-flipping"
    )
    message = usage_error("compare", str(run_dir), "--metric", "pixel-flipping", "-m", "crp", "-m", "occlusion")
    assert message == "--method 'occlusion' has no pixel-flipping scores in this run; methods: crp, gradcam, random"
    message = usage_error("compare", str(run_dir), "--metric", "pixel-flipping", "-m", "crp")
    assert message.startswith("--method: compare needs at least two methods")


def test_cli_error_is_one_line_on_stderr_with_usage_exit_code(run_dir, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["bsbench", "leaderboard", str(run_dir), "--rank-by", "accuracy"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert captured.err.startswith("error: --rank-by 'accuracy' is not a metric of this run")
