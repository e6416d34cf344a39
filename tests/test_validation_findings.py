"""The last ``bsbench validate``'s findings footnote every table that shows a metric that failed them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bsbench.results.leaderboard import aggregate, render
from bsbench.results.validation_findings import failed_reliability, findings_path, load_findings, save_findings

RECORDS = [
    {
        "check": "(d) adversary reactivity: moves more than CI/2",
        "subject": "road",
        "value": 0.6,
        "pass": False,
        "rule": "all methods > 1 in |shift| / (CI/2): saliency 0.86, crp 3.05",
    },
    {
        "check": "(d) noise resilience: moves less than CI/2",
        "subject": "road",
        "value": 1.0,
        "pass": True,
        "rule": "all methods < 1",
    },
    {
        "check": "(d) adversary reactivity: moves more than CI/2",
        "subject": "pixel-flipping",
        "value": 0.0,
        "pass": False,
        "rule": "all methods > 1 in |shift| / (CI/2): saliency 0.10",
    },
    {"check": "(a) beats random on localisation", "subject": "saliency", "value": 0.1, "pass": False, "rule": "x"},
]


@pytest.fixture(autouse=True)
def no_findings_left_behind():
    """Other tests' tables must not carry these made-up findings."""
    yield
    findings_path().unlink(missing_ok=True)


def board() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = [
        {"dataset": "d", "model": "m", "method": method, "metric": "road", "clip_id": str(i), "value": rng.normal()}
        for method in ("crp", "random")
        for i in range(12)
    ]
    return aggregate(pd.DataFrame(rows), {"road": True})


def test_findings_are_kept_and_read_back():
    path = save_findings(RECORDS, {"model": "resnet-small", "metric_preset": "quick"})
    assert path == findings_path() and path.is_file()
    findings = load_findings()
    assert findings["checks"] == RECORDS and findings["settings"]["metric_preset"] == "quick"


def test_only_failed_reliability_checks_of_shown_metrics_become_footnotes(tmp_path):
    save_findings(RECORDS, {"model": "resnet-small", "metric_preset": "quick"})
    lines = failed_reliability(load_findings(), ["road", "faithfulness-correlation"])
    assert len(lines) == 1 and lines[0].startswith("! road fails adversary reactivity in bsbench validate of ")
    assert "(model resnet-small, localised corpus, preset quick): all methods > 1" in lines[0]
    assert failed_reliability(None, ["road"]) == [] and failed_reliability(load_findings(), ["sparseness"]) == []
    text = render(board(), "table", findings=load_findings())
    assert "! road fails adversary reactivity" in text and "pixel-flipping" not in text
    assert "! road" not in render(board(), "table")


def test_a_findings_file_of_another_shape_is_ignored(tmp_path):
    for text in ("[1, 2]", '{"checks": "all fine"}', "not json", '{"checks": [{"check": 1}]}'):
        path = tmp_path / "findings.json"
        path.write_text(text)
        findings = load_findings(path)
        assert findings is None or findings["checks"] == []
