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

from bsbench.core.errors import PluginDefect, UsageError, describe_error
from bsbench.core.types import Clip, CueTracks, Explanation
from bsbench.explain.method_plan import PlannedMethod, method_explainer, method_identity
from bsbench.grid.network_guard import NetworkGuard
from bsbench.grid.piece_cache import PieceCache, PieceCounts
from bsbench.interfaces.protocols import (
    CueExtractorPlugin,
    LoadedModel,
    ProfilePlugin,
    ScoringBatch,
    as_attribution,
    metric_settings,
)
from bsbench.registry.code_digest import code_digest
from bsbench.scoring.batch import BatchSource
from bsbench.scoring.plans import (
    UNDEFINED,
    ColumnScores,
    PlannedMetric,
    columns_of_failure,
    result_column,
    score_batch,
)


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
    """Explain one batch with one method and score it with every metric, through the piece cache.

    Every plugin call is watched by a :class:`NetworkGuard`: a call that changes the
    network has its results discarded (never cached), is recorded as a failure naming
    the plugin and the change, and the clean network is restored for the next call.
    """
    planned = spec.methods[job.method_index]
    stop = job.start + spec.batch_size
    clips = spec.clips[job.start : stop]
    targets = torch.as_tensor(spec.predictions[job.start : stop])
    seed = spec.batch_seed(job.start)
    pieces = PieceCache(spec.model_digest, enabled=spec.use_cache)
    guard = NetworkGuard(spec.model.network)
    failures: list[dict[str, str]] = []
    key, score_keys = piece_keys(pieces, planned, spec.metrics, spec.extractor, clips, targets.tolist(), seed)
    explanations = _explain(spec, planned, clips, job.start, targets, seed, failures, pieces, key, guard)
    outcome = JobOutcome(job, explanations, [], failures, pieces.counts)
    if explanations is None:
        return outcome
    providers = {"explainer": lambda: method_explainer(spec.model, planned, seed)}
    if spec.cue_tracks is not None:
        tracks = spec.cue_tracks
        providers["cues"] = lambda: tuple(tracks[c.clip_id] for c in clips)
    if spec.masks is not None:
        masks = spec.masks
        providers["masks"] = lambda: masks[job.start : stop]
    source = BatchSource(
        spec.model,
        tuple(clips),
        spec.inputs[job.start : stop],
        spec.predictions[job.start : stop],
        explanations,
        seed,
        providers,
        lambda plugin, _: spec.profiles[plugin.name],
    )
    for metric, score_key in zip(spec.metrics, score_keys, strict=True):
        scored = _own_copy(source.batch_for(metric.plugin, metric.params))
        columns = _score_cached(metric, scored, planned.label, failures, pieces, score_key, guard)
        failures.extend(_unexplained_nans(metric, columns, clips, planned.label))
        outcome.columns.append(columns)
    return outcome


def _own_copy(batch: ScoringBatch) -> ScoringBatch:
    """The batch with its own inputs and maps, so a metric that edits them in place cannot reach the next metric."""
    return replace(
        batch,
        inputs=batch.inputs.copy(),
        explanations=tuple(replace(e, relevance=e.relevance.copy()) for e in batch.explanations),
    )


def _unexplained_nans(
    metric: PlannedMetric, columns: Sequence[ColumnScores], clips: Sequence[Clip], method: str
) -> list[dict[str, str]]:
    """A failure per clip whose NaN score came without a reason: a defect of the metric plugin, not of the clip."""
    return [
        {
            "stage": f"metric {metric.name} on {method}",
            "clip_id": clip.clip_id,
            "error": f"plugin defect: metric {result_column(metric.name, column.column)} returned NaN "
            f"for clip {clip.clip_id} without a reason",
        }
        for column in columns
        for clip, reason in zip(clips, column.reasons, strict=True)
        if reason == UNDEFINED
    ]


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


def metric_identity(metric: PlannedMetric) -> dict[str, Any]:
    """What a score depends on besides the explanation: the plugin and the settings its parameters resolve to."""
    plugin = metric.plugin
    return {
        "name": plugin.name,
        "version": plugin.version,
        "code": code_digest(plugin),
        "settings": metric_settings(plugin, metric.params),
    }


def score_context(metric: PlannedMetric, extractor: CueExtractorPlugin | None) -> dict[str, Any]:
    """The cue extractor and profile a metric reads, by name and version (empty for those it does not read)."""
    context: dict[str, Any] = {}
    if "cues" in metric.plugin.requires and extractor is not None:
        context["cues"] = f"{extractor.name}-{extractor.version}-{code_digest(extractor)}"
    if "profile" in metric.plugin.requires:
        context["profile"] = metric.params.profile
    return context


def _explain(
    spec: GridSpec,
    planned: PlannedMethod,
    clips: Sequence[Clip],
    start: int,
    targets: torch.Tensor,
    seed: int,
    failures: list[dict[str, str]],
    pieces: PieceCache,
    key: str,
    guard: NetworkGuard,
) -> tuple[Explanation, ...] | None:
    model = spec.model
    stored = pieces.load_explanation(key)
    pieces.counts.count("explanations", hit=stored is not None)
    if stored is not None:
        relevance, details = stored
        return _explanations(model, planned, clips, targets, relevance, details)
    clean_inputs = spec.inputs[start : start + len(clips)]
    # the method gets its own copy: a method that writes into its inputs must not reach the next method
    inputs = torch.tensor(clean_inputs, device=model.device)
    torch.manual_seed(seed)
    try:
        with guard.watch() as changed:
            output = as_attribution(planned.plugin.explain(model, inputs, targets, planned.params, seed))
        if not np.array_equal(inputs.detach().cpu().numpy(), clean_inputs):
            changed.append("changed its inputs in place")
        if changed:
            raise PluginDefect(f"method {planned.label} {'; '.join(changed)}; its maps are discarded")
        relevance = np.asarray(output.relevance, dtype=np.float32)
        expected = (len(clips), *model.frontend.grid.shape)
        if relevance.shape != expected:
            raise PluginDefect(
                f"method {planned.label} returned relevance of shape {relevance.shape} for a batch of "
                f"{len(clips)} clips; expected {expected}"
            )
        details = [dict(found) for found in (output.details or [{}] * len(clips))]
        if len(details) != len(clips):
            raise PluginDefect(f"method {planned.label} returned {len(details)} details for {len(clips)} clips")
        explanations = _explanations(model, planned, clips, targets, relevance, details)
    except UsageError:
        raise
    except Exception as error:  # one method failing on one batch must not end the run
        failures.extend(_batch_failures(f"method {planned.label}", clips, error))
        return None
    pieces.store_explanation(key, relevance, details)
    return explanations


def _batch_failures(stage: str, clips: Sequence[Clip], error: BaseException) -> list[dict[str, str]]:
    """One failure per clip of a batch that failed as a whole; each message names its clip and the batch's size."""
    described = describe_error(error)
    return [
        {"stage": stage, "clip_id": clip.clip_id, "error": f"clip {clip.clip_id} (batch of {len(clips)}): {described}"}
        for clip in clips
    ]


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
    guard: NetworkGuard,
) -> list[ColumnScores]:
    stored = pieces.load_scores(key)
    pieces.counts.count("scores", hit=stored is not None)
    if stored is not None:
        return [ColumnScores(column, values, reasons) for column, values, reasons in stored]
    try:
        with guard.watch() as changed:
            columns = score_batch(metric, batch)
        if changed:
            raise PluginDefect(f"metric {metric.name} {'; '.join(changed)}; its scores are discarded")
    except Exception as error:  # recorded; the other metrics and batches go on (and this piece is retried)
        failures.extend(_batch_failures(f"metric {metric.name} on {method}", batch.clips, error))
        return columns_of_failure(len(batch.clips), f"metric failed: {describe_error(error)}")
    pieces.store_scores(key, [(c.column, c.values, c.reasons) for c in columns])
    return columns
