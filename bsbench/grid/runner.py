"""Running one benchmark: dataset x model x methods x cue extractor x metrics.

The plan resolves every plugin name before any work starts (a typo fails in a second,
not after training). Then each shared piece is computed once: features and
predictions per clip, cue tracks per clip, then one job per (method, batch of clips)
that explains the batch and scores it with every metric (:mod:`bsbench.grid.work`), run
by an executor (:mod:`bsbench.grid.executors`). Explanation and score batches are kept in
the piece cache as they finish, so an interrupted run, repeated, computes only what is
missing. A failure in one piece is recorded with its reason and the run goes on.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from bsbench.core.errors import DataError, ResultsError, UsageError, describe_error
from bsbench.core.parameters import build_parameters, split_spec
from bsbench.core.progress import progress_bar
from bsbench.core.types import ALL_CLIPS, SPLITS, Clip, Corpus, CueTracks, Explanation, InputGrid, ResultRow
from bsbench.core.versions import environment, package_versions
from bsbench.corpus.info import corpus_record
from bsbench.corpus.labels import select_emotions
from bsbench.cues.cache import cached_tracks, is_cached
from bsbench.cues.windows import salient_windows
from bsbench.explain.method_plan import PlannedMethod
from bsbench.grid.examples import choose_examples
from bsbench.grid.executors import PlannedExecutor, plan_executor, run_jobs
from bsbench.grid.piece_cache import PieceCache, PieceCounts, model_identity
from bsbench.grid.run_config import RunConfig
from bsbench.grid.work import (
    GridSpec,
    JobOutcome,
    batch_seed,
    piece_keys,
)
from bsbench.interfaces.protocols import (
    CueExtractorPlugin,
    DatasetPlugin,
    DatasetRequest,
    FrontEnd,
    LoadedModel,
    ProfilePlugin,
    declared_passes,
)
from bsbench.models.label_map import LabelMatch, match_labels, names_source
from bsbench.models.measured import measured_quality
from bsbench.models.store import MODEL_FILE, configure_model, load_checkpoint, model_folder, trained_model
from bsbench.registry.loader import Registry
from bsbench.results.example_store import ARRAYS, SUMMARIES, write_examples
from bsbench.results.leaderboard import aggregate, model_quality
from bsbench.results.store import (
    EXPLANATIONS,
    MANIFEST,
    RESULTS,
    read_manifest,
    rows_frame,
    write_explanations,
    write_manifest,
    write_results,
)
from bsbench.scoring.batch import GROUND_TRUTH_REQUIREMENTS, required_inputs
from bsbench.scoring.plans import (
    ColumnScores,
    PlannedMetric,
    metric_profiles,
    metric_record,
    plan_metrics,
    result_column,
)
from bsbench.scoring.removal import removal_unavailable


@dataclass
class RunResult:
    run_dir: Path
    manifest: dict[str, Any]
    rows: pd.DataFrame
    leaderboard: pd.DataFrame


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name not in {"cpu", "cuda"} and not name.startswith("cuda:"):
        raise UsageError(f"--device {name!r}: choose cpu, cuda, cuda:N or auto")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise UsageError(f"--device {name}: CUDA is not available on this machine (torch {torch.__version__})")
    return torch.device(name)


def load_corpus(
    dataset: DatasetPlugin,
    data_dir: Path | None,
    seed: int,
    options: Mapping[str, str],
    emotions: Sequence[str] = (),
) -> Corpus:
    """Load a corpus, keeping only ``emotions`` when some are named.

    A missing ``--data-dir`` is refused here, before any plugin runs: exit code 2, one
    line, with the folder layout the dataset expects when it declares one (``layout``).
    """
    if data_dir is not None and not Path(data_dir).is_dir():
        layout = getattr(dataset, "layout", "")
        raise UsageError(f"--data-dir {data_dir}: no such directory" + (f"; expected {layout}" if layout else ""))
    corpus = dataset.load(DatasetRequest(data_dir=data_dir, seed=seed, options=dict(options)))
    return select_emotions(corpus, emotions)


def plan_methods(registry: Registry, specs: Sequence[str]) -> list[PlannedMethod]:
    planned = []
    for spec in specs:
        name, raw = split_spec(spec)
        plugin = registry.get("method", name)
        label = name if not raw else f"{name}:" + ",".join(f"{k}={v}" for k, v in sorted(raw.items()))
        planned.append(PlannedMethod(label, plugin, build_parameters(plugin.parameters, raw, f"method {name}")))
    labels = [p.label for p in planned]
    if len(set(labels)) != len(labels):
        raise UsageError(f"--method: the same method and parameters are given twice ({', '.join(labels)})")
    return planned


def check_method_parameters(methods: Sequence[PlannedMethod], network: torch.nn.Module, grid: InputGrid) -> None:
    """Let each method refuse parameters the model cannot serve, before any work (see ``check_parameters``)."""
    for planned in methods:
        checker = getattr(planned.plugin, "check_parameters", None)
        if checker is not None:
            checker(planned.params, network, grid)


def select_clips(clips: Sequence[Clip], limit: int | None) -> list[Clip]:
    """Up to ``limit`` clips, taken round-robin over classes so a small run stays balanced."""
    by_label: dict[str, list[Clip]] = {}
    for clip in sorted(clips, key=lambda c: (c.label, c.clip_id)):
        by_label.setdefault(clip.label, []).append(clip)
    chosen: list[Clip] = []
    depth = 0
    while any(depth < len(group) for group in by_label.values()):
        chosen.extend(group[depth] for group in by_label.values() if depth < len(group))
        depth += 1
    return chosen if limit is None else chosen[:limit]


@dataclass
class _Setup:
    """Everything resolved before the first piece is computed; the model is None in a dry run without one."""

    corpus: Corpus
    model: LoadedModel | None
    model_folder: Path | None
    clips: list[Clip]
    #: How the model's outputs meet the corpus's labels; None in a dry run without a model.
    labels: LabelMatch | None
    methods: list[PlannedMethod]
    metrics: list[PlannedMetric]
    skipped_metrics: list[dict[str, str]]
    extractor: CueExtractorPlugin | None
    device: torch.device
    executor: PlannedExecutor


def explained_split(config: RunConfig) -> str:
    """The split a run explains: ``--split`` as given, with ``auto`` resolved (test, or all with a checkpoint)."""
    choices = (*SPLITS, ALL_CLIPS, "auto")
    if config.split not in choices:
        raise UsageError(f"--split {config.split!r}: choose one of {', '.join(choices)}")
    if config.split == "auto":
        return ALL_CLIPS if config.checkpoint is not None else "test"
    return config.split


def _prepare(config: RunConfig, registry: Registry, show_progress: bool, train: bool) -> _Setup:
    """Check the configuration, load the corpus and the model (training it when ``train``), choose the clips."""
    split = explained_split(config)
    if config.limit is not None and config.limit < 1:
        raise UsageError(f"--limit {config.limit}: must be at least 1")
    dataset_plugin = registry.get("dataset", config.dataset)
    model_plugin = configure_model(registry.get("model", config.model), config.model_options)
    methods = plan_methods(registry, config.methods)
    metrics = plan_metrics(registry, config.metrics, config.metric_preset)
    needs = required_inputs(m.plugin for m in metrics)
    extractor: CueExtractorPlugin | None = registry.get("cues", config.cues) if "cues" in needs else None
    device = resolve_device(config.device)
    executor = plan_executor(registry.get("executor", config.executor), config.executor_options, config.workers)

    corpus = load_corpus(dataset_plugin, config.data_dir, config.seed, config.dataset_options, config.emotions)
    skipped_metrics = []
    if not any(clip.ground_truth for clip in corpus.split(split)):
        for metric in [m for m in metrics if m.plugin.requires & GROUND_TRUTH_REQUIREMENTS]:
            skipped_metrics.append(
                {
                    "metric": metric.name,
                    "reason": f"needs ground truth (where the class evidence is), and dataset {corpus.name} has none "
                    f"in its {split} clips (the synthetic dataset has it)",
                }
            )
            metrics.remove(metric)
    if any(getattr(m.params, "removal", None) == "audio" for m in metrics):
        # the front end is the plugin's own, trained or not: a dry run reports the skip too
        skipped_metrics.extend(_unavailable_removals(metrics, model_plugin.frontend(), model_plugin.name))
    if not metrics:
        raise UsageError(
            "--metric: nothing left to score: " + "; ".join(f"{s['metric']} {s['reason']}" for s in skipped_metrics)
        )
    folder = None
    if config.label_map is not None and config.checkpoint is None:
        raise UsageError(
            f"--label-map {config.label_map}: only with --checkpoint (a model bsbench trains is named after the "
            "corpus's labels already)"
        )
    if config.checkpoint is not None:
        model: LoadedModel | None = load_checkpoint(model_plugin, config.checkpoint, device, config.label_map)
        check_method_parameters(methods, model.network, model.frontend.grid)
    else:
        recipe = replace(model_plugin.training, epochs=config.epochs) if config.epochs else model_plugin.training
        folder = model_folder(model_plugin, corpus, config.seed, recipe)
        cached = (folder / MODEL_FILE).is_file()
        if not cached:
            # an untrained network of the architecture: its layers are known before any training
            check_method_parameters(methods, model_plugin.build(len(corpus.labels)), model_plugin.frontend().grid)
        if train or cached:
            model = trained_model(
                model_plugin, corpus, seed=config.seed, device=device, config=recipe, show_progress=show_progress
            )
            if cached:  # checked against the network the methods will explain
                check_method_parameters(methods, model.network, model.frontend.grid)
        else:
            model = None
    candidates = corpus.split(split)
    match = None
    if model is not None:
        match = match_labels(
            model.labels,
            corpus.labels,
            candidates,
            model=model.name,
            corpus=corpus.name,
            source=names_source(model.card),
            mapped=list((model.card.get("label_map") or {}).values()),
        )
        candidates = [clip for clip in candidates if clip.label not in match.clips_not_outputtable]
    clips = select_clips(candidates, config.limit)
    if not clips:
        if match is not None and match.clips_not_outputtable:
            raise DataError(
                f"dataset {corpus.name}: no {split} clip has a label model {model.name} can output "
                f"(its outputs: {', '.join(model.labels)}; the clips' labels: {', '.join(match.clips_not_outputtable)})"
            )
        raise DataError(f"dataset {corpus.name}: the {split} split has no clips")
    return _Setup(corpus, model, folder, clips, match, methods, metrics, skipped_metrics, extractor, device, executor)


def _unavailable_removals(metrics: list[PlannedMetric], frontend: FrontEnd, model: str) -> list[dict[str, str]]:
    """Metrics whose ``removal`` the model's front end cannot perform, taken out of ``metrics`` with the reason."""
    skipped = []
    for metric in list(metrics):
        removal = getattr(metric.params, "removal", None)
        reason = removal_unavailable(removal, frontend) if removal else ""
        if reason:
            skipped.append({"metric": metric.name, "reason": f"{reason} (model {model})"})
            metrics.remove(metric)
    return skipped


def plan_run(config: RunConfig, registry: Registry) -> dict[str, Any]:
    """What ``run`` would compute and what the cache already holds, without computing anything.

    Pieces are counted per kind: the model (trained or to train), cue tracks per clip,
    explanation batches per method and score batches per (explanation, metric). Without a
    trained model the explained classes are unknown, so every explanation and score is
    counted as to compute.
    """
    setup = _prepare(config, registry, show_progress=False, train=False)
    batches = [setup.clips[i : i + config.batch_size] for i in range(0, len(setup.clips), config.batch_size)]
    model = "cached" if setup.model else f"to train (folder {setup.model_folder})"
    if config.checkpoint is not None:
        model = f"checkpoint {config.checkpoint}"
    plan: dict[str, Any] = {
        "model": model,
        "clips": len(setup.clips),
        "batches_per_method": len(batches),
        "skipped_metrics": setup.skipped_metrics,
    }
    counts = {kind: {"cached": 0, "to_compute": 0} for kind in ("cue tracks", "explanations", "scores")}
    if setup.extractor is not None:
        for clip in setup.clips:
            counts["cue tracks"]["cached" if is_cached(setup.extractor, clip) else "to_compute"] += 1
    if setup.model is None:
        counts["explanations"]["to_compute"] = len(batches) * len(setup.methods)
        counts["scores"]["to_compute"] = len(batches) * len(setup.methods) * len(setup.metrics)
    else:
        pieces = PieceCache(model_identity(setup.model.network, setup.model.card), enabled=config.use_cache)
        _, predictions = predict_clips(setup.model, setup.clips, config.batch_size)
        for planned in setup.methods:
            for number, batch_clips in enumerate(batches):
                start = number * config.batch_size
                targets = predictions[start : start + len(batch_clips)].tolist()
                seed = batch_seed(config.seed, start)
                key, score_keys = piece_keys(
                    pieces, planned, setup.metrics, setup.extractor, batch_clips, targets, seed
                )
                counts["explanations"]["cached" if pieces.has("explanations", key) else "to_compute"] += 1
                for score_key in score_keys:
                    counts["scores"]["cached" if pieces.has("scores", score_key) else "to_compute"] += 1
    plan["pieces"] = counts
    return plan


def run_benchmark(config: RunConfig, registry: Registry, *, show_progress: bool = True) -> RunResult:
    """Run the whole chain and write ``manifest.json`` and ``results.parquet`` into the run directory."""
    started = time.perf_counter()
    setup = _prepare(config, registry, show_progress, train=True)
    corpus, model, clips, methods, metrics, extractor = (
        setup.corpus,
        setup.model,
        setup.clips,
        setup.methods,
        setup.metrics,
        setup.extractor,
    )
    assert model is not None  # _prepare trains when asked to
    profiles = metric_profiles(registry, metrics)
    cue_profile = _cue_profile(registry, profiles)
    dataset_record = registry.record("dataset", config.dataset)
    model_record = registry.record("model", config.model)
    skipped_metrics, device = setup.skipped_metrics, setup.device

    run_id = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
    run_dir = Path(config.out) if config.out else Path("runs") / run_id
    resumed = resumed_run_id(run_dir, config)
    run_id = resumed or run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    if resumed is None:
        claim_run_dir(run_dir)

    failures: list[dict[str, str]] = []
    manifest: dict[str, Any] = {
        "run_id": run_id,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": config_record(config),
        "seed": config.seed,
        "device": str(device),
        "dataset": {
            **dataset_record.as_dict(),
            **corpus_record(corpus),
            "split": explained_split(config),
            "clips_scored": len(clips),
        },
        "model": {**model_record.as_dict(), "card": dict(model.card)},
        "methods": [
            {
                **registry.record("method", p.plugin.name).as_dict(),
                "label": p.label,
                "cost": p.plugin.cost,
                "model_passes_per_clip": declared_passes(p.plugin, p.params, model.frontend.grid),
                "parameters": asdict(p.params),
            }
            for p in methods
        ],
        "cues": registry.record("cues", extractor.name).as_dict() if extractor else None,
        "metrics": [metric_record(registry, m, model.frontend.grid) for m in metrics],
        "skipped_metrics": skipped_metrics,
        "packages": package_versions(),
        "environment": environment(),
        "failures": failures,
        "cue_profile": cue_profile.name,
    }
    write_manifest(run_dir, manifest)

    masks = (
        evidence_masks(clips, model.frontend.grid) if "masks" in required_inputs(m.plugin for m in metrics) else None
    )
    rows: list[ResultRow] = []
    records: list[dict[str, Any]] = []
    counts = PieceCounts()
    with progress_bar(show_progress) as progress:
        inputs, predictions = predict_clips(model, clips, config.batch_size)
        assert setup.labels is not None  # matched whenever there is a model
        manifest["model"]["measured"] = measured_quality(model.labels, clips, predictions.tolist(), setup.labels)
        cue_tracks = _extract_cues(extractor, clips, failures, progress, counts) if extractor else None
        spec = GridSpec(
            model=model,
            model_digest=model_identity(model.network, model.card),
            clips=tuple(clips),
            inputs=inputs.cpu().numpy(),
            predictions=predictions.cpu().numpy(),
            methods=tuple(methods),
            metrics=tuple(metrics),
            profiles=profiles,
            extractor=extractor,
            cue_tracks=cue_tracks,
            cue_errors={f["clip_id"]: f["error"] for f in failures},
            masks=masks,
            batch_size=config.batch_size,
            seed=config.seed,
            use_cache=config.use_cache,
        )
        jobs = spec.jobs()
        grid = progress.add_task(f"{'grid':>14}", total=len(jobs), status="(method, batch) jobs")
        tasks = [progress.add_task(f"{m.label:>14}", total=len(clips), status="") for m in methods]

        def done(outcome: JobOutcome) -> None:
            advance = min(config.batch_size, len(clips) - outcome.job.start)
            progress.update(tasks[outcome.job.method_index], advance=advance)
            progress.update(grid, advance=1)

        outcomes = run_jobs(spec, jobs, setup.executor, on_done=done)
    for job in jobs:  # job order, not completion order: the same results whatever the executor
        outcome = outcomes[job]
        failures.extend(outcome.failures)
        counts.add(outcome.counts)
        if outcome.explanations is None:
            continue
        records.extend(explanation_record(e, model.labels) for e in outcome.explanations)
        planned = methods[job.method_index]
        batch_clips = clips[job.start : job.start + config.batch_size]
        targets = predictions[job.start : job.start + len(batch_clips)].tolist()
        for metric, columns in zip(metrics, outcome.columns, strict=True):
            rows.extend(
                _rows(metric, columns, batch_clips, targets, planned.label, run_id, corpus.name, config, model, spec)
            )
    write_explanations(run_dir, records)
    write_examples(run_dir, choose_examples(spec, jobs, outcomes, cue_profile))
    manifest["seconds"] = round(time.perf_counter() - started, 1)
    manifest["pieces"] = counts.as_dict()
    write_manifest(run_dir, manifest)
    write_results(run_dir, rows)
    frame = rows_frame(rows)
    board = aggregate(frame, metric_directions(manifest), quality=model_quality(manifest))
    return RunResult(run_dir, manifest, frame, board)


def _cue_profile(registry: Registry, profiles: Mapping[str, ProfilePlugin]) -> ProfilePlugin:
    """The profile a run's cue findings are judged by (examples, report, figures): its metrics', else consensus.

    Recorded in the manifest as ``cue_profile``, so every view of the run reads the same one.
    """
    return (
        profiles.get("cue-plausibility") or next(iter(profiles.values()), None) or registry.get("profile", "consensus")
    )


def explanation_record(explanation: Explanation, labels: Sequence[str]) -> dict[str, Any]:
    """What ``explanations.jsonl`` keeps of one explanation: target, salient windows (s), the method's findings."""
    return {
        "clip_id": explanation.clip_id,
        "method": explanation.method,
        "target": labels[explanation.target],
        "salient_windows": salient_windows(explanation).round(4).tolist(),
        "details": dict(explanation.details),
    }


def metric_directions(manifest: Mapping[str, Any]) -> dict[str, bool | None]:
    return {metric["name"]: metric["higher_is_better"] for metric in manifest.get("metrics", [])}


def evidence_masks(clips: Sequence[Clip], grid: InputGrid) -> np.ndarray:
    """Ground-truth evidence of each clip on the model's input grid; all False for a clip without ground truth."""
    empty = np.zeros(grid.shape, dtype=bool)
    return np.stack([clip.ground_truth.evidence_mask(grid) if clip.ground_truth else empty for clip in clips])


def predict_clips(model: LoadedModel, clips: Sequence[Clip], batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Model inputs of ``clips`` and the predicted class of each, in batches."""
    inputs = model.features(clips)
    logits = torch.cat([model.logits(inputs[i : i + batch_size]) for i in range(0, len(clips), batch_size)])
    return inputs, logits.argmax(dim=1)


def _extract_cues(
    extractor: CueExtractorPlugin,
    clips: Sequence[Clip],
    failures: list[dict[str, str]],
    progress: Any,
    counts: PieceCounts,
) -> dict[str, CueTracks]:
    """Each clip's tracks once, whatever the number of methods (they do not depend on the method)."""
    task = progress.add_task(f"{'cues ' + extractor.name:>14}", total=len(clips), status="")
    tracks: dict[str, CueTracks] = {}
    for clip in clips:
        counts.count("cue tracks", hit=is_cached(extractor, clip))
        try:
            tracks[clip.clip_id] = cached_tracks(extractor, clip)
        except Exception as error:  # a bad clip is skipped and recorded, the run goes on
            failures.append(
                {"stage": f"cues {extractor.name}", "clip_id": clip.clip_id, "error": describe_error(error)}
            )
            tracks[clip.clip_id] = _empty_tracks(clip, extractor)
        progress.update(task, advance=1)
    return tracks


def _empty_tracks(clip: Clip, extractor: CueExtractorPlugin) -> CueTracks:
    """All-NaN tracks for a clip whose extraction failed, so its cue scores become NaN."""
    return CueTracks(
        clip_id=clip.clip_id,
        seconds_per_frame=0.01,
        tracks={cue: np.full(1, np.nan) for cue in extractor.cues},
        units=dict(extractor.cues),
        voiced=np.zeros(1, dtype=bool),
        extractor=extractor.name,
    )


def resumed_run_id(run_dir: Path, config: RunConfig) -> str | None:
    """The run id of an earlier run of the same configuration in ``run_dir``, so a resumed run's rows match."""
    manifest_path = run_dir / MANIFEST
    if not manifest_path.is_file():
        return None
    try:
        earlier = read_manifest(manifest_path)
    except ResultsError:
        return None  # unreadable: this run claims the folder
    # through JSON, as the manifest stored it: tuples read back as lists
    same = earlier.get("config") == json.loads(json.dumps(config_record(config)))
    return earlier.get("run_id") if same else None


def claim_run_dir(run_dir: Path) -> None:
    """Remove the outputs of an earlier run of another configuration before this run's manifest replaces its own.

    Otherwise a run killed between the two would leave the old rows under the new
    manifest, and every view of the folder would show them as this run's.
    """
    for name in (RESULTS, EXPLANATIONS, SUMMARIES, ARRAYS):
        (run_dir / name).unlink(missing_ok=True)


def config_record(config: RunConfig) -> dict[str, Any]:
    """The configuration as the manifest keeps it (paths as text)."""
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()}


def _rows(
    metric: PlannedMetric,
    columns: Sequence[ColumnScores],
    clips: Sequence[Clip],
    targets: Sequence[int],
    method: str,
    run_id: str,
    dataset: str,
    config: RunConfig,
    model: LoadedModel,
    spec: GridSpec,
) -> list[ResultRow]:
    rows = []
    uses_cues = "cues" in metric.plugin.requires
    for scored in columns:
        for clip, target, value, reason in zip(clips, targets, scored.values, scored.reasons, strict=True):
            if uses_cues and np.isnan(value) and clip.clip_id in spec.cue_errors:
                # a clip whose cue extraction failed carries that failure as the reason of its NaN cue scores
                reason = f"cue extraction failed: {spec.cue_errors[clip.clip_id]}"
            prediction = model.labels[int(target)]
            rows.append(
                ResultRow(
                    run_id=run_id,
                    dataset=dataset,
                    split=clip.split,
                    model=model.name,
                    method=method,
                    cues=config.cues if uses_cues else "",
                    metric=result_column(metric.name, scored.column),
                    clip_id=clip.clip_id,
                    label=clip.label,
                    prediction=prediction,
                    correct=prediction == clip.label,
                    value=float(value),
                    reason=reason,
                    speaker=clip.speaker,
                )
            )
    return rows
