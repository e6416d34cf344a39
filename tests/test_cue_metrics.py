"""The cue metrics of issue 8: plausibility, relevance correlation, recovery and the reference's overlap.

Hand-built cue tracks on the 10 ms grid and maps on the reference 15 ms grid give
values that can be computed by hand; one test runs them on generated speech through the
librosa extractor, with maps that put all relevance on the known evidence or off it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pytest
import torch
from bsbench_plugins.metrics.cue_overlap import CueOverlapMetric, CueOverlapParameters
from bsbench_plugins.metrics.cue_plausibility import CuePlausibilityMetric, CuePlausibilityParameters
from bsbench_plugins.metrics.cue_recovery import CueRecoveryMetric, CueRecoveryParameters
from bsbench_plugins.metrics.cue_relevance import (
    CueRelevanceCorrelationMetric,
    CueRelevanceParameters,
    relevance_on_cue_grid,
)

from bsbench.core.errors import UsageError
from bsbench.core.types import Clip, CueTracks, Explanation, GroundTruth, InputGrid
from bsbench.interfaces.protocols import (
    DatasetRequest,
    LoadedModel,
    MetricPlugin,
    ProfilePlugin,
    ScoringBatch,
    metric_settings,
)
from bsbench.registry.loader import Registry
from bsbench.scoring.plans import plan_metrics
from tests.conftest import SMALL_CORPUS

GRID = InputGrid(seconds_per_frame=0.015, n_frames=134, bin_frequencies_hz=tuple(range(128)))
#: 2 s on the 10 ms cue grid: frame i at i * 10 ms.
CUE_FRAMES = 201
LABELS = ("angry", "neutral", "sad")


@pytest.fixture(scope="module")
def labelled(registry: Registry):
    """A real (untrained) resnet-small carrying ``labels``: cue metrics read only the label order of a model."""

    def build(labels: Sequence[str]) -> LoadedModel:
        plugin = registry.get("model", "resnet-small")
        network = plugin.build(len(labels)).eval()
        return LoadedModel(plugin, network, plugin.frontend(), tuple(labels), torch.device("cpu"), {})

    return build


def tile_map(*tiles: int, weights: Sequence[float] | None = None) -> np.ndarray:
    """A map with relevance only in the given 150 ms tiles (10 frames of 15 ms each)."""
    relevance = np.zeros(GRID.shape, dtype=np.float32)
    for tile, weight in zip(tiles, weights or [1.0] * len(tiles), strict=True):
        relevance[:, 10 * tile : 10 * tile + 10] = weight
    return relevance


def step_track(frames: slice, inside: float = 14.0, outside: float = 10.0) -> np.ndarray:
    track = np.full(CUE_FRAMES, outside)
    track[frames] = inside
    return track


def cue_tracks(tracks: Mapping[str, np.ndarray], voiced: np.ndarray | None = None, voiced_only=()) -> CueTracks:
    n = len(next(iter(tracks.values())))
    voiced = np.ones(n, dtype=bool) if voiced is None else voiced
    return CueTracks("c", 0.01, dict(tracks), {cue: "u" for cue in tracks}, voiced, frozenset(voiced_only), "hand")


def clip(label: str, truth: GroundTruth | None = None) -> Clip:
    return Clip("c", np.zeros(32_000, dtype=np.float32), 16_000, label, "s", "test", ground_truth=truth)


def batch(
    model: LoadedModel,
    maps: Sequence[np.ndarray],
    tracks: Sequence[CueTracks],
    labels: Sequence[str],
    clips: Sequence[Clip] | None = None,
    profile: ProfilePlugin | None = None,
) -> ScoringBatch:
    targets = np.array([model.labels.index(label) for label in labels])
    explanations = tuple(Explanation("c", m, GRID, "probe", int(t)) for m, t in zip(maps, targets, strict=True))
    clips = tuple(clips) if clips is not None else tuple(clip(label) for label in labels)
    inputs = np.zeros((len(maps), 1, *GRID.shape), dtype=np.float32)
    return ScoringBatch(model, clips, inputs, targets, explanations, tuple(tracks), 0, profile=profile)


def expected_difference(track: np.ndarray, inside: slice) -> float:
    return float((track[inside].mean() - track.mean()) / track.std())


@pytest.mark.parametrize("name", ["cue-plausibility", "cue-relevance-correlation", "cue-recovery", "cue-overlap"])
def test_the_cue_metrics_are_registered_plugins_without_model_passes(registry, name):
    metric = registry.get("metric", name)
    assert isinstance(metric, MetricPlugin) and metric.version
    assert metric.model_passes(metric.parameters(), GRID) == 0
    assert "cues" in metric.requires and metric_settings(metric, metric.parameters())


def test_cue_overlap_refuses_an_empty_list_of_high_arousal_classes(registry):
    with pytest.raises(UsageError, match="high_arousal names no class"):
        plan_metrics(registry, ["cue-overlap:high_arousal=+"])
    (planned,) = plan_metrics(registry, ["cue-overlap:high_arousal=angry+sad"])
    assert metric_settings(planned.plugin, planned.params)["high_arousal"] == ["angry", "sad"]


# --- cue-plausibility -----------------------------------------------------------------

#: Tile 2 (0.30-0.45 s) holds cue frames 30-44.
REGION = slice(30, 45)


def test_loud_high_pitched_windows_are_plausible_for_angry_and_implausible_for_sad(labelled, registry):
    model = labelled(LABELS)
    loud = step_track(REGION)
    tracks = cue_tracks({"pitch_level": loud, "loudness": loud})
    scored = CuePlausibilityMetric().score(
        batch(model, [tile_map(2)] * 2, [tracks] * 2, ["angry", "sad"], profile=registry.get("profile", "consensus")),
        CuePlausibilityParameters(),
    )
    # both cues shift by d = 3.52 SD: tanh(d) = 0.998 for angry (both +1) and its negative for sad (both -1)
    shift = math.tanh(expected_difference(loud, REGION))
    assert shift == pytest.approx(0.998, abs=1e-3)
    np.testing.assert_allclose(scored.columns[""], [shift, -shift])
    assert scored.columns[""][0] > 0.5 and scored.columns[""][1] < -0.5
    assert list(scored.reasons[""]) == ["", ""]


def test_cells_weigh_by_their_sources_and_disputed_cells_are_ignored(labelled, registry):
    consensus = registry.get("profile", "consensus")
    angry = consensus.cells["angry"]
    assert len(angry["pitch_level"].sources) == 2 and len(angry["jitter"].sources) == 1
    assert angry["hnr"].direction is None  # "sources disagree"
    up, down = step_track(REGION), step_track(REGION, inside=6.0)
    shift = math.tanh(expected_difference(up, REGION))
    model = labelled(LABELS)

    def score(tracks: Mapping[str, np.ndarray]) -> float:
        scored = CuePlausibilityMetric().score(
            batch(model, [tile_map(2)], [cue_tracks(tracks)], ["angry"], profile=consensus),
            CuePlausibilityParameters(),
        )
        return float(scored.columns[""][0])

    # pitch (2 sources) up as expected, jitter (1 source) down against it: (2 t - t) / 3, not (t - t) / 2 = 0
    assert score({"pitch_level": up, "jitter": down}) == pytest.approx(shift / 3)
    # the reverse: the better-supported cue goes against the profile
    assert score({"pitch_level": down, "jitter": up}) == pytest.approx(-shift / 3)
    # a strongly shifted hnr changes nothing: its cell is disputed
    assert score({"pitch_level": up, "jitter": down, "hnr": down}) == pytest.approx(shift / 3)


def test_neutral_and_unmeasured_profiles_are_nan_with_their_reason(labelled, registry):
    model = labelled(LABELS)
    measured = cue_tracks({"pitch_level": step_track(REGION)})
    unrelated = cue_tracks({"spectral_flux": step_track(REGION)})
    quiet = cue_tracks(
        {"pitch_level": step_track(REGION)}, voiced=np.arange(CUE_FRAMES) > 100, voiced_only=["pitch_level"]
    )
    scored = CuePlausibilityMetric().score(
        batch(
            model,
            [tile_map(2)] * 4,
            [measured, unrelated, quiet, measured],
            ["neutral", "angry", "angry", "sad"],
            profile=registry.get("profile", "consensus"),
        ),
        CuePlausibilityParameters(),
    )
    values, reasons = scored.columns[""], scored.reasons[""]
    assert np.isnan(values[:3]).all() and np.isfinite(values[3])
    assert reasons[0] == "profile consensus has no expectations for neutral (the reference class)"
    assert reasons[1].startswith("extractor hand measures none of the cues profile consensus settles for angry")
    assert "pitch_level: fewer than 3 defined frames inside" in reasons[2]
    assert reasons[3] == ""


# --- cue-relevance-correlation --------------------------------------------------------


def test_relevance_rising_over_time_follows_a_rising_cue_and_opposes_a_falling_one(labelled):
    rising_map = np.tile(np.arange(GRID.n_frames, dtype=np.float32), (GRID.n_bins, 1))
    rising = np.arange(CUE_FRAMES, dtype=float)
    gappy = rising.copy()
    gappy[150:] = np.nan  # undefined frames are left out, not ranked
    tracks = cue_tracks({"rising": rising, "falling": -rising, "gappy": gappy})
    scored = CueRelevanceCorrelationMetric().score(
        batch(labelled(LABELS), [rising_map], [tracks], ["angry"]), CueRelevanceParameters()
    )
    # ranks tie where two 10 ms frames read one 15 ms frame, so "perfect" is 0.9999 rather than 1
    assert scored.columns["rising"][0] == pytest.approx(1.0, abs=1e-3)
    assert scored.columns["falling"][0] == pytest.approx(-1.0, abs=1e-3)
    assert scored.columns["gappy"][0] == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize(("first_relevant_frame", "first_cue_frame"), [(33, 50), (34, 51)])
def test_fifteen_ms_frames_land_on_the_ten_ms_frames_they_contain(first_relevant_frame, first_cue_frame):
    relevance = np.zeros(GRID.shape, dtype=np.float32)
    relevance[:, first_relevant_frame:] = 1.0  # a step at 0.495 s or 0.510 s
    resampled, covered = relevance_on_cue_grid(Explanation("c", relevance, GRID, "m", 0), 210, 0.01)
    assert np.flatnonzero(resampled)[0] == first_cue_frame
    # the map ends at 134 x 15 ms = 2.01 s: cue frames from 2.01 s on have no relevance to compare
    assert covered.sum() == 201 and not covered[201:].any()


def test_a_relevance_step_matches_a_cue_step_at_the_same_instant_exactly(labelled):
    relevance = np.zeros(GRID.shape, dtype=np.float32)
    relevance[:, 33:] = 1.0  # from 0.495 s
    tracks = cue_tracks({"same": step_track(slice(50, None)), "late": step_track(slice(52, None))})
    scored = CueRelevanceCorrelationMetric().score(
        batch(labelled(LABELS), [relevance], [tracks], ["angry"]), CueRelevanceParameters()
    )
    assert scored.columns["same"][0] == pytest.approx(1.0)
    assert scored.columns["late"][0] < 0.99


def test_relevance_correlation_is_nan_for_constant_or_scarce_cues(labelled):
    few = np.full(CUE_FRAMES, np.nan)
    few[:9] = np.arange(9.0)
    tracks = cue_tracks({"flat": np.full(CUE_FRAMES, 3.0), "few": few})
    scored = CueRelevanceCorrelationMetric().score(
        batch(labelled(LABELS), [tile_map(2)], [tracks], ["angry"]), CueRelevanceParameters()
    )
    assert np.isnan(scored.columns["flat"][0]) and np.isnan(scored.columns["few"][0])
    assert scored.reasons["flat"][0] == "flat is constant over its defined frames: nothing to rank"
    assert scored.reasons["few"][0] == "few defined in 9 frames under the map, fewer than 10"


# --- cue-recovery ---------------------------------------------------------------------

#: Tile 8 (1.20-1.35 s) holds cue frames 120-134.
OTHER_REGION = slice(120, 135)


def truth(tracks: CueTracks, carrying: tuple[str, ...]) -> GroundTruth:
    return GroundTruth(tracks, carrying, ((0.3, 0.45, 0.0, 8000.0),) if carrying else (), "localised")


def test_recovery_is_one_on_the_carrying_cue_and_zero_on_another(labelled):
    tracks = cue_tracks({"loudness": step_track(REGION), "pitch_level": step_track(OTHER_REGION)})
    angry = clip("angry", truth(tracks, ("loudness",)))
    # a carrying cue that drops (d = -3.5) beside a non-carrying one that rises less (d = +1.1: high over 0-0.9 s)
    dropped = cue_tracks({"loudness": step_track(REGION, inside=6.0), "pitch_level": step_track(slice(0, 90))})
    sad = clip("sad", truth(dropped, ("loudness",)))
    scored = CueRecoveryMetric().score(
        batch(
            labelled(LABELS),
            [tile_map(2), tile_map(8), tile_map(2)],
            [tracks, tracks, dropped],
            ["angry", "angry", "sad"],
            [angry, angry, sad],
        ),
        CueRecoveryParameters(),
    )
    np.testing.assert_array_equal(scored.columns[""], [1.0, 0.0, 1.0])


def test_recovery_is_nan_where_there_is_nothing_to_recover(labelled):
    tracks = cue_tracks({"loudness": step_track(REGION), "pitch_level": step_track(OTHER_REGION)})
    clips = [
        clip("neutral", truth(tracks, ())),
        clip("angry"),
        clip("angry", truth(tracks, ("hnr", "jitter"))),
    ]
    scored = CueRecoveryMetric().score(
        batch(labelled(LABELS), [tile_map(2)] * 3, [tracks] * 3, ["neutral", "angry", "angry"], clips),
        CueRecoveryParameters(),
    )
    assert np.isnan(scored.columns[""]).all()
    assert scored.reasons[""] == [
        "no cue carries class neutral in this clip (nothing was shifted from neutral)",
        "clip c has no ground truth (a recording, not generated speech)",
        "extractor hand measures none of the carrying cues of angry (hnr, jitter)",
    ]


# --- cue-overlap ----------------------------------------------------------------------

#: Mean loudness per 150 ms tile 0-13 (tile 13 is clipped: 1.95-2.01 s, cue frames 195-200).
TILE_LEVELS = [1.0, 10.0, 2.0, 9.0, 3.0, 8.0, 4.0, 7.0, 5.0, 6.0, 0.1, 0.2, 0.3, 0.4]


def test_overlap_matches_a_hand_computed_case(labelled):
    loudness = np.repeat(TILE_LEVELS, 15)[:CUE_FRAMES]
    voiced = np.ones(CUE_FRAMES, dtype=bool)
    voiced[135:145] = False  # tile 9 keeps 5 voiced frames of 15
    tracks = cue_tracks({"loudness": loudness}, voiced=voiced, voiced_only=["loudness"])
    salient = tile_map(1, 3, 4, 11, weights=[4.0, 3.0, 2.0, 1.0])
    scored = CueOverlapMetric().score(
        batch(labelled(LABELS), [salient] * 2, [tracks] * 2, ["angry", "sad"]), CueOverlapParameters()
    )
    columns = scored.columns
    # angry: expert tiles are the 5 highest {1, 3, 5, 7, 9}; salient {1, 3, 4, 11} share 1 and 3
    # sad: expert tiles are the 5 lowest {10, 11, 12, 13, 0}; they share 11
    np.testing.assert_allclose(columns["loudness:similarity"], [2 / 5, 1 / 5])
    np.testing.assert_allclose(columns["loudness:intervals"], [2, 1])
    # coverage counts defined frames: angry 30 of 15 + 15 + 15 + 15 + 5; sad 15 of 15 x 4 + 6
    np.testing.assert_allclose(columns["loudness:coverage"], [30 / 65, 15 / 66])


def test_overlap_is_nan_for_a_cue_defined_in_too_few_windows(labelled):
    voiced = np.zeros(CUE_FRAMES, dtype=bool)
    voiced[:60] = True  # four tiles
    tracks = cue_tracks({"pitch_level": np.arange(CUE_FRAMES, dtype=float)}, voiced, ["pitch_level"])
    scored = CueOverlapMetric().score(
        batch(labelled(LABELS), [tile_map(2)], [tracks], ["angry"]), CueOverlapParameters()
    )
    assert np.isnan(scored.columns["pitch_level:coverage"][0])
    assert scored.reasons["pitch_level:coverage"][0] == (
        "pitch_level has 3+ defined frames in 4 windows of 150 ms, fewer than 5"
    )


# --- on generated speech --------------------------------------------------------------


@pytest.fixture(scope="module")
def localised(registry: Registry):
    """Emotional test clips with one 0.8 s emotional segment each, and their librosa cue tracks."""
    corpus = registry.get("dataset", "synthetic").load(
        DatasetRequest(seed=0, options={**SMALL_CORPUS, "placement": "localised"})
    )
    clips = tuple(c for c in corpus.split("test") if c.label != "neutral")  # neutral has no evidence to map
    extractor = registry.get("cues", "librosa")
    return corpus.labels, clips, tuple(extractor.extract(c) for c in clips)


def test_oracle_and_inverted_maps_on_generated_speech(registry, labelled, localised):
    labels, clips, tracks = localised
    model = labelled(labels)
    grid = model.frontend.grid
    oracle = np.stack([c.ground_truth.evidence_mask(grid) for c in clips]).astype(np.float32)
    truth_profile = registry.get("profile", "synthetic-emotions")

    def scores(maps: np.ndarray) -> dict[str, Mapping[str, np.ndarray]]:
        # explain the true class: the oracle map is the evidence for it
        targets = np.array([labels.index(c.label) for c in clips])
        explanations = tuple(
            Explanation(c.clip_id, m, grid, "probe", int(t)) for c, m, t in zip(clips, maps, targets, strict=True)
        )
        scoring = ScoringBatch(model, clips, np.zeros((len(clips), 1, *grid.shape)), targets, explanations, tracks, 0)
        return {
            "recovery": CueRecoveryMetric().score(scoring, CueRecoveryParameters()).columns,
            "plausibility": CuePlausibilityMetric()
            .score(dataclasses.replace(scoring, profile=truth_profile), CuePlausibilityParameters())
            .columns,
            "correlation": CueRelevanceCorrelationMetric().score(scoring, CueRelevanceParameters()).columns,
            "overlap": CueOverlapMetric().score(scoring, CueOverlapParameters()).columns,
        }

    right, wrong = scores(oracle), scores(1.0 - oracle)
    assert len(clips) == 12
    # measured: oracle plausibility 0.22 to 0.64 per clip (mean 0.43), inverted mean -0.34
    assert (right["plausibility"][""] > 0.2).all() and right["plausibility"][""].mean() > 0.35
    assert wrong["plausibility"][""].mean() < -0.25
    # the windows of the evidence are those of highest (angry) or lowest (sad) pitch: 0.83 vs 0.10
    assert right["overlap"]["pitch_level:similarity"].mean() > 0.7
    assert wrong["overlap"]["pitch_level:similarity"].mean() < 0.2
    # 1 - map reverses every rank: each correlation flips its sign exactly
    for cue, values in right["correlation"].items():
        np.testing.assert_allclose(values, -wrong["correlation"][cue], atol=1e-12, err_msg=cue)
    # pitch is the cue the evidence follows most closely in time (mean rho 0.25 for level, 0.40 for variability)
    assert np.nanmean(right["correlation"]["pitch_variability"]) > 0.3
    # cue recovery finds a carrying cue moved the true way under the oracle in every clip; the
    # complement isolates the same cues moved the other way (see cue_recovery's docstring)
    np.testing.assert_array_equal(right["recovery"][""], np.ones(12))
    assert wrong["recovery"][""].mean() < 0.2  # measured: 0 of 12
