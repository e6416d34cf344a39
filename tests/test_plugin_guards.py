"""Run-time guards: a plugin that breaks its protocol during a run is recorded by name and spoils nothing."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from bsbench.cli.app import app
from bsbench.core.errors import UsageError
from bsbench.core.parameters import NoParameters
from bsbench.grid.network_guard import NetworkGuard
from bsbench.grid.run_config import RunConfig
from bsbench.grid.runner import plan_run, run_benchmark
from bsbench.interfaces.hookspecs import hookimpl
from bsbench.registry.loader import load_registry
from tests.broken_plugins import BROKEN_METHODS, BROKEN_METRICS, BrokenPackage
from tests.conftest import SMALL_CORPUS

GOOD_METHODS = ("gradcam", "energy")
GOOD_METRICS = ("relevance-mass-accuracy", "pixel-flipping:steps=8")


def _config(tmp_path, name, methods, metrics, use_cache=True):
    return RunConfig(
        dataset_options=SMALL_CORPUS,
        methods=methods,
        metrics=metrics,
        limit=7,
        epochs=2,
        device="cpu",
        out=tmp_path / name,
        use_cache=use_cache,
    )


@pytest.fixture(scope="module")
def broken_registry():
    return load_registry(extra_plugins={"broken-test-package": BrokenPackage()})


@pytest.fixture(scope="module")
def runs(tmp_path_factory, broken_registry, small_model):
    """A run with the broken plugins first, a clean run computed afresh, and a clean run read from the cache."""
    tmp_path = tmp_path_factory.mktemp("guarded")
    broken = _config(tmp_path, "broken", BROKEN_METHODS + GOOD_METHODS, BROKEN_METRICS + GOOD_METRICS)
    clean = _config(tmp_path, "clean", GOOD_METHODS, GOOD_METRICS, use_cache=False)
    cached = _config(tmp_path, "cached", GOOD_METHODS, GOOD_METRICS)
    return [run_benchmark(c, broken_registry, show_progress=False) for c in (broken, clean, cached)]


def _good_values(rows: pd.DataFrame) -> pd.Series:
    kept = rows[rows.method.isin(GOOD_METHODS) & ~rows.metric.isin(BROKEN_METRICS)]
    return kept.set_index(["method", "metric", "clip_id"]).value.sort_index()


def test_every_broken_plugin_is_recorded_by_name_with_what_it_did(runs):
    failures = runs[0].manifest["failures"]
    errors = {f["stage"]: f["error"] for f in failures}
    assert "changed the values of" in errors["method weight-mutator"]
    assert "left hooks on <network>" in errors["method hook-leaver"]
    assert "training mode" in errors["method train-switcher"]
    assert "changed its inputs in place" in errors["method input-writer"]
    assert "shape (7, 3, 3)" in errors["method wrong-shape"]
    for method in GOOD_METHODS:
        assert "without a reason" in errors[f"metric silent-nan on {method}"]
        assert "changed the values of" in errors[f"metric weight-mutating-metric on {method}"]
    # each clip's failure names that clip
    assert all(f["clip_id"] in f["error"] for f in failures)
    assert {f["clip_id"] for f in failures if f["stage"] == "method wrong-shape"} == set(runs[0].rows.clip_id)


def test_broken_plugins_change_no_other_result_and_are_never_cached(runs):
    broken, clean, cached = runs
    assert len(_good_values(clean.rows)) == 2 * 2 * 7
    pd.testing.assert_series_equal(_good_values(broken.rows), _good_values(clean.rows))
    pd.testing.assert_series_equal(_good_values(cached.rows), _good_values(clean.rows))
    assert cached.manifest["pieces"]["computed"] == {}, "the clean pieces the broken run stored are read back"
    assert not broken.rows[broken.rows.method.isin(BROKEN_METHODS)].shape[0], "discarded maps are not scored"


def test_cli_exits_1_on_broken_plugins_unless_keep_going(tmp_path, monkeypatch, broken_registry, small_model):
    monkeypatch.setattr("bsbench.cli.shared.registry", lambda: broken_registry)
    common = ["run", *[a for k, v in SMALL_CORPUS.items() for a in ("--dataset-option", f"{k}={v}")]]
    common += ["--epochs", "2", "--limit", "7", "--device", "cpu", "-q", "-m", "weight-mutator", "-m", "energy"]
    common += ["--metric", "relevance-mass-accuracy"]
    failed = CliRunner().invoke(app, [*common, "--out", str(tmp_path / "a")])
    assert failed.exit_code == 1, failed.output
    assert "weight-mutator" in failed.output and "Traceback" not in failed.output
    kept_going = CliRunner().invoke(app, [*common, "--out", str(tmp_path / "b"), "--keep-going"])
    assert kept_going.exit_code == 0, kept_going.output


def test_guard_reports_and_undoes_each_kind_of_change(small_model):
    network = small_model.network
    reference = {k: v.clone() for k, v in network.state_dict().items()}
    guard = NetworkGuard(network)
    assert guard.changes() == []
    with guard.watch() as changed:
        next(network.parameters()).data.add_(1.0)
        network.train()
        handle = torch.nn.modules.module.register_module_forward_hook(lambda *a: None)
        next(network.parameters()).requires_grad_(False)
    assert len(changed) == 4, changed
    assert "left global module hooks registered" in changed
    assert guard.changes() == [] and not network.training
    assert all(torch.equal(network.state_dict()[k], v) for k, v in reference.items())
    assert all(p.requires_grad for p in network.parameters())
    handle.remove()  # already gone: removing twice is harmless


def test_guard_sees_a_change_that_raises(small_model):
    guard = NetworkGuard(small_model.network)
    with pytest.raises(RuntimeError), guard.watch() as changed:
        small_model.network.train()
        raise RuntimeError("half-way")
    assert changed and not small_model.network.training


def test_the_cleaned_network_predicts_as_before(small_model):
    guard = NetworkGuard(small_model.network)
    probe = torch.zeros(1, 1, *small_model.frontend.grid.shape)
    before = small_model.logits(probe)
    with guard.watch():
        for parameter in small_model.network.parameters():
            parameter.data.mul_(3.0)
    assert torch.equal(small_model.logits(probe), before)
    assert np.isfinite(before.numpy()).all()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("crp:layer=nonsense", "method crp: parameter layer='nonsense' is used only with concept"),
        ("crp:layer=nonsense,concept=3", "method crp: parameter layer='nonsense' names no layer of the network"),
        ("crp:concept_layer=nonsense", "parameter concept_layer='nonsense' names no layer"),
        ("gradcam:layer=head9", "method gradcam: parameter layer='head9' names no layer"),
        ("smoothgrad:samples=0", "method smoothgrad: parameter samples=0 must be at least 1"),
        ("integrated-gradients:baseline=loud", "parameter baseline='loud' is not one of floor, zero, mean"),
        ("lrp:composite=magic", "method lrp: parameter composite='magic' is not one of"),
        ("occlusion:window=1x999", "does not fit"),
    ],
)
def test_method_parameters_are_checked_before_any_work(tmp_path, monkeypatch, spec, message):
    def no_training(*args, **kwargs):
        raise AssertionError("trained before the parameters were checked")

    monkeypatch.setattr("bsbench.grid.runner.trained_model", no_training)
    config = _config(tmp_path, "refused", (spec,), ("relevance-mass-accuracy",))
    with pytest.raises(UsageError, match=re.escape(message)):
        run_benchmark(replace(config, epochs=1, seed=12345), load_registry(), show_progress=False)


class _NetworkRecorder:
    """A method whose parameter check records the network it is shown."""

    name = "network-recorder"
    description = "Records the network its parameters are checked against (test)."
    version = "1"
    cost = "baseline"
    parameters = NoParameters
    seen: ClassVar[list[torch.nn.Module]] = []

    def model_passes(self, params, grid):
        return 0

    def check_parameters(self, params, network, grid):
        self.seen.append(network)

    def explain(self, model, inputs, targets, params, seed):
        return inputs.detach().sum(dim=1).cpu().numpy()


class _RecorderPackage:
    @hookimpl
    def bsbench_register_methods(self, register):
        register(_NetworkRecorder())


def test_parameters_are_checked_on_the_cached_trained_network(tmp_path):
    registry = load_registry(extra_plugins={"recorder": _RecorderPackage()})
    config = _config(tmp_path, "recorded", ("network-recorder",), ("sparseness",))
    result = run_benchmark(config, registry, show_progress=False)  # trains the model, or finds it cached
    _NetworkRecorder.seen.clear()
    plan_run(config, registry)
    (network,) = _NetworkRecorder.seen
    trained = torch.load(result.manifest["model"]["card"]["checkpoint"], map_location="cpu", weights_only=True)
    assert network.state_dict().keys() == trained.keys()
    assert all(torch.equal(value, trained[key]) for key, value in network.state_dict().items())
