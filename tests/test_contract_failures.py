"""Broken plugins fail the contract checks, and each failure names the check, the plugin and the expectation.

The plugins below each break one rule, built on real built-ins (captum saliency,
librosa cues, Quantus sparseness, the synthetic corpus) so that only the broken rule
differs. The same checks run three ways: directly, as pytest tests through the base
classes (in a pytester session, which also proves the pytest11 fixture is found), and
through ``bsbench check`` on an installed-looking third-party package.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from bsbench_plugins.cues.librosa_cues import LibrosaCues
from bsbench_plugins.datasets.synthetic import SyntheticDataset
from bsbench_plugins.methods.gradients import SaliencyMethod
from bsbench_plugins.metrics.quantus_complexity import SparsenessMetric

from bsbench.contracts.catalogue import checks_for
from bsbench.contracts.context import CheckContext
from bsbench.contracts.contract import FAILING, CheckResult, declared_failures, run_check
from bsbench.core.types import Corpus
from bsbench.interfaces.protocols import DatasetRequest, as_scores
from tests.conftest import SMALL_CORPUS
from tests.fake_distributions import make_distribution

pytest_plugins = ["pytester"]


class MutatingMethod(SaliencyMethod):
    name = "mutating"

    def explain(self, model, inputs, targets, params, seed):
        relevance = super().explain(model, inputs, targets, params, seed)
        with torch.no_grad():
            model.network.conv1.weight.mul_(1.0001)  # "normalises" the first layer in place
        return relevance


class SeedlessMethod(SaliencyMethod):
    name = "seedless"

    def explain(self, model, inputs, targets, params, seed):
        return super().explain(model, inputs, targets, params, seed) + np.random.default_rng().random()


class HookLeavingMethod(SaliencyMethod):
    name = "hook-leaving"

    def explain(self, model, inputs, targets, params, seed):
        model.network.conv1.register_forward_hook(lambda *_: None)  # never removed
        return super().explain(model, inputs, targets, params, seed)


class WrongGridMethod(SaliencyMethod):
    name = "wrong-grid"

    def explain(self, model, inputs, targets, params, seed):
        return super().explain(model, inputs, targets, params, seed)[:, ::2]  # half the mel bins


class ClassBlindMethod(SaliencyMethod):
    name = "class-blind"

    def explain(self, model, inputs, targets, params, seed):
        return super().explain(model, inputs, torch.zeros_like(targets), params, seed)


class OverdeclaredMethod(SaliencyMethod):
    name = "overdeclared"

    def model_passes(self, params, grid):
        return 2  # the backward pass counted as a second forward one


class PredictionCheckingMethod(SaliencyMethod):
    name = "prediction-checking"

    def explain(self, model, inputs, targets, params, seed):
        model.logits(inputs)  # "checks" the prediction first: a forward pass the declaration of 1 forgets
        return super().explain(model, inputs, targets, params, seed)


class UndeclaredCostMethod(SaliencyMethod):
    name = "undeclared-cost"
    model_passes = None


class SilenceCrashCues(LibrosaCues):
    name = "silence-crash"

    def extract(self, clip):
        if not np.abs(clip.waveform).max():
            raise ZeroDivisionError("peak normalisation of an all-zero clip")
        return super().extract(clip)


class ShortMetric(SparsenessMetric):
    name = "short"

    def score(self, batch, params):
        return {"": np.asarray(as_scores(super().score(batch, params)).columns[""])[:-1]}


class DriftingDataset(SyntheticDataset):
    name = "drifting"
    loads = 0

    def load(self, request: DatasetRequest) -> Corpus:
        DriftingDataset.loads += 1  # a split drawn from a global counter, not the seed
        return super().load(DatasetRequest(request.data_dir, request.seed + DriftingDataset.loads, request.options))


@pytest.fixture(scope="module")
def context(registry) -> CheckContext:
    return CheckContext(registry=registry, default_request=DatasetRequest(options=SMALL_CORPUS))


def check(plugin, kind: str, name: str, context: CheckContext, declared=None) -> CheckResult:
    (found,) = [c for c in checks_for(kind) if c.name == name]
    return run_check(found, plugin, context, declared_failures(plugin, declared))


BROKEN = [
    (
        MutatingMethod(),
        "method",
        "leaves-model-and-input-unchanged",
        "model's state unchanged; changed: conv1.weight",
    ),
    (SeedlessMethod(), "method", "deterministic-under-a-seed", "expected the same map from two calls with seed 3"),
    (HookLeavingMethod(), "method", "leaves-model-and-input-unchanged", "no hooks left on the network; 1 remain"),
    (WrongGridMethod(), "method", "finite-maps-on-the-grid", "expected relevance shaped (3, 128, 134)"),
    (ClassBlindMethod(), "method", "respects-the-target", "a different map when asked about a different class"),
    (
        OverdeclaredMethod(),
        "method",
        "makes-the-declared-passes",
        "expected 2 model passes per clip, as model_passes declares; explain made 1",
    ),
    (
        PredictionCheckingMethod(),
        "method",
        "makes-the-declared-passes",
        "expected 1 model passes per clip, as model_passes declares; explain made 2",
    ),
    (SilenceCrashCues(), "cues", "survives-silence", "raised ZeroDivisionError: peak normalisation"),
    (ShortMetric(), "metric", "one-score-per-clip", "expected 3 values for 3 clips, got shape (2,)"),
    (DriftingDataset(), "dataset", "splits-fixed-by-the-seed", "same clips, labels and splits on a second load"),
]


@pytest.mark.parametrize(("plugin", "kind", "name", "expectation"), BROKEN, ids=[case[0].name for case in BROKEN])
def test_a_broken_plugin_fails_the_check_it_breaks(context, plugin, kind, name, expectation):
    result = check(plugin, kind, name, context)
    assert (result.status, result.plugin, result.check) == ("fail", plugin.name, name)
    assert expectation in result.detail


def test_the_broken_plugins_pass_every_other_check(context):
    """Each broken plugin breaks one rule only: a check that fails for a sound plugin would be a defect."""
    assert check(MutatingMethod(), "method", "respects-the-target", context).status == "pass"
    assert check(SilenceCrashCues(), "cues", "returns-the-declared-cues", context).status == "pass"
    assert check(ShortMetric(), "metric", "declares-direction-and-needs", context).status == "pass"
    assert check(PredictionCheckingMethod(), "method", "leaves-model-and-input-unchanged", context).status == "pass"


def test_the_passes_are_counted_only_against_a_declaration(context):
    assert check(SaliencyMethod(), "method", "makes-the-declared-passes", context).status == "pass"
    undeclared = check(UndeclaredCostMethod(), "method", "makes-the-declared-passes", context)
    assert (undeclared.status, undeclared.detail) == ("not applicable", "the method declares no model_passes")


def test_declarations_turn_failures_into_expected_ones_and_stale_ones_fail(context):
    reason = {"respects-the-target": "explains the first class on purpose"}
    declared = check(ClassBlindMethod(), "method", "respects-the-target", context, reason)
    assert declared.status == "expected failure" and declared.detail.startswith("explains the first class on purpose")
    stale = check(SaliencyMethod(), "method", "respects-the-target", context, reason)
    assert stale.status == "unexpected pass" and stale.failed
    assert "declared as failing (explains the first class on purpose) but passes" in stale.detail


def test_a_name_taken_by_another_package_fails_name_unique(context):
    class Impostor(SparsenessMetric):
        pass

    Impostor.name = "sparseness"
    result = check(Impostor(), "metric", "name-unique", context)
    assert result.status == "fail" and "'sparseness' is already registered by 'bsbench'" in result.detail


BASE_CLASS_TESTS = """
import pytest
from bsbench.testing import MethodContract
from tests.test_contract_failures import MutatingMethod, ClassBlindMethod

class TestMutating(MethodContract):
    @pytest.fixture
    def plugin(self):
        return MutatingMethod()

class TestClassBlind(MethodContract):
    expected_failures = {"respects-the-target": "explains the first class on purpose"}

    @pytest.fixture
    def plugin(self):
        return ClassBlindMethod()
"""


def test_base_classes_give_one_readable_test_per_check(pytester: pytest.Pytester):
    pytester.makepyfile(test_author=BASE_CLASS_TESTS)
    pytester.syspathinsert(Path(__file__).parents[1])
    outcome = pytester.runpytest("-p", "no:cacheprovider", "-rfx")
    n = len(checks_for("method"))
    outcome.assert_outcomes(passed=2 * n - 3, failed=2, xfailed=1)
    outcome.stdout.fnmatch_lines(
        [
            "E*ContractViolation: method 'mutating' fails leaves-model-and-input-unchanged: expected the model's "
            "state unchanged; changed: conv1.weight",
            "FAILED test_author.py::TestMutating::test_deterministic_under_a_seed*",
            "FAILED test_author.py::TestMutating::test_leaves_model_and_input_unchanged*",
            "XFAIL test_author.py::TestClassBlind::test_respects_the_target*",
        ],
        consecutive=False,
    )
    assert "run_check(" not in outcome.stdout.str()  # the check machinery is hidden from the traceback


BROKEN_PACKAGE = """
import torch
from bsbench import hookimpl
from bsbench_plugins.methods.gradients import SaliencyMethod

class MutatingMethod(SaliencyMethod):
    name = "mutating"
    description = "Saliency that rescales the first layer in place (a test plugin)."

    def explain(self, model, inputs, targets, params, seed):
        relevance = super().explain(model, inputs, targets, params, seed)
        with torch.no_grad():
            model.network.conv1.weight.mul_(1.0001)
        return relevance

@hookimpl
def bsbench_register_methods(register):
    register(MutatingMethod())
"""


CLASHING_PACKAGE = """
from bsbench import hookimpl
from bsbench_plugins.methods.random_baseline import RandomMethod

class ClashingRandom(RandomMethod):
    description = "Random relevance, another package's (a test plugin)."

class NoExplain:
    name = "no-explain"
    description = "Forgets explain()."
    version = "1"
    cost = "baseline"
    parameters = RandomMethod.parameters

@hookimpl
def bsbench_register_methods(register):
    register(ClashingRandom())
    register(NoExplain())
"""

MUTATING = ("bsbench-mutating", "bsbench_mutating", BROKEN_PACKAGE)
CLASHING = ("bsbench-clashing", "bsbench_clashing", CLASHING_PACKAGE)


def run_check_command(
    tmp_path: Path, *arguments: str, distribution: tuple[str, str, str] = MUTATING
) -> subprocess.CompletedProcess:
    root = tmp_path / distribution[1]
    if not root.exists():
        root.mkdir()
        make_distribution(root, *distribution)
    env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    command = [sys.executable, "-m", "bsbench", "check", *arguments]
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False)


def test_bsbench_check_prints_the_table_and_exits_1_on_a_failure(tmp_path: Path):
    done = run_check_command(tmp_path, "mutating", "saliency", "--json")
    assert done.returncode == 1, done.stderr
    results = {(r["plugin"], r["check"]): r for r in json.loads(done.stdout)}
    assert len(results) == 2 * len(checks_for("method"))
    # the changed weights also change the second explanation: two rules broken, saliency untouched by either
    failed = [key for key, r in results.items() if r["status"] != "pass"]
    assert failed == [("mutating", "deterministic-under-a-seed"), ("mutating", "leaves-model-and-input-unchanged")]
    assert "changed: conv1.weight" in results[failed[1]]["detail"]
    assert done.stderr.strip().splitlines()[-1] == f"2 of {len(results)} checks failed"


def test_bsbench_check_passes_sound_plugins_and_refuses_bad_names(tmp_path: Path):
    sound = run_check_command(tmp_path, "saliency", "praat", "consensus", "-q")
    assert sound.returncode == 0, sound.stdout + sound.stderr
    table = sound.stdout.splitlines()
    assert table[0].split() == ["kind", "plugin", "package", "check", "status", "detail"]
    assert sum(" pass" in line for line in table) == len(
        checks_for("method") + checks_for("cues") + checks_for("profile")
    )
    unknown = subprocess.run([sys.executable, "-m", "bsbench", "check", "crpp"], capture_output=True, text=True)
    assert unknown.returncode == 2 and "unknown plugin 'crpp'; valid names:" in unknown.stderr
    bad_kind = subprocess.run(
        [sys.executable, "-m", "bsbench", "check", "crp", "--kind", "dataset"], capture_output=True, text=True
    )
    assert bad_kind.returncode == 2 and "unknown dataset 'crp'" in bad_kind.stderr


def test_bsbench_check_checks_every_candidate_of_a_name_and_blames_the_package_that_clashes(tmp_path: Path):
    done = run_check_command(tmp_path, "random", "--json", distribution=CLASHING)
    assert done.returncode == 1, done.stderr
    results = json.loads(done.stdout)
    assert {r["package"] for r in results} == {"bsbench", "bsbench-clashing"}
    methods = {c.name for c in checks_for("method")}
    for package in ("bsbench", "bsbench-clashing"):
        assert {r["check"] for r in results if r["package"] == package} == methods
    failed = [(r["package"], r["check"], r["detail"]) for r in results if r["status"] in FAILING]
    assert failed == [
        (
            "bsbench-clashing",
            "name-unique",
            "expected a name of its own; method 'random' is already registered by 'bsbench', whose plugin runs "
            "under that name",
        )
    ]


def test_bsbench_check_reports_a_plugin_rejected_at_load_with_its_reason(tmp_path: Path):
    done = run_check_command(tmp_path, "no-explain", distribution=CLASHING)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip().splitlines()[-1] == (
        "method no-explain from package bsbench-clashing was rejected at load: breaks the method protocol: "
        "missing explain"
    )
    assert "unknown" not in done.stderr
