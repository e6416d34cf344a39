"""`bsbench cache`: sizes per kind of entry, and clearing pieces (then a run recomputes them)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from bsbench.cli.app import app
from bsbench.core.errors import UsageError
from bsbench.grid.cache_report import cache_summary, clear_cache
from bsbench.grid.piece_cache import PieceCache


def test_info_counts_files_and_clear_removes_only_the_named_kind(tmp_path, monkeypatch):
    monkeypatch.setenv("BSBENCH_CACHE", str(tmp_path))
    store = PieceCache("model-digest")
    store.store_explanation("a", np.zeros((2, 128, 134)), [{}, {}])
    store.store_scores("b", [("", np.ones(2), ["", ""])])
    (tmp_path / "cues" / "librosa-1").mkdir(parents=True)
    (tmp_path / "cues" / "librosa-1" / "x.npz").write_bytes(b"0" * 1000)
    rows = {row["kind"]: row for row in cache_summary()}
    assert rows["pieces"]["files"] == 2 and rows["pieces"]["megabytes"] > 0.1  # 2 x 128 x 134 float32
    assert rows["cues"]["files"] == 1 and rows["models"]["files"] == 0
    shown = json.loads(CliRunner().invoke(app, ["cache", "info", "--json"]).stdout)
    assert [row["kind"] for row in shown] == ["models", "datasets", "cues", "pieces"]

    done = CliRunner().invoke(app, ["cache", "clear"])
    assert done.exit_code == 0 and "pieces" in done.stdout
    assert store.load_explanation("a") is None and (tmp_path / "cues" / "librosa-1" / "x.npz").is_file()
    with pytest.raises(UsageError, match="--kind everything: choose from models, datasets, cues, pieces"):
        clear_cache(["everything"])
