"""Every built-in plugin passes its kind's contract, through the same helper plugin authors use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from bsbench_plugins.models.hf_audio import HFAudioPlugin

from bsbench.contracts.catalogue import checks_for
from bsbench.contracts.context import CheckContext
from bsbench.contracts.contract import run_check
from bsbench.interfaces.protocols import DatasetRequest
from bsbench.registry.loader import load_registry
from bsbench.testing import parametrize_with_checks
from tests.conftest import QUICK_METHOD_PARAMETERS, SMALL_CORPUS
from tests.corpus_trees import make_crema_d, make_emodb, make_ravdess, make_savee, make_tess

TREES = {"tess": make_tess, "crema-d": make_crema_d, "ravdess": make_ravdess, "savee": make_savee, "emodb": make_emodb}


def builtin_plugins() -> list[Any]:
    return [record.plugin for record in load_registry().records() if record.package == "bsbench"]


def write_folder_corpus(root: Path) -> Path:
    """Twelve tones in three classes from six speakers, listed in labels.csv: the ``folder`` dataset's layout."""
    rows = ["path,label,speaker"]
    for index in range(12):
        tone = 0.2 * np.sin(2 * np.pi * (120 + 10 * index) * np.arange(8000) / 16_000)
        (root / "clips").mkdir(parents=True, exist_ok=True)
        sf.write(root / "clips" / f"c{index:02d}.wav", tone, 16_000)
        rows.append(f"clips/c{index:02d}.wav,{('angry', 'happy', 'sad')[index % 3]},s{index % 6}")
    (root / "labels.csv").write_text("\n".join(rows) + "\n")
    return root


@pytest.fixture(scope="module")
def bsbench_check_context(registry, tmp_path_factory: pytest.TempPathFactory) -> CheckContext:
    """The check context with a generated tree for every corpus and cheaper costly methods."""
    root = tmp_path_factory.mktemp("contract-corpora")
    requests = {name: DatasetRequest(data_dir=make(root / name).root) for name, make in TREES.items()}
    requests["folder"] = DatasetRequest(data_dir=write_folder_corpus(root / "folder"))
    requests["synthetic"] = DatasetRequest(options=SMALL_CORPUS)
    return CheckContext(registry=registry, dataset_requests=requests, parameters=QUICK_METHOD_PARAMETERS)


@pytest.fixture(scope="module")
def configured(tiny_source: Path):
    """The object to check for a registered plugin: hf-audio needs its source; the others are checked as registered."""

    def configure(plugin: Any) -> Any:
        return plugin.configure({"source": str(tiny_source)}) if isinstance(plugin, HFAudioPlugin) else plugin

    return configure


@parametrize_with_checks(builtin_plugins())
def test_builtin_plugins_honour_their_contract(plugin, check, configured, bsbench_check_context):
    check(configured(plugin), bsbench_check_context)


@pytest.mark.parametrize("model", ["crnn", "wav-cnn"])
def test_builtin_methods_honour_their_contract_on_other_networks(registry, model):
    """A CRNN and a raw-waveform network: no method may assume a CNN on a log-mel grid."""
    context = CheckContext(registry=registry, model_plugin=model, parameters=QUICK_METHOD_PARAMETERS)
    results = [
        run_check(check, record.plugin, context, dict(getattr(record.plugin, "expected_check_failures", {})))
        for record in registry.records("method")
        if record.package == "bsbench"
        for check in checks_for("method")
    ]
    failed = [f"{r.plugin} {r.check}: {r.detail}" for r in results if r.failed or r.status == "not applicable"]
    assert not failed
    # random, constant, energy and spectral-flux ignore the class by design
    assert sum(r.status == "expected failure" for r in results) == 4
