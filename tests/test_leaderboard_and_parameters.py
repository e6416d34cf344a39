"""Aggregation with bootstrap intervals, output formats, and plugin parameter parsing."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from bsbench_plugins.methods.occlusion.plugin import OcclusionParameters

from bsbench.errors import UsageError
from bsbench.leaderboard import aggregate, model_quality, render, wide
from bsbench.parameters import build_parameters, parse_key_values, split_spec
from bsbench.statistics import bootstrap_interval


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
    assert "faithfulness-correlation ↑" in table and "crp" in table.splitlines()[2]
    assert render(board, "markdown").startswith("| dataset")
    records = json.loads(render(board, "json"))
    assert {"dataset", "model", "method", "metric", "n", "mean", "ci_low", "ci_high"} <= set(records[0])
    assert render(board, "csv").splitlines()[0] == (
        "dataset,model,method,metric,higher_is_better,n,mean,ci_low,ci_high,model_test_accuracy,model_test_uar,"
        "rank,rank_low,rank_high,p_first,best"
    )
    with pytest.raises(UsageError, match="--format 'xml'"):
        render(board, "xml")


def test_model_accuracy_sits_beside_the_explanation_scores():
    card = {"test": {"accuracy": 0.9643, "unweighted_average_recall": 0.95}}
    board = aggregate(
        rows(),
        {"faithfulness-correlation": True},
        quality=model_quality({"dataset": {"name": "d"}, "model": {"name": "m", "card": card}}),
    )
    table = wide(board)
    assert list(table.columns[:5]) == ["dataset", "model", "model acc", "model UAR", "method"]
    assert set(table["model acc"]) == {"0.964"} and set(table["model UAR"]) == {"0.950"}
    assert set(board["model_test_accuracy"]) == {0.9643}
    no_card = aggregate(
        rows(), {}, quality=model_quality({"dataset": {"name": "d"}, "model": {"name": "m", "card": {}}})
    )
    assert "model acc" not in wide(no_card).columns and no_card["model_test_accuracy"].isna().all()


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
