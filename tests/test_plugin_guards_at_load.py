"""What the registry refuses at load, and what it keeps: the cue vocabulary and every candidate of a name.

The plugins are the real built-ins (librosa cues, the consensus profile, the random
method) with one thing changed, handed to ``load_registry`` as ``extra_plugins`` the
way a notebook tries a plugin without packaging it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import replace
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest
from bsbench_plugins.cues.librosa_cues import CUE_UNITS, LibrosaCues
from bsbench_plugins.methods.random_baseline import RandomMethod
from bsbench_plugins.profiles.data_profile import load_profile

from bsbench import hookimpl
from bsbench.contracts.catalogue import checks_for
from bsbench.contracts.context import CheckContext
from bsbench.contracts.contract import run_check
from bsbench.interfaces.protocols import ProfileCell
from bsbench.interfaces.vocabulary import (
    BUILTIN_CUE_VOCABULARY,
    CUE_VOCABULARY,
    VOICED_ONLY_CUES,
    CueDefinition,
    cue_units,
    use_vocabulary,
)
from bsbench.registry.loader import PluginLoadWarning, Registry, load_registry, protocol_violations
from bsbench.testing.parametrize import kind_of

BREATHINESS = ("breathiness", "dB (H1-H2)", True, "first minus second harmonic amplitude; high = breathy")
HOW_TO_DECLARE = "declare new cues with the bsbench_register_cue_vocabulary hook"


@pytest.fixture(autouse=True)
def builtin_vocabulary_after() -> Iterator[None]:
    """A test here may load a registry that extends the vocabulary; the next test starts from the built-ins."""
    yield
    use_vocabulary({})


def package(**hooks: Callable[..., None]) -> SimpleNamespace:
    """A plugin package as ``extra_plugins`` takes it: an object whose attributes are hook implementations."""
    return SimpleNamespace(**{name: hookimpl(function) for name, function in hooks.items()})


def load(**packages: SimpleNamespace) -> tuple[Registry, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PluginLoadWarning)
        registry = load_registry(extra_plugins={label.replace("_", "-"): p for label, p in packages.items()})
    return registry, [str(w.message) for w in caught if issubclass(w.category, PluginLoadWarning)]


class BreathyLibrosa(LibrosaCues):
    """The librosa extractor claiming one cue more, built in its package's hook from the vocabulary in force."""

    name = "librosa-breathy"

    def __init__(self) -> None:
        self.cues = cue_units([*CUE_UNITS, "breathiness"])


def breathy_consensus() -> Any:
    """The consensus profile with one cell more: anger raises breathiness."""
    consensus = load_profile("consensus")
    source = next(iter(consensus.citations))
    angry = {**consensus.cells["angry"], "breathiness": ProfileCell(1, (source,))}
    return replace(consensus, name="consensus-breathy", cells={**consensus.cells, "angry": angry})


def declare_breathiness(register: Callable[[str, str, bool, str], None]) -> None:
    register(*BREATHINESS)


def register_breathy_cues(register: Callable[[Any], None]) -> None:
    register(BreathyLibrosa())


def register_breathy_profile(register: Callable[[Any], None]) -> None:
    register(breathy_consensus())


def test_an_extractor_naming_a_cue_outside_the_vocabulary_is_rejected_with_how_to_declare_it():
    class Unbuilt(LibrosaCues):  # the cue is spelled out: cue_units would refuse it
        name = "librosa-breathy"
        cues: ClassVar[dict[str, str]] = {**CUE_UNITS, "breathiness": "dB (H1-H2)", "creak": "a.u."}

    registry, messages = load(bsbench_breathy=package(bsbench_register_cues=lambda register: register(Unbuilt())))
    assert messages == [
        "plugin package 'bsbench-breathy': cues 'librosa-breathy' breaks the cues protocol: cues outside the "
        f"vocabulary: breathiness, creak (use names from bsbench/interfaces/vocabulary.py or {HOW_TO_DECLARE})"
    ]
    assert "librosa-breathy" not in registry.cue_extractors()
    assert protocol_violations("cues", LibrosaCues()) == []
    # an author's contract test gets the same verdict: the plugin is still told apart as a cue extractor
    assert kind_of(Unbuilt()) == "cues"
    (metadata,) = [c for c in checks_for("cues") if c.name == "metadata-complete"]
    result = run_check(metadata, Unbuilt(), CheckContext(registry=registry), {})
    assert result.status == "fail" and "cues outside the vocabulary: breathiness, creak" in result.detail


def test_a_profile_naming_a_cue_outside_the_vocabulary_is_rejected():
    registry, messages = load(bsbench_breathy=package(bsbench_register_expert_profiles=register_breathy_profile))
    (message,) = messages
    assert message.startswith("plugin package 'bsbench-breathy': profile 'consensus-breathy' breaks the profile")
    assert "cues outside the vocabulary: breathiness (" in message and HOW_TO_DECLARE in message
    assert "consensus-breathy" not in registry.profiles() and "consensus" in registry.profiles()
    (rejected,) = registry.rejections("profile", "consensus-breathy")
    assert (rejected.package, rejected.record) == ("bsbench-breathy", None)


def test_a_package_declares_cues_its_extractor_and_profile_then_use():
    breathy = package(
        bsbench_register_cue_vocabulary=declare_breathiness,
        bsbench_register_cues=register_breathy_cues,  # cue_units() in the hook: the vocabulary hook ran first
        bsbench_register_expert_profiles=register_breathy_profile,
    )
    registry, messages = load(bsbench_breathy=breathy)
    assert messages == []
    assert registry.record("cues", "librosa-breathy").package == "bsbench-breathy"
    assert registry.get("cues", "librosa-breathy").cues["breathiness"] == "dB (H1-H2)"
    assert "consensus-breathy" in registry.profiles()
    assert CUE_VOCABULARY["breathiness"] == CueDefinition(*BREATHINESS[1:])
    assert "breathiness" in VOICED_ONLY_CUES and "breathiness" in VOICED_ONLY_CUES & {"breathiness", "loudness"}
    # the vocabulary is each load's own: a load without the package has the built-ins only
    load_registry()
    assert set(CUE_VOCABULARY) == set(BUILTIN_CUE_VOCABULARY) and "breathiness" not in VOICED_ONLY_CUES


def test_a_redefinition_is_refused_and_an_identical_redeclaration_is_fine():
    hnr = BUILTIN_CUE_VOCABULARY["hnr"]

    def declare(register: Callable[[str, str, bool, str], None]) -> None:
        register("hnr", hnr.unit, hnr.voiced_only, hnr.meaning)  # the same definition: nothing to say
        register("loudness", "sone", False, "Zwicker loudness")
        register(*BREATHINESS)

    def declare_other_breathiness(register: Callable[[str, str, bool, str], None]) -> None:
        register("breathiness", "dB (CPP)", True, "cepstral peak prominence")
        register("Creak Index", "a.u.", "yes", " ")

    _, messages = load(bsbench_sone=package(bsbench_register_cue_vocabulary=declare))
    assert messages == [
        "plugin package 'bsbench-sone': cue 'loudness' (unit 'sone', every frame, 'Zwicker loudness') clashes with "
        "package 'bsbench''s (unit 'auditory loudness (a.u.)', every frame, 'sum of mel band powers ^ 0.33 "
        "(eGeMAPS)'); keeping 'bsbench''s"
    ]
    assert CUE_VOCABULARY["loudness"] == BUILTIN_CUE_VOCABULARY["loudness"]

    _, messages = load(
        bsbench_sone=package(bsbench_register_cue_vocabulary=declare),
        bsbench_cpp=package(bsbench_register_cue_vocabulary=declare_other_breathiness),
    )
    assert any(
        m.startswith("plugin package 'bsbench-cpp': cue 'breathiness' (unit 'dB (CPP)'")
        and m.endswith("keeping 'bsbench-sone''s")
        for m in messages
    )
    assert (
        "plugin package 'bsbench-cpp': cue 'Creak Index' was not added to the vocabulary: its name must be snake_case "
        "(lower-case letters, digits and underscores); voiced_only must be True or False; meaning must be a non-empty "
        "string"
    ) in messages
    assert CUE_VOCABULARY["breathiness"].unit == "dB (H1-H2)" and "Creak Index" not in CUE_VOCABULARY


def test_every_candidate_of_a_name_is_kept_and_runs_still_get_the_built_in():
    class ClashingRandom(RandomMethod):
        description = "Random relevance from another package (a test plugin)."

    class NoExplain:
        name = "no-explain"
        description = "Forgets explain()."
        version = "1"
        cost = "baseline"
        parameters = RandomMethod.parameters

    def register_methods(register: Callable[[Any], None]) -> None:
        register(ClashingRandom())
        register(NoExplain())

    registry, messages = load(bsbench_clash=package(bsbench_register_methods=register_methods))
    assert len(messages) == 2
    kept, duplicate = registry.candidates("method", "random")
    assert (kept.package, duplicate.package) == ("bsbench", "bsbench-clash")
    assert type(duplicate.plugin) is ClashingRandom and duplicate.description.startswith("Random relevance from")
    # runs are unchanged: the built-in, first
    assert registry.record("method", "random") is kept and type(registry.get("method", "random")) is RandomMethod
    assert [r.name for r in registry.records("method")].count("random") == 1
    (clash,) = registry.rejections("method", "random")
    assert clash.reason == "is already registered by package 'bsbench'; keeping 'bsbench''s"
    assert clash.record is duplicate
    (broken,) = registry.rejections("method", "no-explain")
    assert (broken.package, broken.reason, broken.record) == (
        "bsbench-clash",
        "breaks the method protocol: missing explain",
        None,
    )
    assert registry.candidates("method", "no-explain") == []
