"""Checkpoints: the paper's published weights, user files, and files that must be refused."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import pytest
import torch
from bsbench_plugins.models.resnet_small import PAPER_LABEL_ORDER, ResNetSmallPlugin

from bsbench.core.errors import CheckpointError, UsageError
from bsbench.grid.run_config import RunConfig
from bsbench.grid.runner import run_benchmark
from bsbench.models.store import MODEL_FILE, load_checkpoint, model_folder
from tests.conftest import PAPER_TESS, SMALL_CORPUS

CPU = torch.device("cpu")


@pytest.mark.skipif(not PAPER_TESS.is_file(), reason="paper checkpoints not present in ../shared/fixtures")
def test_paper_tess_checkpoint_loads_and_predicts(small_corpus):
    model = load_checkpoint(ResNetSmallPlugin(), PAPER_TESS, CPU)
    assert model.labels == PAPER_LABEL_ORDER
    assert "default checkpoint label order" in model.card["label_source"]
    assert model.card["frontend"]["n_mels"] == 128 and model.card["frontend"]["hop_length"] == 240
    logits = model.logits(model.features(small_corpus.clips[:4]))
    assert logits.shape == (4, 7)
    assert torch.isfinite(logits).all()
    # the weights are the published ones, not a fresh init
    published = torch.load(PAPER_TESS, map_location="cpu", weights_only=True)
    assert torch.equal(model.network.state_dict()["fc.weight"], published["fc.weight"])


def test_missing_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match=r"checkpoint .*nope.pth: no such file"):
        load_checkpoint(ResNetSmallPlugin(), tmp_path / "nope.pth", CPU)


def test_garbage_checkpoint(tmp_path):
    path = tmp_path / "garbage.pth"
    path.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match=r"garbage.pth: cannot be read as a weights-only PyTorch state dict"):
        load_checkpoint(ResNetSmallPlugin(), path, CPU)


def test_pickled_code_is_refused(tmp_path):
    path = tmp_path / "evil.pth"
    marker = tmp_path / "executed"
    torch.save({"payload": Exploit(str(marker))}, path)
    with pytest.raises(CheckpointError, match="weights-only"):
        load_checkpoint(ResNetSmallPlugin(), path, CPU)
    assert not marker.exists()


class Exploit:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_mismatched_keys_named(tmp_path):
    path = tmp_path / "other.pth"
    torch.save(torch.nn.Linear(3, 2).state_dict(), path)
    with pytest.raises(
        CheckpointError, match=r"does not fit model resnet-small: missing keys .*unexpected keys bias, weight"
    ):
        load_checkpoint(ResNetSmallPlugin(), path, CPU)


def test_wrong_shape_named(tmp_path):
    state = ResNetSmallPlugin().build(5).state_dict()
    path = tmp_path / "five.pth"
    torch.save(state, path)
    expected = r"shape mismatch fc.weight is \(5, 128\), expected \(7, 128\).*model built for 7 classes from"
    with pytest.raises(CheckpointError, match=expected):
        load_checkpoint(ResNetSmallPlugin(), path, CPU)


def test_trained_model_has_card_and_is_cached(small_model, registry, small_corpus):
    card = small_model.card
    assert card["labels"] == list(small_corpus.labels)
    assert card["split_sizes"] == {"train": 28, "validation": 14, "test": 14}
    assert 0.0 <= card["test"]["accuracy"] <= 1.0
    assert sum(map(sum, card["test"]["confusion"])) == 14
    assert card["frontend"]["n_mels"] == 128


def test_models_lists_cached_checkpoints_with_their_cards(small_model, isolated_cache):
    from typer.testing import CliRunner

    from bsbench.cli.app import app

    (isolated_cache / "models" / "unfinished").mkdir(parents=True, exist_ok=True)  # no card: left out
    result = CliRunner().invoke(app, ["models", "--json"], catch_exceptions=False)
    rows = json.loads(result.stdout)
    mine = [row for row in rows if row["checkpoint"] == str(small_model.card["checkpoint"])]
    assert len(mine) == 1 and all("unfinished" not in row["checkpoint"] for row in rows)
    assert mine[0]["test_accuracy"] == small_model.card["test"]["accuracy"]
    assert (mine[0]["model"], mine[0]["dataset"], mine[0]["classes"], mine[0]["test_clips"]) == (
        "resnet-small",
        "synthetic",
        7,
        14,
    )
    table = CliRunner().invoke(app, ["models"], catch_exceptions=False).stdout
    assert "test_accuracy" in table and "resnet-small" in table


def test_cli_checkpoint_error_is_one_line(tmp_path):
    path = tmp_path / "bad.pth"
    path.write_bytes(b"xx")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bsbench",
            "run",
            "--checkpoint",
            str(path),
            "--limit",
            "1",
            "-q",
            "--out",
            str(tmp_path / "run"),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: checkpoint {path}:")
    assert "Traceback" not in done.stderr


def test_changed_audio_under_the_same_dataset_name_trains_a_new_model(registry, small_corpus):
    """A corpus whose files changed (same name, options and labels) must not reuse the old model."""
    plugin = registry.get("model", "resnet-small")
    config = plugin.training
    first = small_corpus.clips[0]
    edited = replace(small_corpus, clips=(replace(first, waveform=first.waveform * 0.5), *small_corpus.clips[1:]))
    relabelled = replace(small_corpus, clips=(replace(first, split="test"), *small_corpus.clips[1:]))
    folder = model_folder(plugin, small_corpus, 0, config)
    assert folder == model_folder(plugin, replace(small_corpus), 0, config)
    assert folder != model_folder(plugin, edited, 0, config)
    assert folder != model_folder(plugin, relabelled, 0, config)


def _run_rows(registry, tmp_path, **settings):
    config = RunConfig(
        dataset_options=SMALL_CORPUS, methods=("random",), metrics=("sparseness",), epochs=2, device="cpu",
        out=tmp_path / "run", limit=None, **settings,
    )  # fmt: skip
    result = run_benchmark(config, registry, show_progress=False)
    return result.rows, result.manifest


def test_split_all_explains_every_clip_and_a_checkpoint_defaults_to_it(registry, small_model, small_corpus, tmp_path):
    every = {clip.clip_id: clip.split for clip in small_corpus.clips}
    rows, manifest = _run_rows(registry, tmp_path / "all", split="all")
    assert dict(zip(rows["clip_id"], rows["split"], strict=True)) == every  # each row keeps its clip's own split
    assert manifest["dataset"]["split"] == "all" and manifest["dataset"]["clips_scored"] == len(every) == 56
    rows, manifest = _run_rows(registry, tmp_path / "auto")
    assert set(rows["split"]) == {"test"} and manifest["dataset"]["split"] == "test"
    checkpoint = model_folder(small_model.plugin, small_corpus, 0, replace(small_model.plugin.training, epochs=2))
    rows, manifest = _run_rows(registry, tmp_path / "external", checkpoint=checkpoint / MODEL_FILE)
    assert manifest["config"]["split"] == "auto" and manifest["dataset"]["split"] == "all" and len(rows) == 56


def test_split_names_its_choices_when_unknown(registry, tmp_path):
    with pytest.raises(UsageError, match=r"^--split 'everything': choose one of train, validation, test, all, auto$"):
        _run_rows(registry, tmp_path, split="everything")
