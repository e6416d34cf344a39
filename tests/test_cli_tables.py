"""Record tables as the CLI prints them: ``records_text`` on its own, and commands that print through it."""

from __future__ import annotations

import json
import math

from typer.testing import CliRunner

from bsbench.cli.app import app
from bsbench.results.table_formats import records_text

runner = CliRunner()

RECORDS = [
    {"name": "crp", "passes": 1, "score": 0.123456, "note": None},
    {"name": "occlusion", "passes": 5506, "score": 2.5, "note": "slow"},
]


def test_json_form_is_the_records_indented_by_two_with_none_as_null():
    text = records_text(RECORDS, as_json=True)
    assert json.loads(text) == RECORDS
    assert text == json.dumps(RECORDS, indent=2)
    assert '"note": null' in text
    assert not text.endswith("\n")


def test_json_form_keeps_nan_as_the_bare_token_python_reads_back():
    [row] = json.loads(records_text([{"score": float("nan")}], as_json=True))
    assert math.isnan(row["score"])


def test_table_form_has_a_header_a_rule_and_one_line_per_record():
    lines = records_text(RECORDS, as_json=False).splitlines()
    assert lines[0].split() == ["name", "passes", "score", "note"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert len(lines) == 2 + len(RECORDS)
    assert lines[2].split()[:2] == ["crp", "1"] and lines[3].split()[:2] == ["occlusion", "5506"]


def test_table_form_shows_none_as_missingval_and_floats_as_floatfmt():
    plain = records_text(RECORDS, as_json=False)
    dashed = records_text(RECORDS, as_json=False, missingval="-", floatfmt=".3f")
    assert plain.splitlines()[2].split() == ["crp", "1", "0.123456"]
    assert dashed.splitlines()[2].split() == ["crp", "1", "0.123", "-"]
    assert "2.500" in dashed


def test_table_form_wraps_a_column_at_its_maxcolwidth_and_is_empty_without_records():
    rows = [{"check": "long", "detail": "word " * 30}]
    wrapped = records_text(rows, as_json=False, maxcolwidths=[None, 20]).splitlines()
    assert len(records_text(rows, as_json=False).splitlines()) == 3
    assert len(wrapped) > 3
    assert wrapped[2].split() == ["long", "word", "word", "word", "word"]
    assert all(len(line[len("-------  ") :]) <= 20 for line in wrapped[2:])
    assert records_text([], as_json=False) == ""


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_plugins_json_parses_and_the_table_names_the_builtins():
    records = json.loads(invoke("plugins", "--json"))
    assert {"kind": "method", "name": "crp"}.items() <= next(r for r in records if r["name"] == "crp").items()
    assert {r["kind"] for r in records} >= {"dataset", "model", "method", "metric"}
    table = invoke("plugins", "--kind", "model").splitlines()
    assert table[0].split()[:3] == ["kind", "name", "package"]
    assert any(line.split()[:2] == ["model", "resnet-small"] for line in table[2:])


def test_methods_table_lists_each_method_without_descriptions():
    rows = json.loads(invoke("methods", "--json"))
    table = invoke("methods")
    assert "description" in rows[0] and "description" not in table.splitlines()[0]
    names = [line.split()[0] for line in table.splitlines()[2:] if line.strip()]
    assert names == [row["name"] for row in rows]
    assert {"crp", "occlusion", "random"} <= set(names)


def test_metrics_json_parses_and_the_table_shows_missing_cells_as_dashes():
    rows = json.loads(invoke("metrics", "--json"))
    assert "pixel-flipping" in {row["name"] for row in rows}
    table = invoke("metrics")
    assert table.splitlines()[0].split()[0] == "name"
    assert "pixel-flipping" in table and " - " in table
    assert "package" not in table.splitlines()[0]
