"""Training: reproducible to the byte, resumable, early stopping on validation only, augmentation."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace

import pytest
import torch
from bsbench_plugins.models.resnet_small import ResNetSmallPlugin
from typer.testing import CliRunner

from bsbench.cli.app import app
from bsbench.interfaces.protocols import TrainingConfig
from bsbench.models.augmentation import spec_augment
from bsbench.models.store import STATE_FILE, model_folder, trained_model
from bsbench.models.training import train_model

CPU = torch.device("cpu")
THREE_EPOCHS = TrainingConfig(epochs=3)


class Interrupted(Exception):
    pass


def file_sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_gives_the_same_checkpoint_file(small_corpus, tmp_path, monkeypatch):
    hashes = []
    for cache in ("first", "second", "other-seed"):
        monkeypatch.setenv("BSBENCH_CACHE", str(tmp_path / cache))
        seed = 1 if cache == "other-seed" else 0
        model = trained_model(
            ResNetSmallPlugin(), small_corpus, seed=seed, device=CPU, config=THREE_EPOCHS, show_progress=False
        )
        path = model_folder(ResNetSmallPlugin(), small_corpus, seed, THREE_EPOCHS) / "model.pt"
        assert model.card["checkpoint_sha256"] == file_sha256(path)
        hashes.append(model.card["checkpoint_sha256"])
    assert hashes[0] == hashes[1]
    assert hashes[2] != hashes[0]


def test_interrupted_training_resumes_from_its_last_epoch(small_corpus, tmp_path, monkeypatch):
    recipe = replace(THREE_EPOCHS, augment="specaugment")
    plugin = ResNetSmallPlugin()
    straight = train_model(plugin, small_corpus, seed=0, device=CPU, config=recipe, show_progress=False)

    monkeypatch.setenv("BSBENCH_CACHE", str(tmp_path))
    folder = model_folder(plugin, small_corpus, 0, recipe)

    def interrupt_after_second_epoch(epoch, _validation):
        if epoch == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        trained_model(
            plugin,
            small_corpus,
            seed=0,
            device=CPU,
            config=recipe,
            show_progress=False,
            on_epoch=interrupt_after_second_epoch,
        )
    assert (folder / STATE_FILE).is_file() and not (folder / "model.pt").exists()
    epochs_seen = []
    resumed = trained_model(
        plugin,
        small_corpus,
        seed=0,
        device=CPU,
        config=recipe,
        show_progress=False,
        on_epoch=lambda epoch, _: epochs_seen.append(epoch),
    )
    assert epochs_seen == [3]
    assert resumed.card["resumed_at_epoch"] == 2 and resumed.card["epochs_run"] == 3
    assert resumed.card["weights_sha256"] == straight.card["weights_sha256"]
    assert resumed.card["validation_recall_per_epoch"] == straight.card["validation_recall_per_epoch"]
    assert not (folder / STATE_FILE).exists()


def test_a_corrupt_training_state_starts_afresh(small_corpus, tmp_path):
    state = tmp_path / STATE_FILE
    state.write_bytes(b"half a file")
    trained = train_model(
        ResNetSmallPlugin(),
        small_corpus,
        seed=0,
        device=CPU,
        config=replace(THREE_EPOCHS, epochs=1),
        state_path=state,
        show_progress=False,
    )
    assert trained.card["resumed_at_epoch"] is None and trained.card["epochs_run"] == 1


def test_early_stopping_keeps_the_best_validation_epoch(small_corpus):
    recipe = TrainingConfig(epochs=8, patience=2, learning_rate=3e-3)
    curve = []
    trained = train_model(
        ResNetSmallPlugin(),
        small_corpus,
        seed=0,
        device=CPU,
        config=recipe,
        show_progress=False,
        on_epoch=lambda _, validation: curve.append(validation.unweighted_average_recall),
    )
    card = trained.card
    best = max(range(len(curve)), key=lambda i: (curve[i], -i)) + 1  # first epoch with the best recall
    assert card["kept_epoch"] == best
    assert card["epochs_run"] == min(8, best + 2)
    # the kept weights are that epoch's: they score its validation recall again
    assert card["validation"]["unweighted_average_recall"] == pytest.approx(curve[best - 1])


def test_specaugment_masks_stripes_and_is_seeded():
    spectrograms = torch.randn(4, 1, 128, 134)
    first = spec_augment(spectrograms, torch.Generator().manual_seed(0))
    again = spec_augment(spectrograms, torch.Generator().manual_seed(0))
    assert torch.equal(first, again)
    masked = first != spectrograms
    assert 0.02 < masked.float().mean() < 0.4
    floor = spectrograms.amin(dim=(-2, -1), keepdim=True).expand_as(spectrograms)
    assert torch.equal(first[masked], floor[masked])  # silence, not noise
    waveforms = torch.randn(2, 1, 1, 32_000)
    masked_wave = spec_augment(waveforms, torch.Generator().manual_seed(0))
    assert (masked_wave == 0).any() and ((masked_wave == 0) == (masked_wave != waveforms)).all()


def test_cli_train_options_reach_the_card(tmp_path, monkeypatch):
    monkeypatch.setenv("BSBENCH_CACHE", str(tmp_path))
    args = [
        "train",
        "--epochs",
        "1",
        "--batch-size",
        "16",
        "--augment",
        "specaugment",
        "--patience",
        "3",
        "--dataset-option",
        "speakers=4",
        "--dataset-option",
        "clips_per_class=2",
        "--dataset-option",
        "test_speakers=1",
        "--dataset-option",
        "validation_speakers=1",
        "-q",
    ]
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "test accuracy" in result.stdout
    rows = json.loads(CliRunner().invoke(app, ["models", "--json"]).stdout)
    card = json.loads((tmp_path / "models").glob("*/card.json").__next__().read_text())
    assert card["training"] == {
        **card["training"],
        "epochs": 1,
        "batch_size": 16,
        "augment": "specaugment",
        "patience": 3,
    }
    assert torch.__version__.startswith(card["versions"]["torch"])
    assert rows[0]["seconds_per_epoch"] == card["seconds_per_epoch"] > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--augment", "mixup"], "--augment 'mixup': choose one of none, specaugment"),
        (["--patience", "-1"], "--patience -1: must be 0 (off) or more"),
        (["--epochs", "0"], "--epochs 0: must be at least 1"),
        (["--model-option", "source=x"], "--model-option: model resnet-small takes no options (got source)"),
    ],
)
def test_cli_train_refuses_bad_options_in_one_line(args, message):
    from tests.test_run_chain import bsbench

    done = bsbench("train", *args)
    assert done.returncode != 0
    assert done.stderr.strip() == f"error: {message}"


def test_ctrl_c_keeps_the_last_epoch_and_the_same_command_resumes(tmp_path):
    from tests.test_run_chain import SMALL_OPTIONS

    environment = {**os.environ, "BSBENCH_CACHE": str(tmp_path)}
    command = [sys.executable, "-m", "bsbench", "train", *SMALL_OPTIONS, "--epochs", "20", "-q"]
    # a shell's background job inherits an ignored SIGINT; the child gets the default back, as at a terminal
    process = subprocess.Popen(
        command,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(f"models/*/{STATE_FILE}")) and time.monotonic() < deadline:
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    _, error = process.communicate(timeout=60)
    assert process.returncode == 130
    assert error.strip().splitlines()[-1].startswith("interrupted: the training resumes from its last finished epoch")
    resumed = subprocess.run(command, env=environment, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    card = json.loads(next(tmp_path.glob("models/*/card.json")).read_text())
    assert 1 <= card["resumed_at_epoch"] < 20 and card["epochs_run"] == 20
