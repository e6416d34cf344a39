"""The benchmark checks itself: ``bsbench validate``.

A metric that cannot tell a real explanation from noise, or that changes with the
seed more than between methods, makes every leaderboard built on it meaningless. Four
checks, each with a stated pass rule, on the synthetic corpus in ``localised``
placement (the class evidence sits in a known time x frequency region of each clip):

(a) localisation: every method puts more positive relevance on the evidence than the
    ``random`` method (paired over clips; pass: the 95% interval of the difference in
    relevance-mass accuracy lies above 0);
(b) model randomisation (MPRT, Adebayo et al. 2018): the map of a network with every
    weight re-drawn differs from the trained network's (pass: mean absolute Spearman
    correlation between the two maps below 0.5; an inverted map is no less alike);
(c) seed stability: re-seeding the stochastic methods and metrics moves each metric's
    mean by less than half the width of its 95% interval;
(d) metric reliability after MetaQuantus (Hedstroem et al. 2023): noise resilience -
    a minor perturbation of the weights (Gaussian noise of 1% of each tensor's SD, the
    predictions unchanged) moves the metric's mean by less than half its interval
    width; adversary reactivity - replacing each map by seeded uniform noise (an
    explanation that knows nothing) moves it by more than that. Noise rather than a
    shuffle of the map's own cells: sparseness and entropy are blind to where cells
    sit by design, and a shuffle would fail them for what they are meant to ignore.

Every number goes into the table, passed or not: a failed check is a finding about
the metric or the method, not something to tune away.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch
from scipy import stats

from bsbench.core.types import Clip, Explanation
from bsbench.cues.cache import cached_tracks
from bsbench.explain.method_plan import PlannedMethod, method_explainer
from bsbench.grid.runner import evidence_masks, load_corpus, plan_methods, predict_clips, resolve_device, select_clips
from bsbench.interfaces.protocols import LoadedModel, ProfilePlugin
from bsbench.models.store import trained_model
from bsbench.registry.loader import Registry
from bsbench.results.statistics import bootstrap_interval, paired_comparison
from bsbench.scoring.batch import BatchSource, required_inputs
from bsbench.scoring.plans import PlannedMetric, metric_profiles, plan_metrics, result_column, score_batch

LOCALISATION_METRIC = "relevance-mass-accuracy"
MPRT_THRESHOLD = 0.5
WEIGHT_NOISE = 0.01


@dataclass(frozen=True)
class ValidationConfig:
    model: str = "resnet-small"
    methods: tuple[str, ...] = ("saliency", "integrated-gradients", "gradcam", "lrp", "crp")
    metrics: tuple[str, ...] = (
        "faithfulness-correlation",
        "pixel-flipping",
        "road",
        "relevance-mass-accuracy",
        "sparseness",
    )
    cues: str = "librosa"
    metric_preset: str = "quick"
    dataset_options: dict[str, str] = field(default_factory=dict)
    limit: int = 28
    seed: int = 0
    device: str = "auto"
    epochs: int | None = None


@dataclass(frozen=True)
class CheckResult:
    check: str
    subject: str
    value: float
    rule: str
    passed: bool


@dataclass
class _Scene:
    """One trained model on the localised corpus, its clips and inputs, and the plugins under test."""

    model: LoadedModel
    clips: list[Clip]
    inputs: torch.Tensor
    targets: torch.Tensor
    methods: list[PlannedMethod]
    metrics: list[PlannedMetric]
    masks: np.ndarray
    tracks: tuple | None
    profiles: dict[str, ProfilePlugin]


def validate(
    config: ValidationConfig,
    registry: Registry,
    advance: Callable[[str], None] = lambda _: None,
    show_progress: bool = False,
) -> list[CheckResult]:
    """Run checks (a)-(d) and return one row per (check, subject); ``show_progress`` draws the training bar."""
    scene = _scene(config, registry, show_progress)
    results: list[CheckResult] = []
    advance("explaining and scoring")
    maps = {m.label: _explain(scene, m, scene.model.network, config.seed) for m in scene.methods}
    scores = {m.label: _score(scene, m, maps[m.label], config.seed) for m in scene.methods}

    advance("(a) localisation against random")
    random_rma = scores["random"][LOCALISATION_METRIC]
    for label in [m.label for m in scene.methods]:
        if label == "random":
            continue
        compared = paired_comparison(scores[label][LOCALISATION_METRIC], random_rma, config.seed)
        results.append(
            CheckResult(
                "(a) beats random on localisation",
                label,
                compared.difference,
                f"95% CI of mean {LOCALISATION_METRIC} difference above 0 (low {compared.ci_low:.3f})",
                bool(compared.ci_low > 0),
            )
        )

    advance("(b) model randomisation")
    randomised = _randomised_copy(scene.model.network, config.seed)
    for method in scene.methods:
        label = method.label
        if label == "random":
            continue
        correlation = _mean_rank_correlation(maps[label], _explain(scene, method, randomised, config.seed))
        results.append(
            CheckResult(
                "(b) map changes when the model is randomised",
                label,
                correlation,
                f"mean |Spearman(trained map, randomised-model map)| < {MPRT_THRESHOLD}",
                bool(correlation < MPRT_THRESHOLD),
            )
        )

    advance("(c) seed stability")
    reseeded = {
        m.label: _score(scene, m, _explain(scene, m, scene.model.network, config.seed + 1), config.seed + 1)
        for m in scene.methods
    }
    results.extend(_stability_rows(scene, scores, reseeded, "(c) new seed moves the mean less than CI/2", less=True))

    advance("(d) noise resilience and adversary reactivity")
    nudged = _nudged_copy(scene.model.network, config.seed)
    resilient = {m.label: _score(scene, m, _explain(scene, m, nudged, config.seed), config.seed) for m in scene.methods}
    results.extend(_stability_rows(scene, scores, resilient, "(d) noise resilience: moves less than CI/2", less=True))
    noise = {
        m.label: _score(scene, m, _noise_maps(maps[m.label], config.seed), config.seed)
        for m in scene.methods
        if m.label != "random"
    }
    results.extend(_stability_rows(scene, scores, noise, "(d) adversary reactivity: moves more than CI/2", less=False))
    return results


def _scene(config: ValidationConfig, registry: Registry, show_progress: bool) -> _Scene:
    """Plan every plugin first (a typo fails before training), then train or load the model and predict."""
    device = resolve_device(config.device)
    methods = plan_methods(registry, list(dict.fromkeys([*config.methods, "random"])))
    metrics = plan_metrics(registry, list(dict.fromkeys([*config.metrics, LOCALISATION_METRIC])), config.metric_preset)
    extractor = registry.get("cues", config.cues) if "cues" in required_inputs(m.plugin for m in metrics) else None
    profiles = metric_profiles(registry, metrics)
    options = {**config.dataset_options, "placement": "localised"}
    corpus = load_corpus(registry.get("dataset", "synthetic"), None, config.seed, options)
    plugin = registry.get("model", config.model)
    recipe = replace(plugin.training, epochs=config.epochs) if config.epochs else None
    model = trained_model(plugin, corpus, seed=config.seed, device=device, config=recipe, show_progress=show_progress)
    clips = select_clips(corpus.split("test"), config.limit)
    inputs, targets = predict_clips(model, clips, batch_size=32)
    tracks = tuple(cached_tracks(extractor, clip) for clip in clips) if extractor else None
    masks = evidence_masks(clips, model.frontend.grid)
    return _Scene(model, clips, inputs, targets, methods, metrics, masks, tracks, profiles)


def _explain(scene: _Scene, method: PlannedMethod, network: torch.nn.Module, seed: int) -> np.ndarray:
    explain = method_explainer(scene.model, method, seed)
    return explain(model=network, inputs=scene.inputs.cpu().numpy(), targets=scene.targets.cpu().numpy())


def _score(scene: _Scene, method: PlannedMethod, maps: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """Column -> per-clip values of every metric for these maps (NaN where a metric is undefined)."""
    grid = scene.model.frontend.grid
    explanations = tuple(
        Explanation(clip.clip_id, np.asarray(m, dtype=np.float32), grid, method.label, int(t))
        for clip, m, t in zip(scene.clips, maps, scene.targets.tolist(), strict=True)
    )
    source = BatchSource(
        scene.model,
        tuple(scene.clips),
        scene.inputs.cpu().numpy(),
        scene.targets.cpu().numpy(),
        explanations,
        seed,
        {
            "cues": lambda: scene.tracks,
            "masks": lambda: scene.masks,
            "explainer": lambda: method_explainer(scene.model, method, seed),
        },
        lambda plugin, _: scene.profiles[plugin.name],
    )
    columns: dict[str, np.ndarray] = {}
    for metric in scene.metrics:
        for scored in score_batch(metric, source.batch_for(metric.plugin, metric.params)):
            columns[result_column(metric.name, scored.column)] = scored.values
    return columns


def _stability_rows(
    scene: _Scene,
    reference: dict[str, dict[str, np.ndarray]],
    changed: dict[str, dict[str, np.ndarray]],
    check: str,
    less: bool,
) -> list[CheckResult]:
    """Per metric column with a direction: share of methods whose mean moved less (or more) than CI/2.

    The rule column lists each method's shift in units of its CI half-width, so a failure
    shows by how much and for which method.
    """
    directions = {m.name: m.plugin.higher_is_better for m in scene.metrics}
    rows = []
    for column in next(iter(reference.values())):
        if directions.get(column.split(":")[0]) is None:
            continue
        ratios = {}
        for label, scores in changed.items():
            before, after = reference[label][column], scores[column]
            finite = np.isfinite(before)
            low, high = bootstrap_interval(before[finite], seed=0)
            if np.isnan(low) or high == low or not np.isfinite(after).any():
                continue
            ratios[label] = abs(np.nanmean(after) - before[finite].mean()) / ((high - low) / 2)
        if ratios:
            verdicts = [ratio < 1 if less else ratio > 1 for ratio in ratios.values()]
            share = float(np.mean(verdicts))
            shifts = ", ".join(f"{label} {ratio:.2f}" for label, ratio in ratios.items())
            rule = f"all methods {'<' if less else '>'} 1 in |shift| / (CI/2): {shifts}"
            rows.append(CheckResult(check, column, share, rule, share == 1.0))
    return rows


def _randomised_copy(network: torch.nn.Module, seed: int) -> torch.nn.Module:
    """Every layer re-initialised by its own ``reset_parameters`` (PyTorch's initialisation), seeded."""
    randomised = copy.deepcopy(network)
    torch.manual_seed(seed)
    for module in randomised.modules():
        reset = getattr(module, "reset_parameters", None)
        if callable(reset):
            reset()
    return randomised.eval()


def _nudged_copy(network: torch.nn.Module, seed: int) -> torch.nn.Module:
    nudged = copy.deepcopy(network)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in nudged.parameters():
            spread = float(parameter.std()) if parameter.numel() > 1 else float(parameter.abs().mean())
            noise = torch.randn(parameter.shape, generator=generator) * WEIGHT_NOISE * spread
            parameter.add_(noise.to(parameter.device))
    return nudged.eval()


def _noise_maps(maps: np.ndarray, seed: int) -> np.ndarray:
    """Uniform noise in [0, 1) shaped like ``maps``: the explanation of a method that knows nothing."""
    return np.random.default_rng(seed).random(maps.shape).astype(np.float32)


def _mean_rank_correlation(first: np.ndarray, second: np.ndarray) -> float:
    values = []
    for a, b in zip(first.reshape(len(first), -1), second.reshape(len(second), -1), strict=True):
        if a.std() == 0 or b.std() == 0:
            continue
        values.append(abs(stats.spearmanr(a, b).statistic))
    return float(np.mean(values)) if values else float("nan")


def as_records(results: Sequence[CheckResult]) -> list[dict[str, Any]]:
    return [
        {"check": r.check, "subject": r.subject, "value": round(r.value, 4), "pass": r.passed, "rule": r.rule}
        for r in results
    ]
