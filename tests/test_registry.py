"""The plugin registry: built-ins through entry points, third-party packages, and broken ones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bsbench.core.errors import UnknownPluginError
from bsbench.registry.loader import KINDS, PluginLoadWarning, load_registry, protocol_violations
from tests.fake_distributions import make_distribution

GOOD_PLUGIN = """
from dataclasses import dataclass
import numpy as np
from bsbench import hookimpl

@dataclass(frozen=True)
class NoParameters:
    pass

class EdgeMethod:
    name = "edge"
    description = "Relevance on spectral edges (a test plugin)."
    version = "2.0"
    cost = "baseline"
    parameters = NoParameters

    def explain(self, model, inputs, targets, params, seed):
        return np.abs(np.diff(inputs[:, 0].numpy(), axis=-1, prepend=0.0))

class ShadowRandom(EdgeMethod):
    name = "random"

class NoExplain:
    name = "broken-method"
    description = "Forgets explain()."
    version = "1"
    cost = "baseline"
    parameters = NoParameters

@hookimpl
def bsbench_register_methods(register):
    register(EdgeMethod())
    register(ShadowRandom())
    register(NoExplain())
"""


@pytest.fixture
def third_party(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_distribution(tmp_path, "bsbench-edge", "bsbench_edge", GOOD_PLUGIN)
    make_distribution(tmp_path, "bsbench-broken", "bsbench_broken", "raise ImportError('needs libfoo 3')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_builtins_cover_every_kind(registry):
    kinds = {record.kind for record in registry.records()}
    assert kinds == set(KINDS)
    assert {"crp", "gradcam", "occlusion", "random"} <= set(registry.methods())
    assert registry.record("method", "crp").package == "bsbench"
    assert registry.problems == ()


def test_third_party_loads_and_broken_ones_warn(third_party):
    with pytest.warns(PluginLoadWarning) as caught:
        registry = load_registry()
    messages = [str(w.message) for w in caught]
    edge = registry.record("method", "edge")
    assert (edge.package, edge.version) == ("bsbench-edge", "2.0")
    # the broken package is named with its reason, on one line
    assert any("'bsbench-broken'" in m and "needs libfoo 3" in m for m in messages)
    # a duplicate name names both packages and keeps the built-in
    assert any("'random' is already registered by package 'bsbench'" in m and "'bsbench-edge'" in m for m in messages)
    assert registry.record("method", "random").package == "bsbench"
    # ... and remembers the duplicate, after the kept one, for `bsbench check random`
    assert [r.package for r in registry.candidates("method", "random")] == ["bsbench", "bsbench-edge"]
    # a protocol violation names the missing member
    assert any("broken-method" in m and "missing explain" in m for m in messages)
    assert "broken-method" not in registry.methods()
    assert [(r.package, r.reason) for r in registry.rejections("method", "broken-method")] == [
        ("bsbench-edge", "breaks the method protocol: missing explain")
    ]
    assert all("\n" not in m for m in messages)
    # everything else still loaded
    assert {"crp", "synthetic", "resnet-small", "librosa"} <= {r.name for r in registry.records()}


def test_unknown_plugin_lists_valid_names(registry):
    valid = r"unknown method 'crpp'; valid names: constant, crp, (deconvolution, )?deeplift, "  # with the example
    with pytest.raises(UnknownPluginError, match=valid):
        registry.get("method", "crpp")


def test_protocol_checks_names_and_cost(registry):
    crp = registry.get("method", "crp")

    class BadName(type(crp)):
        name = "Has Spaces"
        cost = "free"

    problems = protocol_violations("method", BadName())
    assert any("lower-case" in p for p in problems)
    assert any("cost 'free'" in p for p in problems)
    assert protocol_violations("method", crp) == []


def test_cli_plugins_json_with_third_party(third_party):
    env = {**os.environ, "PYTHONPATH": f"{third_party}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    done = subprocess.run(
        [sys.executable, "-m", "bsbench", "plugins", "--json", "--kind", "method"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    listed = json.loads(done.stdout)
    assert all(set(item) == {"kind", "name", "package", "version", "description"} for item in listed)
    assert {
        "kind": "method",
        "name": "edge",
        "package": "bsbench-edge",
        "version": "2.0",
        "description": "Relevance on spectral edges (a test plugin).",
    } in listed
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 3
    assert any("bsbench-broken" in line for line in warnings)


def test_cli_plugins_rejects_unknown_kind():
    done = subprocess.run(
        [sys.executable, "-m", "bsbench", "plugins", "--kind", "models"], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        == "error: --kind 'models': choose one of dataset, model, method, cues, metric, profile, executor"
    )


def test_every_hook_is_documented_and_used(registry):
    """The hook spec file is the extension API's documentation: no hook without docs or a built-in user."""
    from bsbench.interfaces import hookspecs

    for kind, hook_name in hookspecs.KIND_HOOKS.items():
        spec = getattr(hookspecs, hook_name)
        assert spec.__doc__ and len(spec.__doc__.split()) >= 5, hook_name
        assert registry.records(kind), f"no built-in plugin registers through {hook_name}"
    # the vocabulary hook registers no plugin (the built-in cues are bsbench/interfaces/vocabulary.py): docs only
    declared = {name for name in dir(hookspecs) if hasattr(getattr(hookspecs, name), "bsbench_spec")}
    assert declared == {*hookspecs.KIND_HOOKS.values(), hookspecs.VOCABULARY_HOOK}
    assert "register(name, unit, voiced_only, meaning)" in getattr(hookspecs, hookspecs.VOCABULARY_HOOK).__doc__
