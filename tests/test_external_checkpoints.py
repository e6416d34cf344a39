"""Checkpoints from elsewhere: label maps, how outputs meet a corpus's labels, accuracy on the explained clips."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from bsbench.core.errors import CheckpointError, DataError, UsageError
from bsbench.grid.piece_cache import model_identity
from bsbench.grid.run_config import RunConfig
from bsbench.grid.runner import run_benchmark
from bsbench.models.label_map import LabelMapError, check_label_map, match_labels, relabel
from bsbench.models.store import MODEL_FILE, load_checkpoint, model_folder
from tests.conftest import SMALL_CORPUS

CPU = torch.device("cpu")
PAPER_ORDER = ("fear", "neutral", "happy", "angry", "disgust", "surprise", "sad")


def test_a_label_map_renames_outputs_by_name_or_index():
    assert relabel(PAPER_ORDER, {"surprise": "ps", "0": "afraid"}) == (
        "afraid", "neutral", "happy", "angry", "disgust", "ps", "sad",
    )  # fmt: skip
    with pytest.raises(LabelMapError, match=r"^'calm' is not an output of the model; its outputs are fear, neutral"):
        relabel(PAPER_ORDER, {"calm": "neutral"})
    with pytest.raises(LabelMapError, match=r"^'7' is not an output .* indices 0 to 6\)$"):
        relabel(PAPER_ORDER, {"7": "calm"})
    with pytest.raises(LabelMapError, match=r"^output 'fear' is mapped twice \(as 'fear' and '0'\)$"):
        relabel(PAPER_ORDER, {"fear": "afraid", "0": "scared"})
    with pytest.raises(LabelMapError, match=r"^outputs neutral and sad would both be 'sad'; each output needs its own"):
        relabel(PAPER_ORDER, {"neutral": "sad"})
    with pytest.raises(LabelMapError, match="expected a JSON object"):
        check_label_map(["angry", "sad"])
    with pytest.raises(LabelMapError, match=r"output 'ps' must map to a label name \(a non-empty string\), not 3"):
        check_label_map({"ps": 3})


def test_matching_counts_what_each_side_lacks(small_corpus):
    four = ("angry", "happy", "sad", "calm")
    match = match_labels(four, small_corpus.labels, small_corpus.clips, model="m", corpus="c", source="its card")
    assert match.outputs_without_counterpart == ("calm",)
    assert set(match.clips_not_outputtable) == set(small_corpus.labels) - {"angry", "happy", "sad"}
    assert sum(match.clips_not_outputtable.values()) == sum(clip.label not in four for clip in small_corpus.clips)
    with pytest.raises(DataError, match=r"^model m outputs x, y \(from its card\) and dataset c has labels angry, .*"):
        match_labels(("x", "y"), small_corpus.labels, small_corpus.clips, model="m", corpus="c", source="its card")
    with pytest.raises(DataError, match=r"^map\.json: maps to suprise, which dataset c does not have \(its labels: "):
        match_labels(
            PAPER_ORDER, small_corpus.labels, small_corpus.clips, model="m", corpus="c", source="map.json",
            mapped=("suprise",),
        )  # fmt: skip


@pytest.fixture
def bare_checkpoint(small_model, small_corpus, tmp_path) -> Path:
    """The small model's weights as a checkpoint from elsewhere: a copy with a card that names only its outputs."""
    trained = model_folder(small_model.plugin, small_corpus, 0, replace(small_model.plugin.training, epochs=2))
    path = tmp_path / "external.pth"
    shutil.copyfile(trained / MODEL_FILE, path)
    Path(f"{path}.card.json").write_text(json.dumps({"labels": list(small_model.labels)}))
    return path


def test_label_maps_from_a_file_or_the_card_rename_the_loaded_model(bare_checkpoint, tmp_path):
    plain = load_checkpoint(_plugin(), bare_checkpoint, CPU)
    first = plain.labels[0]
    label_map = tmp_path / "map.json"
    label_map.write_text(json.dumps({first: "furious"}))
    mapped = load_checkpoint(_plugin(), bare_checkpoint, CPU, label_map)
    assert mapped.labels == ("furious", *plain.labels[1:]) and mapped.card["output_names"] == list(plain.labels)
    assert mapped.card["label_map_source"] == str(label_map)
    # the same weights under other names are another model to the piece cache: scores read the names
    assert model_identity(mapped.network, mapped.card) != model_identity(plain.network, plain.card)
    card = Path(f"{bare_checkpoint}.card.json")
    card.write_text(json.dumps({"labels": list(plain.labels), "label_map": {"1": "calm"}}))
    assert load_checkpoint(_plugin(), bare_checkpoint, CPU).labels[1] == "calm"
    card.write_text(json.dumps({"labels": list(plain.labels), "label_map": {"nope": "calm"}}))
    with pytest.raises(CheckpointError, match=rf"^model card {card}: 'label_map': 'nope' is not an output"):
        load_checkpoint(_plugin(), bare_checkpoint, CPU)
    label_map.write_text("[1, 2]")
    with pytest.raises(UsageError, match=rf"^--label-map {label_map}: expected a JSON object"):
        load_checkpoint(_plugin(), bare_checkpoint, CPU, label_map)
    with pytest.raises(UsageError, match=r"^--label-map .*absent\.json: no such file$"):
        load_checkpoint(_plugin(), bare_checkpoint, CPU, tmp_path / "absent.json")


def _plugin():
    from bsbench_plugins.models.resnet_small import ResNetSmallPlugin

    return ResNetSmallPlugin()


def _run(registry, out: Path, **settings):
    settings = {"dataset_options": SMALL_CORPUS, **settings}
    config = RunConfig(methods=("random",), metrics=("sparseness",), device="cpu", out=out, limit=None, **settings)
    return run_benchmark(config, registry, show_progress=False)


def test_a_checkpoint_is_measured_on_the_clips_it_explains(registry, bare_checkpoint, small_corpus, tmp_path):
    result = _run(registry, tmp_path / "run", checkpoint=bare_checkpoint)
    measured = result.manifest["model"]["measured"]
    per_clip = result.rows.drop_duplicates("clip_id")
    assert measured["clips"] == len(per_clip) == len(small_corpus.clips)
    assert measured["accuracy"] == pytest.approx(per_clip["correct"].mean())
    recalls = per_clip.groupby("label")["correct"].mean()
    assert measured["unweighted_average_recall"] == pytest.approx(recalls.mean())
    confusion = np.array(measured["confusion"]["counts"])
    assert confusion.sum() == len(per_clip) and measured["confusion"]["predicted"] == list(small_corpus.labels)
    assert np.trace(confusion) == per_clip["correct"].sum()
    assert measured["outputs_without_counterpart"] == [] and measured["clips_left_out"] == 0
    board = result.leaderboard
    assert set(board["model_measured_clips"]) == {len(per_clip)} and board["model_test_accuracy"].isna().all()


def test_clips_the_model_cannot_label_are_left_out_with_the_reason(registry, bare_checkpoint, small_model, tmp_path):
    label_map = tmp_path / "map.json"
    label_map.write_text(json.dumps({small_model.labels[0]: "calm"}))  # an output the corpus lacks
    result = _run(registry, tmp_path / "run", checkpoint=bare_checkpoint, label_map=label_map)
    measured = result.manifest["model"]["measured"]
    lost = small_model.labels[0]
    assert measured["outputs_without_counterpart"] == ["calm"]
    assert measured["clips_left_out_by_label"] == {lost: 8} and measured["clips_left_out"] == 8
    assert "cannot classify these clips correctly" in measured["reason"]
    assert lost not in set(result.rows["label"]) and measured["clips"] == 56 - 8 == result.rows["clip_id"].nunique()


def test_a_label_map_matching_nothing_is_one_line_naming_both_sides(bare_checkpoint, small_model, tmp_path):
    label_map = tmp_path / "map.json"
    label_map.write_text(json.dumps({str(i): f"class{i}" for i in range(len(small_model.labels))}))
    done = subprocess.run(
        [sys.executable, "-m", "bsbench", "run", "--checkpoint", str(bare_checkpoint), "--label-map", str(label_map),
         *[f"--dataset-option={key}={value}" for key, value in SMALL_CORPUS.items()], "--limit", "2", "-q",
         "--out", str(tmp_path / "run")],
        capture_output=True, text=True,
    )  # fmt: skip
    lines = done.stderr.strip().splitlines()
    assert done.returncode != 0 and len(lines) == 1, done.stderr
    assert f"renamed by {label_map}: maps to class0, class1" in lines[0]
    assert f"dataset synthetic does not have (its labels: {', '.join(small_model.labels)})" in lines[0]


def test_a_label_map_without_a_checkpoint_is_refused(registry, tmp_path):
    with pytest.raises(UsageError, match=r"^--label-map .*map\.json: only with --checkpoint"):
        _run(registry, tmp_path / "run", label_map=tmp_path / "map.json")


def _folder_corpus(corpus, root: Path) -> Path:
    """The corpus's clips as a folder of WAVs with labels.csv (path,label,speaker): the layout a user's data has."""
    import soundfile

    rows = ["path,label,speaker"]
    for clip in corpus.clips:
        name = f"{clip.speaker}/{clip.clip_id}.wav"
        (root / clip.speaker).mkdir(parents=True, exist_ok=True)
        soundfile.write(root / name, clip.waveform, clip.sample_rate, subtype="FLOAT")
        rows.append(f"{name},{clip.label},{clip.speaker}")
    (root / "labels.csv").write_text("\n".join(rows) + "\n")
    return root


def test_a_checkpoint_on_a_folder_corpus_explains_every_clip(registry, bare_checkpoint, small_corpus, tmp_path):
    folder = _folder_corpus(small_corpus, tmp_path / "folder")
    settings = {"dataset": "folder", "dataset_options": {}, "data_dir": folder, "checkpoint": bare_checkpoint}
    every = _run(registry, tmp_path / "all", **settings)
    assert every.manifest["dataset"]["split"] == "all" and every.rows["clip_id"].nunique() == len(small_corpus.clips)
    assert set(every.rows["split"]) == {"train", "validation", "test"}  # each clip keeps its own split
    test_only = _run(registry, tmp_path / "test", split="test", **settings)
    assert set(test_only.rows["split"]) == {"test"}
    assert test_only.rows["clip_id"].nunique() == (every.rows.drop_duplicates("clip_id")["split"] == "test").sum()
