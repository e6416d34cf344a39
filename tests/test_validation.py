"""`bsbench validate`: the benchmark's checks of itself run end to end and report every number."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from bsbench.cli.app import app
from bsbench.results.validation_findings import findings_path, load_findings
from tests.conftest import SMALL_CORPUS

SMALL_OPTIONS = [arg for key, value in SMALL_CORPUS.items() for arg in ("--dataset-option", f"{key}={value}")]


def test_validate_reports_every_check_and_exits_by_the_verdicts():
    args = ["validate", *SMALL_OPTIONS, "--epochs", "2", "--limit", "14", "--device", "cpu", "--json"]
    args += ["-m", "saliency", "-m", "gradcam", "--metric", "pixel-flipping", "--metric", "relevance-mass-accuracy"]
    result = CliRunner().invoke(app, args)
    rows = json.loads(result.stdout)
    by_check = {}
    for row in rows:
        by_check.setdefault(row["check"], {})[row["subject"]] = row
    assert set(by_check) == {
        "(a) beats random on localisation",
        "(b) map changes when the model is randomised",
        "(c) new seed moves the mean less than CI/2",
        "(d) noise resilience: moves less than CI/2",
        "(d) adversary reactivity: moves more than CI/2",
    }
    assert set(by_check["(a) beats random on localisation"]) == {"saliency", "gradcam"}  # random is the reference
    # Grad-CAM's coarse map still sits on the evidence more than random does (measured: +0.03, CI low +0.02).
    assert by_check["(a) beats random on localisation"]["gradcam"]["pass"]
    mprt = by_check["(b) map changes when the model is randomised"]
    assert all(0 <= row["value"] < 1 for row in mprt.values())
    # Deterministic methods and a deterministic metric: a new seed changes nothing at all.
    assert by_check["(c) new seed moves the mean less than CI/2"]["pixel-flipping"]["pass"]
    # Noise in place of a map has no localisation: the metric must react.
    assert by_check["(d) adversary reactivity: moves more than CI/2"]["relevance-mass-accuracy"]["pass"]
    failed = sum(not row["pass"] for row in rows)
    assert result.exit_code == (1 if failed else 0)
    kept = load_findings()  # what leaderboards and reports footnote
    assert kept["checks"] == rows and kept["settings"]["metrics"] == ["pixel-flipping", "relevance-mass-accuracy"]
    findings_path().unlink()
