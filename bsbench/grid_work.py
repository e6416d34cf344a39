"""One piece of a grid, computed wherever an executor sends it: explain a batch, score it with every metric.

The runner splits a run into jobs, one per (method, batch of clips), and hands them to
an executor: in this process, a local process pool or a Dask cluster. A job reads
everything it needs from a :class:`GridSpec` (the model, the clips with their inputs,
predictions and cue tracks, the planned methods and metrics), which each worker
receives once and keeps; it returns the explanations, every metric's columns and the
failures, and the runner turns those into rows in a fixed order, so results do not
depend on the executor or on which job finished first. Explanation and score batches
go through the piece cache, so a job that finished before a crash is read back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import torch

from bsbench.errors import UsageError, describe_error
from bsbench.piece_cache import PieceCache, PieceCounts
from bsbench.protocols import (
    CueExtractorPlugin,
    Explainer,
    LoadedModel,
    MethodPlugin,
    ProfilePlugin,
    ScoringBatch,
    as_attribution,
    metric_settings,
)
from bsbench.scoring import ColumnScores, PlannedMetric, columns_of_failure, score_batch
from bsbench.types import Clip, CueTracks, Explanation


@dataclass(frozen=True)
class PlannedMethod:
    #: The name the method carries in results: bare with defaults, else with the parameters given.
    label: str
    plugin: MethodPlugin
    params: Any


@dataclass(frozen=True, eq=False)
class GridSpec:
    """Everything a job reads; sent to each worker once.

    Inputs and predictions travel from the process that computed them rather than being
    recomputed in each worker: a front end run with another thread count may round
    differently, and every executor must explain exactly the same inputs.
    """

    model: LoadedModel
    model_digest: str
    clips: tuple[Clip, ...]
    inputs: np.ndarray
    predictions: np.ndarray
    methods: tuple[PlannedMethod, ...]
    metrics: tuple[PlannedMetric, ...]
    profiles: Mapping[str, ProfilePlugin]
    extractor: CueExtractorPlugin | None
    cue_tracks: Mapping[str, CueTracks] | None
    cue_errors: Mapping[str, str]
    masks: np.ndarray | None
    batch_size: int
    seed: int
    use_cache: bool

    def batch_seed(self, start: int) -> int:
        return batch_seed(self.seed, start)

    def jobs(self) -> list[Job]:
        """Every (method, batch) of the grid, methods in the order given."""
        starts = range(0, len(self.clips), self.batch_size)
        return [Job(m, start) for m in range(len(self.methods)) for start in starts]


def batch_seed(run_seed: int, start: int) -> int:
    """The seed of the batch starting at clip ``start``: the same batch gets the same seed in every run."""
    return run_seed * 1_000_003 + start


@dataclass(frozen=True)
class Job:
    method_index: int
    start: int


@dataclass
class JobOutcome:
    job: Job
    explanations: tuple[Explanation, ...] | None
    #: One entry per planned metric, in plan order (empty when the method failed).
    columns: list[list[ColumnScores]]
    failures: list[dict[str, str]]
    counts: PieceCounts = field(default_factory=PieceCounts)


def execute(spec: GridSpec, job: Job) -> JobOutcome:
    """Explain one batch with one method and score it with every metric, through the piece cache."""
    planned = spec.methods[job.method_index]
    stop = job.start + spec.batch_size
    clips = spec.clips[job.start : stop]
    inputs = torch.as_tensor(spec.inputs[job.start : stop], device=spec.model.device)
    targets = torch.as_tensor(spec.predictions[job.start : stop])
    seed = spec.batch_seed(job.start)
    pieces = PieceCache(spec.model_digest, enabled=spec.use_cache)
    failures: list[dict[str, str]] = []
    key, score_keys = piece_keys(pieces, planned, spec.metrics, spec.extractor, clips, targets.tolist(), seed)
    explanations = _explain(spec.model, planned, clips, inputs, targets, seed, failures, pieces, key)
    outcome = JobOutcome(job, explanations, [], failures, pieces.counts)
    if explanations is None:
        return outcome
    batch = ScoringBatch(
        spec.model,
        tuple(clips),
        spec.inputs[job.start : stop],
        spec.predictions[job.start : stop],
        explanations,
        None if spec.cue_tracks is None else tuple(spec.cue_tracks[c.clip_id] for c in clips),
        seed,
        None if spec.masks is None else spec.masks[job.start : stop],
        explainer=method_explainer(spec.model, planned, seed),
    )
    for metric, score_key in zip(spec.metrics, score_keys, strict=True):
        scored = replace(batch, profile=spec.profiles.get(metric.name))
        outcome.columns.append(_score_cached(metric, scored, planned.label, failures, pieces, score_key))
    return outcome


def piece_keys(
    pieces: PieceCache,
    planned: PlannedMethod,
    metrics: Sequence[PlannedMetric],
    extractor: CueExtractorPlugin | None,
    clips: Sequence[Clip],
    targets: Sequence[int],
    seed: int,
) -> tuple[str, list[str]]:
    """The explanation key of one batch and the score key of each metric on it.

    Shared by the jobs and by ``--dry-run``, so the plan counts exactly the pieces a run would read.
    """
    key = pieces.explanation_key(method_identity(planned), clips, targets, seed)
    return key, [pieces.score_key(key, metric_identity(m), score_context(m, extractor)) for m in metrics]


def method_identity(planned: PlannedMethod) -> dict[str, Any]:
    """What an explanation depends on besides model, clips, targets and seed: the plugin and its parameters."""
    plugin = planned.plugin
    return {"name": plugin.name, "version": plugin.version, "parameters": asdict(planned.params)}


def metric_identity(metric: PlannedMetric) -> dict[str, Any]:
    """What a score depends on besides the explanation: the plugin and the settings its parameters resolve to."""
    plugin = metric.plugin
    return {"name": plugin.name, "version": plugin.version, "settings": metric_settings(plugin, metric.params)}


def score_context(metric: PlannedMetric, extractor: CueExtractorPlugin | None) -> dict[str, Any]:
    """The cue extractor and profile a metric reads, by name and version (empty for those it does not read)."""
    context: dict[str, Any] = {}
    if "cues" in metric.plugin.requires and extractor is not None:
        context["cues"] = f"{extractor.name}-{extractor.version}"
    if "profile" in metric.plugin.requires:
        context["profile"] = metric.params.profile
    return context


def method_explainer(model: LoadedModel, planned: PlannedMethod, seed: int) -> Explainer:
    """The planned method as Quantus's ``explain_func``: any network of the model's architecture, NumPy in and out.

    Robustness metrics call it on perturbed inputs, randomisation metrics on a
    randomised copy of the network; the seed stays the batch's, so a stochastic method
    draws the same noise it drew for the explanation being scored.
    """

    def explain(model: torch.nn.Module, inputs: np.ndarray, targets: np.ndarray, **_: Any) -> np.ndarray:
        loaded = replace(base, network=model)
        tensor = torch.as_tensor(np.asarray(inputs), dtype=torch.float32, device=base.device)
        target_tensor = torch.as_tensor(np.asarray(targets), dtype=torch.long, device=base.device)
        torch.manual_seed(seed)
        output = as_attribution(planned.plugin.explain(loaded, tensor, target_tensor, planned.params, seed))
        return np.asarray(output.relevance, dtype=np.float32)

    base = model
    return explain


def _explain(
    model: LoadedModel,
    planned: PlannedMethod,
    clips: Sequence[Clip],
    inputs: torch.Tensor,
    targets: torch.Tensor,
    seed: int,
    failures: list[dict[str, str]],
    pieces: PieceCache,
    key: str,
) -> tuple[Explanation, ...] | None:
    stored = pieces.load_explanation(key)
    pieces.counts.count("explanations", hit=stored is not None)
    if stored is not None:
        relevance, details = stored
    else:
        torch.manual_seed(seed)
        try:
            output = as_attribution(planned.plugin.explain(model, inputs, targets, planned.params, seed))
            relevance = np.asarray(output.relevance, dtype=np.float32)
            details = [dict(found) for found in (output.details or [{}] * len(clips))]
            explanations = _explanations(model, planned, clips, targets, relevance, details)
        except UsageError:
            raise
        except Exception as error:  # one method failing on one batch must not end the run
            for clip in clips:
                failures.append(
                    {"stage": f"method {planned.label}", "clip_id": clip.clip_id, "error": describe_error(error)}
                )
            return None
        pieces.store_explanation(key, relevance, details)
        return explanations
    return _explanations(model, planned, clips, targets, relevance, details)


def _explanations(
    model: LoadedModel,
    planned: PlannedMethod,
    clips: Sequence[Clip],
    targets: torch.Tensor,
    relevance: np.ndarray,
    details: Sequence[Mapping[str, Any]],
) -> tuple[Explanation, ...]:
    return tuple(
        Explanation(
            clip.clip_id,
            np.asarray(r, dtype=np.float32),
            model.frontend.grid,
            planned.label,
            int(t),
            asdict(planned.params),
            dict(found),
        )
        for clip, r, t, found in zip(clips, relevance, targets.tolist(), details, strict=True)
    )


def _score_cached(
    metric: PlannedMetric,
    batch: ScoringBatch,
    method: str,
    failures: list[dict[str, str]],
    pieces: PieceCache,
    key: str,
) -> list[ColumnScores]:
    stored = pieces.load_scores(key)
    pieces.counts.count("scores", hit=stored is not None)
    if stored is not None:
        return [ColumnScores(column, values, reasons) for column, values, reasons in stored]
    try:
        columns = score_batch(metric, batch)
    except Exception as error:  # recorded; the other metrics and batches go on (and this piece is retried)
        described = describe_error(error)
        for clip in batch.clips:
            failures.append({"stage": f"metric {metric.name} on {method}", "clip_id": clip.clip_id, "error": described})
        return columns_of_failure(len(batch.clips), f"metric failed: {described}")
    pieces.store_scores(key, [(c.column, c.values, c.reasons) for c in columns])
    return columns
