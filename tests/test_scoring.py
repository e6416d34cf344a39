"""Scoring: metric plans and presets, maps no metric should see, reasons for every NaN, a failing metric."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from bsbench.cli.metric_catalogue import metric_catalogue
from bsbench.core.errors import UsageError
from bsbench.core.parameters import NoParameters
from bsbench.core.types import Explanation
from bsbench.explain.method_plan import PlannedMethod, method_explainer
from bsbench.grid.run_config import RunConfig
from bsbench.grid.runner import run_benchmark
from bsbench.interfaces.hookspecs import hookimpl
from bsbench.interfaces.protocols import ScoringBatch, as_attribution
from bsbench.registry.loader import load_registry
from bsbench.scoring.plans import CONSTANT_MAP, NON_FINITE_MAP, UNDEFINED, plan_metrics, score_batch
from tests.conftest import SMALL_CORPUS


def test_preset_fills_what_a_spec_leaves_and_a_spec_wins(registry):
    quick, explicit, fixed = plan_metrics(
        registry, ["pixel-flipping", "faithfulness-correlation:nr_runs=7", "sufficiency"], preset="quick"
    )
    assert quick.params.preset == "quick" and quick.plugin.settings(quick.params)["steps"] == 16
    assert explicit.plugin.settings(explicit.params)["nr_runs"] == 7
    assert fixed.params == fixed.plugin.parameters()  # no preset field: untouched
    [paper] = plan_metrics(registry, ["pixel-flipping:preset=paper"], preset="quick")
    assert paper.plugin.settings(paper.params)["steps"] == 256


@pytest.mark.parametrize(
    ("specs", "preset", "message"),
    [
        (["pixel-flipping"], "fast", "--metric-preset 'fast': choose one of quick, standard, paper"),
        (["pixel-flipping:preset=fast"], None, "metric pixel-flipping: preset='fast': choose one of"),
        (["pixel-flipping:stepz=3"], None, "metric pixel-flipping: unknown parameter 'stepz'"),
        (["sufficiency", "sufficiency:threshold=0.3"], None, "a metric is given twice"),
        (["no-such-metric"], None, "no-such-metric"),
    ],
)
def test_bad_metric_specs_fail_before_any_work(registry, specs, preset, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        plan_metrics(registry, specs, preset)


def test_catalogue_prices_presets_in_passes(registry):
    quick = {row["name"]: row for row in metric_catalogue(registry, preset="quick")}
    paper = {row["name"]: row for row in metric_catalogue(registry, preset="paper")}
    assert quick["pixel-flipping"]["passes_per_clip"] == 16 and paper["pixel-flipping"]["passes_per_clip"] == 256
    assert quick["faithfulness-correlation"]["passes_per_clip"] == 21
    assert quick["monotonicity-correlation"]["passes_per_clip"] == 16 * 2 + 1
    assert quick["cue-salience"]["passes_per_clip"] == 0 and quick["pixel-flipping"]["better"] == "lower"


@pytest.fixture(scope="module")
def four_clips(small_model, small_corpus):
    clips = tuple(small_corpus.split("test")[:4])
    inputs = small_model.features(clips)
    return clips, inputs, small_model.logits(inputs).argmax(dim=1)


def batch_of(model, clips, inputs, targets, maps, **extra) -> ScoringBatch:
    explanations = tuple(
        Explanation(c.clip_id, m.astype(np.float32), model.frontend.grid, "probe", int(t))
        for c, m, t in zip(clips, maps, targets, strict=True)
    )
    return ScoringBatch(model, clips, inputs.numpy(), targets.numpy(), explanations, None, 3, **extra)


def test_bad_maps_get_reasons_and_the_rest_scores_as_alone(registry, small_model, four_clips):
    clips, inputs, targets = four_clips
    maps = np.random.default_rng(1).random((4, *inputs.shape[2:]))
    maps[1, 5, 5] = np.nan
    maps[2] = 0.0
    [pixel_flipping] = plan_metrics(registry, ["pixel-flipping"], preset="quick")
    [column] = score_batch(pixel_flipping, batch_of(small_model, clips, inputs, targets, maps))
    assert column.column == "" and list(column.reasons) == ["", NON_FINITE_MAP, CONSTANT_MAP, ""]
    assert np.isnan(column.values[1:3]).all() and np.isfinite(column.values[[0, 3]]).all()
    keep = [0, 3]
    [alone] = score_batch(
        pixel_flipping,
        batch_of(small_model, tuple(clips[i] for i in keep), inputs[keep], targets[keep], maps[keep]),
    )
    np.testing.assert_allclose(column.values[keep], alone.values, rtol=0, atol=1e-12)


def test_a_metric_that_accepts_constant_maps_scores_them(registry, small_model, four_clips):
    clips, inputs, targets = four_clips
    maps = np.zeros((4, *inputs.shape[2:]))
    maps[0] = np.random.default_rng(2).random(inputs.shape[2:])

    class ConstantFriendly:
        name, description, version = "constant-friendly", "Share of cells above the mean.", "1"
        higher_is_better, requires, parameters = True, frozenset(), NoParameters
        accepts_constant_maps = True

        def score(self, batch, params):
            return {"": np.array([float((e.relevance > e.relevance.mean()).mean()) for e in batch.explanations])}

    [planned] = plan_metrics(_registry_with(ConstantFriendly()), ["constant-friendly"])
    [column] = score_batch(planned, batch_of(small_model, clips, inputs, targets, maps))
    assert column.reasons == ("", "", "", "") and (column.values[1:] == 0).all() and 0.3 < column.values[0] < 0.7


def test_nan_without_a_reason_is_said_to_be_unexplained(registry, small_model, four_clips):
    clips, inputs, targets = four_clips

    class Silent:
        name, description, version = "silent", "NaN for the second clip.", "1"
        higher_is_better, requires, parameters = True, frozenset(), NoParameters

        def score(self, batch, params):
            return {"": np.array([1.0, np.nan, 1.0, 1.0])}

    [planned] = plan_metrics(_registry_with(Silent()), ["silent"])
    maps = np.random.default_rng(3).random((4, *inputs.shape[2:]))
    [column] = score_batch(planned, batch_of(small_model, clips, inputs, targets, maps))
    assert column.reasons == ("", UNDEFINED, "", "")


def test_explainer_reproduces_the_method_and_follows_the_network(registry, small_model, four_clips):
    _, inputs, targets = four_clips
    method = registry.get("method", "saliency")
    planned = PlannedMethod("saliency", method, method.parameters())
    explain = method_explainer(small_model, planned, seed=5)
    direct = as_attribution(method.explain(small_model, inputs, targets, method.parameters(), 5)).relevance
    again = explain(model=small_model.network, inputs=inputs.numpy(), targets=targets.numpy())
    np.testing.assert_array_equal(again, direct)
    scrambled = _scrambled_copy(small_model.network)
    changed = explain(model=scrambled, inputs=inputs.numpy(), targets=targets.numpy())
    assert not np.allclose(changed, direct)


class _BrokenMetric:
    name, description, version = "broken", "Raises on every batch.", "1"
    higher_is_better, requires, parameters = True, frozenset({"model"}), NoParameters

    def score(self, batch, params):
        raise RuntimeError("division by zero in the metric")


def test_a_failing_metric_costs_its_own_cells_only(tmp_path):
    registry = _registry_with(_BrokenMetric())
    config = RunConfig(
        dataset_options=SMALL_CORPUS,
        methods=("random", "constant"),
        metrics=("broken", "sufficiency", "pixel-flipping"),
        metric_preset="quick",
        limit=7,
        epochs=2,
        device="cpu",
        out=tmp_path / "run",
    )
    rows = run_benchmark(config, registry, show_progress=False).rows
    broken = rows[rows.metric == "broken"]
    assert len(broken) == 14 and broken.value.isna().all()
    assert set(broken[broken.method == "random"].reason) == {
        "metric failed: RuntimeError: division by zero in the metric"
    }
    assert set(broken[broken.method == "constant"].reason) == {CONSTANT_MAP}  # never reached the metric
    random_rows = rows[(rows.method == "random") & (rows.metric != "broken")]
    assert random_rows.value.notna().all() and (random_rows.reason == "").all()
    constant = rows[(rows.method == "constant") & (rows.metric == "pixel-flipping")]
    assert constant.value.isna().all() and set(constant.reason) == {CONSTANT_MAP}


def _scrambled_copy(network: torch.nn.Module) -> torch.nn.Module:
    scrambled = copy.deepcopy(network)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for parameter in scrambled.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.1)
    return scrambled.eval()


def _registry_with(metric):
    class Plugin:
        @hookimpl
        def bsbench_register_metrics(self, register):
            register(metric)

    return load_registry(extra_plugins={f"{metric.name}-test-package": Plugin()})


def test_every_metric_requirement_is_a_batch_field_or_needs_none():
    from bsbench.interfaces.protocols import METRIC_REQUIREMENTS
    from bsbench.scoring.batch import REQUIREMENT_FIELDS

    assert set(REQUIREMENT_FIELDS) | {"model", "ground-truth"} == METRIC_REQUIREMENTS


def test_a_batch_holds_exactly_what_its_metric_requires():
    import numpy as np

    from bsbench.scoring.batch import BatchSource

    called = []

    def provide(name, value):
        def provider():
            called.append(name)
            return value

        return provider

    class Needs:
        name = "needs-cues"
        requires = frozenset({"cues"})

    class Blind:
        name = "blind"
        requires = frozenset({"model"})

    class WantsProfile:
        name = "wants-profile"
        requires = frozenset({"masks", "profile"})

    source = BatchSource(
        None, (), np.zeros((0, 1, 1)), np.zeros(0), (), 3,
        {"cues": provide("cues", ("tracks",)), "masks": provide("masks", np.ones((0, 1, 1)))},
        lambda metric, params: f"profile of {metric.name} with {params}",
    )  # fmt: skip
    blind = source.batch_for(Blind())
    assert (blind.cue_tracks, blind.masks, blind.explainer, blind.profile) == (None, None, None, None)
    assert called == []
    assert source.batch_for(Needs()).cue_tracks == ("tracks",) and called == ["cues"]
    chosen = source.batch_for(WantsProfile(), "p")
    assert chosen.profile == "profile of wants-profile with p" and chosen.masks is not None
    assert chosen.cue_tracks is None and chosen.seed == 3

    class WantsExplainer:
        name = "wants-explainer"
        requires = frozenset({"explainer"})

    with pytest.raises(ValueError, match="wants-explainer requires 'explainer'"):
        source.batch_for(WantsExplainer())
