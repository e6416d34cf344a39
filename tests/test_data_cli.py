"""`bsbench data info | export | cue-accuracy` on the synthetic corpus."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import soundfile
from typer.testing import CliRunner

from bsbench.cli.app import app
from bsbench.core.errors import DataError
from bsbench.core.types import Clip
from bsbench.corpus.export import export_clips
from tests.test_run_chain import SMALL_OPTIONS, bsbench

runner = CliRunner()


def invoke(*args: str):
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_info_counts_clips_per_class_speaker_and_split():
    summary = json.loads(invoke("data", "info", *SMALL_OPTIONS, "--json"))
    assert summary["clips"] == 56 and summary["ground_truth"] == 56
    assert summary["by_label"]["angry"] == {"train": 4, "validation": 2, "test": 2, "total": 8}
    assert summary["by_label"]["total"]["total"] == 56
    speakers = {name: row for name, row in summary["by_speaker"].items() if name != "total"}
    assert len(speakers) == 4 and all(row["total"] == 14 for row in speakers.values())
    assert all(sum(row[split] > 0 for split in ("train", "validation", "test")) == 1 for row in speakers.values())
    table = invoke("data", "info", *SMALL_OPTIONS)
    assert "speaker-independent" in table and "placement=accented" in table


def test_export_writes_one_playable_wav_per_class_with_its_truth(tmp_path):
    invoke("data", "export", *SMALL_OPTIONS, "--n", "7", "-o", str(tmp_path))
    with (tmp_path / "labels.csv").open() as handle:
        index = list(csv.DictReader(handle))
    assert sorted(row["label"] for row in index) == ["angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"]
    for row in index:
        samples, rate = soundfile.read(tmp_path / row["path"])
        assert rate == 16_000 and samples.shape == (32_000,) and 0.001 < np.abs(samples).max() <= 1.0
        truth = json.loads(
            (tmp_path / row["path"]).with_suffix(".truth.json").read_text(), parse_constant=lambda c: 1 / 0
        )
        assert truth["label"] == row["label"] and len(truth["tracks"]["pitch_level"]) == 201
        assert (truth["carrying_cues"] == []) == (row["label"] == "neutral")


def test_cue_accuracy_scores_librosa_against_the_truth():
    rows = json.loads(invoke("data", "cue-accuracy", *SMALL_OPTIONS, "--limit", "7", "--format", "json", "-q"))
    by_cue = {row["cue"]: row for row in rows}
    assert set(by_cue) == {"voicing", "pitch_level", "pitch_variability", "loudness", "shrillness"}
    assert by_cue["pitch_level"]["within_clip"] < 2.0 and by_cue["pitch_level"]["clips"] == 7
    assert by_cue["loudness"]["within_clip"] > 0.9


def test_bad_dataset_option_is_one_line():
    done = bsbench("data", "info", "--dataset-option", "placement=middle")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: dataset synthetic: option placement='middle': choose one of accented, localised, whole"
    )


def test_export_keeps_a_folder_corpus_nested_ids_and_refuses_ids_outside_the_folder(tmp_path):
    tone = (0.1 * np.sin(np.arange(16_000) / 10)).astype(np.float32)
    clips = [Clip(f"actor{n}/happy_01", tone * n, 16_000, "happy", f"actor{n}", "test") for n in (1, 2)]
    written = export_clips(clips, tmp_path / "out")
    assert [p.relative_to(tmp_path / "out").as_posix() for p in written] == [
        "actor1/happy_01.wav",
        "actor2/happy_01.wav",
    ]
    with (tmp_path / "out" / "labels.csv").open() as handle:
        assert [row["path"] for row in csv.DictReader(handle)] == ["actor1/happy_01.wav", "actor2/happy_01.wav"]
    with pytest.raises(DataError, match="outside"):
        export_clips([Clip("../escaped", tone, 16_000, "happy", "a", "test")], tmp_path / "other")
    assert not (tmp_path / "escaped.wav").exists()
