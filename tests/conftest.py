"""Shared fixtures: an isolated cache, a small synthetic corpus, a small trained model."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from bsbench.core.types import Corpus
from bsbench.interfaces.protocols import DatasetRequest, LoadedModel, TrainingConfig
from bsbench.models.store import trained_model
from bsbench.registry.loader import Registry, load_registry
from tests.tiny_wav2vec2 import save_tiny_source

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "paper-checkpoints"
PAPER_TESS = FIXTURES / "best_model_tess.pth"

#: Cheaper settings for the costly methods: the same code paths, fewer passes.
QUICK_METHOD_PARAMETERS = {
    "occlusion": {"window": "16x10", "stride": "16x5"},
    "integrated-gradients": {"steps": "8"},
    "gradient-shap": {"samples": "4"},
    "smoothgrad": {"samples": "4"},
}
#: Four speakers, two clips per class: 56 clips, enough to exercise every path in seconds.
SMALL_CORPUS = {"speakers": "4", "clips_per_class": "2", "test_speakers": "1", "validation_speakers": "1"}


@pytest.fixture(autouse=True, scope="session")
def isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Never read or write the user's real cache from tests."""
    root = tmp_path_factory.mktemp("bsbench-cache")
    patcher = pytest.MonkeyPatch()
    patcher.setenv("BSBENCH_CACHE", str(root))
    yield root
    patcher.undo()


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry()


@pytest.fixture(scope="session")
def small_corpus(registry: Registry) -> Corpus:
    return registry.get("dataset", "synthetic").load(DatasetRequest(seed=0, options=SMALL_CORPUS))


@pytest.fixture(scope="session")
def small_model(registry: Registry, small_corpus: Corpus) -> LoadedModel:
    """resnet-small trained for two epochs: not accurate, but real weights through the real path."""
    return trained_model(
        registry.get("model", "resnet-small"),
        small_corpus,
        seed=0,
        device=torch.device("cpu"),
        config=replace(TrainingConfig(), epochs=2),
        show_progress=False,
    )


@pytest.fixture(scope="session")
def tiny_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny wav2vec 2.0 directory (config, safetensors weights, preprocessor) for the hf-audio plugin."""
    pytest.importorskip("transformers")
    return save_tiny_source(tmp_path_factory.mktemp("tiny-wav2vec2"))
