"""The hf-audio model plugin, on a tiny randomly initialised wav2vec 2.0 saved to disk.

The model is real transformers code end to end: saved with ``save_pretrained``, loaded
offline, trained by bsbench's loop, reloaded from a weights-only checkpoint and
explained with captum.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from bsbench_plugins.methods.gradcam import GradCamMethod, GradCamParameters
from bsbench_plugins.methods.layers import find_layer
from bsbench_plugins.models.hf_audio import NEEDS_SOURCE, NEEDS_TRANSFORMERS, HFAudioPlugin
from captum.attr import LayerGradCam
from torch import nn

from bsbench.audio.frontend import WaveformSettings
from bsbench.core.errors import CheckpointError, UsageError
from bsbench.core.types import Corpus
from bsbench.interfaces.protocols import LoadedModel
from bsbench.models.store import load_checkpoint
from bsbench.models.training import train_model
from tests.tiny_wav2vec2 import SAMPLE_RATE, SAVED_LABELS, tiny_config

CPU = torch.device("cpu")
LAST_ENCODER_CONV = "model.wav2vec2.feature_extractor.conv_layers.1.conv"


@pytest.fixture(scope="module")
def plugin(tiny_source: Path) -> HFAudioPlugin:
    return HFAudioPlugin().configure({"source": str(tiny_source)})


@pytest.fixture
def network_attempts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every connection or name lookup tried during the test, each refused at once."""
    attempts: list[str] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(repr(args[-1] if args else kwargs))
        raise OSError("tests run without network")

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- loading ----------------------------------------------------------------------------


def test_local_directory_loads_offline_with_saved_backbone(
    tiny_source: Path, small_corpus: Corpus, network_attempts: list[str]
) -> None:
    from safetensors.torch import load_file

    plugin = HFAudioPlugin().configure({"source": str(tiny_source)})
    network = plugin.build(7).eval()
    loaded = LoadedModel(plugin, network, plugin.frontend(), small_corpus.labels, CPU, {})
    logits = loaded.logits(loaded.features(small_corpus.clips[:3]))

    assert logits.shape == (3, 7)
    assert torch.isfinite(logits).all()
    assert network_attempts == []
    saved = load_file(tiny_source / "model.safetensors")
    current = network.model.state_dict()
    assert set(saved) == set(current)
    for key, tensor in saved.items():
        if key.startswith("classifier."):
            assert tensor.shape[0] == len(SAVED_LABELS)
            assert current[key].shape[0] == 7
        else:
            torch.testing.assert_close(current[key], tensor, rtol=0, atol=0, msg=key)


def test_configure_reads_the_directory_and_identifies_the_weights(tiny_source: Path, plugin: HFAudioPlugin) -> None:
    assert plugin.options == {
        "source": str(tiny_source),
        "path": str(tiny_source.resolve()),
        "config_sha256": sha256(tiny_source / "config.json"),
        "weights_sha256": sha256(tiny_source / "model.safetensors"),
        "revision": None,
    }
    assert json.loads(json.dumps(plugin.options)) == plugin.options
    assert plugin.frontend().settings == WaveformSettings(sample_rate=SAMPLE_RATE, standardize=False)
    assert plugin.checkpoint_labels == SAVED_LABELS
    # The feature encoder's last convolution, not the positional convolution that follows it.
    assert plugin.explain_layer == LAST_ENCODER_CONV
    modules = dict(plugin.build(2).named_modules())
    assert isinstance(modules[plugin.explain_layer], nn.Conv1d)
    assert isinstance(modules["model.wav2vec2.encoder.pos_conv_embed.conv"], nn.Conv1d)


def test_configure_returns_a_new_instance_and_leaves_the_registered_one_alone(registry, tiny_source: Path) -> None:
    registered = registry.get("model", "hf-audio")
    configured = registered.configure({"source": str(tiny_source)})

    assert configured is not registered
    assert registered.options == {}
    assert registered.explain_layer == ""
    with pytest.raises(UsageError) as caught:
        registered.build(7)
    assert str(caught.value) == NEEDS_SOURCE


def test_generic_labels_are_not_checkpoint_labels(tmp_path: Path) -> None:
    from transformers import Wav2Vec2FeatureExtractor

    tiny_config(id2label=None, label2id=None, num_labels=3).save_pretrained(tmp_path)
    Wav2Vec2FeatureExtractor().save_pretrained(tmp_path)
    plugin = HFAudioPlugin().configure({"source": str(tmp_path)})

    assert plugin.checkpoint_labels == ()
    assert plugin.options["weights_sha256"] is None


def test_config_without_weights_builds_from_the_config(tmp_path: Path) -> None:
    tiny_config().save_pretrained(tmp_path)
    plugin = HFAudioPlugin().configure({"source": str(tmp_path)})
    torch.manual_seed(5)
    first = plugin.build(4).state_dict()
    torch.manual_seed(5)
    second = plugin.build(4).state_dict()

    assert plugin.frontend().settings == WaveformSettings()  # no preprocessor_config.json: 16 kHz, standardised
    assert first["model.classifier.weight"].shape == (4, 8)
    assert all(torch.equal(first[key], second[key]) for key in first)


# --- training and checkpoints -----------------------------------------------------------


def test_trained_weights_reload_from_a_weights_only_checkpoint(
    plugin: HFAudioPlugin, small_corpus: Corpus, tmp_path: Path
) -> None:
    trained = train_model(
        plugin, small_corpus, seed=0, device=CPU, config=replace(plugin.training, epochs=1), show_progress=False
    )
    assert trained.card["frontend"]["kind"] == "waveform"
    assert trained.card["frontend"]["sample_rate"] == SAMPLE_RATE
    assert trained.card["model_options"] == plugin.options

    path = tmp_path / "hf-audio.pt"
    torch.save({name: tensor.detach().cpu() for name, tensor in trained.network.state_dict().items()}, path)
    path.with_name(path.name + ".card.json").write_text(json.dumps(trained.card))
    loaded = load_checkpoint(plugin, path, CPU)

    features = loaded.features(small_corpus.clips[:4])
    with torch.no_grad():
        expected = trained.network.eval()(features)
    assert loaded.labels == small_corpus.labels
    torch.testing.assert_close(loaded.logits(features), expected)


def test_same_seed_builds_the_same_head(plugin: HFAudioPlugin) -> None:
    torch.manual_seed(0)
    first = plugin.build(7).state_dict()
    torch.manual_seed(0)
    second = plugin.build(7).state_dict()
    torch.manual_seed(1)
    other = plugin.build(7).state_dict()

    assert first.keys() == second.keys()
    assert all(torch.equal(first[key], second[key]) for key in first)
    assert not torch.equal(first["model.classifier.weight"], other["model.classifier.weight"])
    # The backbone comes from the file whatever the seed.
    key = "model.wav2vec2.feature_extractor.conv_layers.0.conv.weight"
    assert torch.equal(first[key], other[key])


def test_training_masks_follow_torch_seed_not_numpy_state(plugin: HFAudioPlugin) -> None:
    """wav2vec 2.0 draws its time masks from NumPy; the wrapper seeds them from torch."""
    network = plugin.build(3).train()
    inputs = torch.randn(2, 1, 1, 2 * SAMPLE_RATE)

    outputs = []
    for numpy_seed in (11, 12):
        np.random.seed(numpy_seed)
        before = np.random.get_state()
        torch.manual_seed(3)
        outputs.append(network(inputs).detach())
        after = np.random.get_state()
        assert before[0] == after[0] and np.array_equal(before[1], after[1]) and before[2:] == after[2:]
    torch.manual_seed(4)
    reseeded = network(inputs).detach()

    torch.testing.assert_close(outputs[0], outputs[1], rtol=0, atol=0)
    assert not torch.allclose(outputs[0], reseeded)


# --- explaining -------------------------------------------------------------------------


def test_gradcam_on_the_explain_layer_covers_the_waveform(plugin: HFAudioPlugin, small_corpus: Corpus) -> None:
    network = plugin.build(len(small_corpus.labels)).eval()
    loaded = LoadedModel(plugin, network, plugin.frontend(), small_corpus.labels, CPU, {})
    inputs = loaded.features(small_corpus.clips[:2])
    targets = torch.tensor([0, 3])

    layer = find_layer(network, plugin.explain_layer, "gradcam")
    cam = LayerGradCam(network, layer).attribute(inputs, target=targets, relu_attributions=False)
    relevance = GradCamMethod().explain(loaded, inputs, targets, GradCamParameters(relu=False), 0)

    assert cam.shape == (2, 1, 99)  # one value per feature-encoder frame
    assert relevance.shape == (2, 1, 2 * SAMPLE_RATE)
    assert np.isfinite(relevance).all()
    assert np.abs(relevance).sum() > 0


# --- errors -----------------------------------------------------------------------------


def test_missing_directory_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    with pytest.raises(UsageError, match="no such directory") as caught:
        HFAudioPlugin().configure({"source": str(missing)})
    assert str(missing) in str(caught.value)
    with pytest.raises(UsageError, match=r"source=\./not-here: no such directory"):
        HFAudioPlugin().configure({"source": "./not-here"})
    with pytest.raises(UsageError, match="is not a directory"):
        HFAudioPlugin().configure({"source": str(Path(__file__))})


def test_unknown_option_and_empty_source_are_refused(tiny_source: Path) -> None:
    with pytest.raises(UsageError) as caught:
        HFAudioPlugin().configure({"source": str(tiny_source), "revision": "main"})
    assert str(caught.value) == "--model-option revision: hf-audio takes only source=<directory or hub id>"
    with pytest.raises(UsageError) as caught:
        HFAudioPlugin().configure({"source": "  "})
    assert str(caught.value) == NEEDS_SOURCE


def test_unconfigured_plugin_asks_for_a_source() -> None:
    for call in (lambda: HFAudioPlugin().build(7), HFAudioPlugin().frontend):
        with pytest.raises(UsageError) as caught:
            call()
        assert str(caught.value) == NEEDS_SOURCE


def test_custom_code_is_refused_and_never_run(tmp_path: Path) -> None:
    source = tmp_path / "custom"
    source.mkdir()
    sentinel = tmp_path / "custom-code-ran"
    auto_map = {
        "AutoConfig": "configuration_evil.EvilConfig",
        "AutoModelForAudioClassification": "modeling_evil.EvilModel",
    }
    (source / "config.json").write_text(json.dumps({"model_type": "evil-audio", "auto_map": auto_map}))
    for module in ("configuration_evil.py", "modeling_evil.py"):
        (source / module).write_text(f"open({str(sentinel)!r}, 'w').close()\n")

    with pytest.raises(CheckpointError) as caught:
        HFAudioPlugin().configure({"source": str(source)})

    message = str(caught.value)
    assert "\n" not in message
    assert str(source) in message
    assert "custom code" in message
    assert not sentinel.exists()


@pytest.mark.parametrize(
    ("config", "reason"),
    [
        ({"model_type": "no-such-model"}, "transformers does not know its model_type 'no-such-model'"),
        ({"model_type": "bert"}, "model_type 'bert' has no audio-classification head"),
        ({"model_type": "whisper"}, "WhisperForAudioClassification reads input_features"),
        ({"model_type": "audio-spectrogram-transformer"}, "has no 1-D convolution"),
    ],
)
def test_unusable_configs_give_one_line(tmp_path: Path, config: dict, reason: str) -> None:
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError) as caught:
        HFAudioPlugin().configure({"source": str(tmp_path)})
    message = str(caught.value)
    assert message.startswith(f"model hf-audio: source {tmp_path}: ")
    assert reason in message
    assert "\n" not in message


def test_broken_config_files_give_one_line(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r"no config\.json"):
        HFAudioPlugin().configure({"source": str(tmp_path)})
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match=r"config\.json is not valid JSON"):
        HFAudioPlugin().configure({"source": str(tmp_path)})


def test_weights_missing_backbone_tensors_are_refused(tiny_source: Path, tmp_path: Path) -> None:
    """Transformers would fill them in at random and only say so in the load report bsbench silences."""
    from safetensors.torch import load_file, save_file

    source = tmp_path / "damaged"
    shutil.copytree(tiny_source, source)
    weights = load_file(source / "model.safetensors")
    del weights["wav2vec2.feature_projection.projection.weight"]
    save_file(weights, source / "model.safetensors", metadata={"format": "pt"})
    plugin = HFAudioPlugin().configure({"source": str(source)})

    with pytest.raises(CheckpointError, match=r"1 backbone weights missing \(wav2vec2\.feature_projection"):
        plugin.build(7)


@pytest.fixture
def offline_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, network_attempts: list[str]) -> Path:
    """An empty hub cache in offline mode; returns the cache folder.

    The hub reads HF_HUB_OFFLINE and its cache folder once, on import, so the module's
    constants are patched; without offline mode a missing repository is retried for
    half a minute.
    """
    import huggingface_hub.constants

    cache = tmp_path / "hub-cache"
    cache.mkdir()
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    return cache


def test_hub_id_loads_from_the_hub_cache_pinned_to_its_commit(
    tiny_source: Path, offline_hub: Path, network_attempts: list[str]
) -> None:
    from safetensors.torch import load_file, save_file

    commit = "0123456789abcdef0123456789abcdef01234567"
    repository = offline_hub / "models--bsbench-tests--tiny-wav2vec2"
    shutil.copytree(tiny_source, repository / "snapshots" / commit)
    (repository / "refs").mkdir()
    (repository / "refs" / "main").write_text(commit)

    plugin = HFAudioPlugin().configure({"source": "bsbench-tests/tiny-wav2vec2"})
    # The repository moves on after configuring: a newer commit with other weights.
    newer = "fedcba9876543210fedcba9876543210fedcba98"
    shutil.copytree(tiny_source, repository / "snapshots" / newer)
    weights = load_file(tiny_source / "model.safetensors")
    save_file(
        {k: torch.zeros_like(v) for k, v in weights.items()}, repository / "snapshots" / newer / "model.safetensors"
    )
    (repository / "refs" / "main").write_text(newer)
    network = plugin.build(7)

    assert plugin.options == {
        "source": "bsbench-tests/tiny-wav2vec2",
        "path": None,
        "config_sha256": sha256(tiny_source / "config.json"),
        "weights_sha256": None,
        "revision": commit,
    }
    assert plugin.frontend().settings.sample_rate == SAMPLE_RATE
    assert plugin.explain_layer in dict(network.named_modules())
    key = "wav2vec2.feature_projection.projection.weight"
    torch.testing.assert_close(network.model.state_dict()[key], weights[key], rtol=0, atol=0)
    assert network_attempts == []


def test_unreachable_hub_id_gives_one_line(offline_hub: Path, network_attempts: list[str]) -> None:
    with pytest.raises(CheckpointError) as caught:
        HFAudioPlugin().configure({"source": "bsbench-tests/no-such-model"})
    message = str(caught.value)
    assert message.startswith("model hf-audio: source bsbench-tests/no-such-model: not a local directory")
    assert "\n" not in message
    assert network_attempts == []


def test_missing_transformers_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, tiny_source: Path) -> None:
    monkeypatch.setitem(sys.modules, "transformers", None)  # makes `import transformers` raise ImportError
    with pytest.raises(UsageError) as caught:
        HFAudioPlugin().configure({"source": str(tiny_source)})
    assert str(caught.value) == NEEDS_TRANSFORMERS


def test_loading_prints_nothing_and_restores_transformers_logging(tiny_source: Path, capfd) -> None:
    """The load report and progress bars about the re-initialised head are noise in a benchmark run."""
    from transformers.utils import logging

    verbosity = logging.get_verbosity()
    HFAudioPlugin().configure({"source": str(tiny_source)}).build(7)

    captured = capfd.readouterr()
    assert captured.out == ""
    assert captured.err == ""
    assert logging.get_verbosity() == verbosity
    assert logging.is_progress_bar_enabled()


def test_cli_run_fine_tunes_and_explains_a_local_model(tiny_source: Path, tmp_path: Path) -> None:
    from tests.test_run_chain import SMALL_OPTIONS, bsbench

    out = tmp_path / "run"
    done = bsbench(
        "run", *SMALL_OPTIONS, "--model", "hf-audio", "--model-option", f"source={tiny_source}", "--epochs", "1",
        "--limit", "2", "-m", "gradcam", "-m", "random", "--metric", "faithfulness-correlation",
        "--device", "cpu", "-q", "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    card = manifest["model"]["card"]
    assert card["model_options"]["path"] == str(tiny_source.resolve())
    assert card["frontend"]["kind"] == "waveform" and card["epochs_run"] == 1
    assert manifest["failures"] == []
    assert "model hf-audio trained on synthetic: test accuracy" in done.stdout
