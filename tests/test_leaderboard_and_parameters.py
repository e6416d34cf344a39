"""Aggregation with bootstrap intervals, output formats, and plugin parameter parsing."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from bsbench_plugins.methods.occlusion.plugin import OcclusionParameters

from bsbench.core.errors import UsageError
from bsbench.core.parameters import build_parameters, parse_key_values, split_spec
from bsbench.results.leaderboard import aggregate, model_quality, render, wide
from bsbench.results.statistics import bootstrap_interval


def rows() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    records = []
    for method, centre in (("crp", 0.4), ("random", 0.0)):
        for i in range(20):
            for metric, value in (
                ("faithfulness-correlation", centre + rng.normal(0, 0.1)),
                ("cue-salience:loudness", np.nan if i == 0 else 1.0),
            ):
                records.append(
                    {
                        "dataset": "d",
                        "model": "m",
                        "method": method,
                        "metric": metric,
                        "clip_id": str(i),
                        "value": value,
                    }
                )
    return pd.DataFrame(records)


def test_bootstrap_interval_contains_mean_and_is_deterministic():
    values = np.random.default_rng(1).normal(5, 1, 50)
    low, high = bootstrap_interval(values)
    assert low < values.mean() < high
    assert (low, high) == bootstrap_interval(values)
    assert np.isnan(bootstrap_interval(np.array([1.0]))[0])


def test_aggregate_counts_and_directions():
    board = aggregate(rows(), {"faithfulness-correlation": True, "cue-salience": None})
    crp = board[(board.method == "crp") & (board.metric == "faithfulness-correlation")].iloc[0]
    assert crp.higher_is_better is True and crp.n == 20 and crp.ci_low < crp["mean"] < crp.ci_high
    loudness = board[(board.method == "crp") & (board.metric == "cue-salience:loudness")].iloc[0]
    assert loudness.n == 19 and loudness["mean"] == 1.0 and loudness.higher_is_better is None
    assert list(dict.fromkeys(board.method)) == ["crp", "random"]


def test_render_formats():
    board = aggregate(rows(), {"faithfulness-correlation": True, "cue-salience": None})
    table = render(board, "table")
    # the terminal table breaks long headings over two lines; one dataset and model are named in the footer
    assert "faithfulness-\n" in table and "correlation ↑" in table and table.splitlines()[3].startswith("crp")
    assert "d / m: accuracy unknown" in table and "cue-salience" not in table
    assert render(board, "markdown").startswith("| method") and "faithfulness-correlation ↑" in render(
        board, "markdown"
    )
    records = json.loads(render(board, "json"))
    assert {"dataset", "model", "method", "metric", "n", "mean", "ci_low", "ci_high"} <= set(records[0])
    assert render(board, "csv").splitlines()[0] == (
        "dataset,model,method,metric,higher_is_better,n,mean,ci_low,ci_high,model_test_accuracy,model_test_uar,"
        "model_measured_accuracy,model_measured_uar,model_measured_clips,rank,rank_low,rank_high,p_first,best,vs_random"
    )
    cue_rows = render(board, "table", cues=True).splitlines()
    assert cue_rows[0].split() == ["metric", "cue", "crp", "random"] and cue_rows[2].startswith(
        "cue-salience  loudness"
    )
    with pytest.raises(UsageError, match="--format 'xml'"):
        render(board, "xml")


def test_model_accuracy_is_stated_once_in_the_footer():
    card = {"test": {"accuracy": 0.9643, "unweighted_average_recall": 0.95}}
    board = aggregate(
        rows(),
        {"faithfulness-correlation": True},
        quality=model_quality({"dataset": {"name": "d"}, "model": {"name": "m", "card": card}}),
    )
    assert list(wide(board).columns) == ["method", "rank", "faithfulness-correlation ↑"]
    text = render(board, "markdown")
    assert text.count("test accuracy 0.964, UAR 0.950") == 1 and "d / m: test accuracy" in text
    assert set(board["model_test_accuracy"]) == {0.9643}
    assert "test accuracy" not in render(board, "table", model_lines=False)
    no_card = aggregate(
        rows(), {}, quality=model_quality({"dataset": {"name": "d"}, "model": {"name": "m", "card": {}}})
    )
    assert "d / m: accuracy unknown" in render(no_card) and no_card["model_test_accuracy"].isna().all()


def test_a_checkpoints_accuracy_is_said_to_be_measured_on_the_explained_clips():
    measured = {"accuracy": 0.625, "unweighted_average_recall": 0.5, "clips": 8}
    manifest = {"dataset": {"name": "d"}, "model": {"name": "m", "card": {}, "measured": measured}}
    checkpoint = aggregate(
        rows(), {}, quality=model_quality({**manifest, "config": {"checkpoint": "/models/best.pth"}})
    )
    assert "d / m: accuracy 0.625, UAR 0.500 measured on the 8 explained clips (not a held-out test)" in render(
        checkpoint
    )
    assert set(checkpoint["model_measured_clips"]) == {8} and checkpoint["model_test_accuracy"].isna().all()
    # a model trained here is judged by its card's held-out test, not by the clips it explains
    trained = aggregate(rows(), {}, quality=model_quality({**manifest, "config": {"checkpoint": None}}))
    assert "accuracy unknown" in render(trained) and trained["model_measured_accuracy"].isna().all()


def test_method_spec_parsing():
    name, raw = split_spec("occlusion:window=1x10,stride=1x3")
    assert name == "occlusion" and raw == {"window": "1x10", "stride": "1x3"}
    params = build_parameters(OcclusionParameters, raw, "method occlusion")
    assert params.window == (1, 10) and params.stride == (1, 3) and params.baseline == "floor"
    with pytest.raises(UsageError, match="unknown parameter 'size'; valid parameters: baseline, batch, stride, window"):
        build_parameters(OcclusionParameters, {"size": "3"}, "method occlusion")
    with pytest.raises(UsageError, match=r"parameter window='1by10' is not a valid NxM"):
        build_parameters(OcclusionParameters, {"window": "1by10"}, "method occlusion")
    with pytest.raises(UsageError, match="expected key=value"):
        split_spec("occlusion:window")
    assert parse_key_values(["speakers=4"], "--dataset-option") == {"speakers": "4"}


def verdict_rows(gap: float, noise: float = 0.05, clips: int = 28) -> pd.DataFrame:
    """crp leads gradcam by ``gap``; random is at chance; energy sits on random's own per-clip values."""
    rng = np.random.default_rng(4)
    clip_effect = rng.normal(0, 0.3, clips)  # shared by every method: pairing removes it
    chance = clip_effect + rng.normal(0, noise, clips)
    centres = {"crp": 0.5 + gap, "gradcam": 0.5, "energy": None, "random": 0.0}
    records = []
    for method, centre in centres.items():
        values = chance + 1e-3 * rng.normal(0, 1, clips) if centre is None else clip_effect + centre
        if centre is not None:
            values = values + rng.normal(0, noise, clips)
        for i, value in enumerate(values):
            records.append(
                {"dataset": "d", "model": "m", "method": method, "metric": "score", "clip_id": str(i), "value": value}
            )
    return pd.DataFrame(records)


def marks_of(board: pd.DataFrame) -> dict[str, tuple[bool, str]]:
    return {row.method: (bool(row.best), row.vs_random) for row in board.itertuples()}


def test_best_is_marked_only_where_the_leader_beats_the_runner_up():
    clear = marks_of(aggregate(verdict_rows(gap=0.2), {"score": True}))
    assert clear["crp"] == (True, "better") and clear["gradcam"] == (False, "better")
    tie = marks_of(aggregate(verdict_rows(gap=0.0), {"score": True}))
    assert not any(best for best, _ in tie.values())  # crp and gradcam tie: nothing is starred
    assert tie["energy"] == (False, "not separable") and tie["random"] == (False, "")
    lower = aggregate(verdict_rows(gap=0.2).assign(value=lambda f: -f["value"]), {"score": False})
    assert marks_of(lower)["crp"] == (True, "better")  # lower is better: the direction is read


def test_a_method_worse_than_random_and_one_not_separable_carry_their_marks_in_every_format():
    rows = verdict_rows(gap=0.2)
    rows.loc[rows["method"] == "gradcam", "value"] -= 1.0  # now clearly below random
    board = aggregate(rows, {"score": True})
    assert marks_of(board)["gradcam"] == (False, "worse")
    for fmt, star in (("table", " *"), ("markdown", "**"), ("html", "<strong>"), ("latex", r"\textbf{")):
        text = render(board, fmt)
        energy = next(line for line in text.splitlines() if "energy" in line)
        gradcam = next(line for line in text.splitlines() if "gradcam" in line)
        assert ("$^{\\circ}$" if fmt == "latex" else "°") in energy, fmt
        assert ("$^{\\dagger}$" if fmt == "latex" else "†") in gradcam, fmt
        assert star in text and "not separable from random" in text and "worse than random" in text, fmt
    records = json.loads(render(board, "json"))
    assert {r["method"]: r["vs_random"] for r in records} == {
        "crp": "better",
        "gradcam": "worse",
        "energy": "not separable",
        "random": "",
    }


def test_the_default_table_fits_a_120_column_terminal():
    rng = np.random.default_rng(0)
    metrics = {
        "faithfulness-correlation": True,
        "pixel-flipping": False,
        "road": True,
        "cue-plausibility": True,
        "relevance-mass-accuracy": True,
        "cue-salience": None,
    }
    records = [
        {
            "dataset": "synthetic",
            "model": "resnet-small",
            "method": method,
            "metric": metric,
            "clip_id": str(i),
            "value": rng.normal(-0.5, 1),
        }
        for method in ("integrated-gradients", "crp", "gradcam", "energy", "random")
        for metric in [*list(metrics)[:-1], "cue-salience:pitch_variability", "cue-salience:loudness"]
        for i in range(28)
    ]
    text = render(aggregate(pd.DataFrame(records), metrics), "table")
    assert max(len(line) for line in text.splitlines()) <= 120
    assert "cue-salience:" not in text and "pitch_variability" not in text and "mass-accuracy ↑" in text
