"""The cue-intervention metric: matched control windows, and a model whose use of a cue is known.

The probe network reads one 150 ms tile of the log-mel input: its class-0 logit is the level of
tile 1 against the clip's mean level. Lowering loudness inside tile 1 must then cost class 0
more than the same change anywhere else, and lowering it in another tile no more than the
controls. Everything else is real: the log-mel front end, the gain,
the window rule and the seeded control draws.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from bsbench_plugins.metrics.cue_intervention import CueInterventionMetric, CueInterventionParameters
from bsbench_plugins.profiles.data_profile import DataProfile

from bsbench.core.errors import UsageError
from bsbench.core.types import Clip, CueTracks, Explanation
from bsbench.cues.controls import cue_windows
from bsbench.cues.interventions import cues_to_test, intervene
from bsbench.interfaces.protocols import LoadedModel, ProfileCell, ScoringBatch

RATE = 16_000
TILE_FRAMES = 10  # 150 ms tiles on the 15 ms log-mel grid
CUE_FRAMES = 201  # 2 s on the 10 ms cue grid


class TileLevelProbe(torch.nn.Module):
    """Logits (level of tile 1 - mean level, 0): class 0 rests on the loudness of 0.15-0.30 s."""

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        tile = inputs[..., TILE_FRAMES : 2 * TILE_FRAMES].mean(dim=(1, 2, 3))
        level = 0.5 * (tile - inputs.mean(dim=(1, 2, 3)))
        return torch.stack([level, torch.zeros_like(level)], dim=1)


@pytest.fixture(scope="module")
def probe(registry) -> LoadedModel:
    plugin = registry.get("model", "resnet-small")
    return LoadedModel(plugin, TileLevelProbe(), plugin.frontend(), ("angry", "sad"), torch.device("cpu"), {})


def voice_clip() -> Clip:
    """2 s of a steady vowel-like tone: every tile voiced and equally loud."""
    t = np.arange(2 * RATE) / RATE
    phase = 2 * np.pi * np.cumsum(140 * (1 + 0.02 * np.sin(2 * np.pi * 5 * t))) / RATE
    samples = 0.1 * sum(np.sin(k * phase) / k for k in range(1, 12))
    return Clip("tone", samples.astype(np.float32), RATE, "angry", "s1", "test")


def tracks(voiced: np.ndarray | None = None) -> CueTracks:
    voiced = np.ones(CUE_FRAMES, dtype=bool) if voiced is None else voiced
    level = np.full(CUE_FRAMES, 60.0)
    return CueTracks(
        "tone",
        0.01,
        {"loudness": level, "pitch_level": np.where(voiced, 40.0, np.nan)},
        {"loudness": "a.u.", "pitch_level": "st"},
        voiced,
        frozenset({"pitch_level"}),
        "probe",
    )


def tile_map(probe: LoadedModel, *tiles: int) -> np.ndarray:
    relevance = np.zeros(probe.frontend.grid.shape, dtype=np.float32)
    for tile in tiles:
        relevance[:, TILE_FRAMES * tile : TILE_FRAMES * (tile + 1)] = 1.0
    return relevance


def explanation(probe: LoadedModel, *tiles: int) -> Explanation:
    return Explanation("tone", tile_map(probe, *tiles), probe.frontend.grid, "probe", 0)


LOUDER_WHEN_ANGRY = DataProfile("probe", "", "1", {}, {"angry": {"loudness": ProfileCell(1, ("x",))}})


def test_controls_match_the_salient_windows_in_number_and_length_and_never_overlap_them(probe):
    rng = np.random.default_rng(0)
    windows = cue_windows(explanation(probe, 1, 4, 9), tracks(), "loudness", 6, rng, 3)
    assert windows.reason == ""
    np.testing.assert_allclose(windows.salient, [[0.15, 0.30], [0.60, 0.75], [1.35, 1.50]])
    assert len(windows.controls) == 6
    for control in windows.controls:
        assert control.shape == (3, 2) and np.allclose(control[:, 1] - control[:, 0], 0.15)
        assert not set(control[:, 0].round(3)) & {0.15, 0.6, 1.35}
        assert np.all(np.diff(control[:, 0]) > 0)
    again = cue_windows(explanation(probe, 1, 4, 9), tracks(), "loudness", 6, np.random.default_rng(0), 3)
    assert all(np.array_equal(a, b) for a, b in zip(windows.controls, again.controls, strict=True))


def test_a_voiced_only_cue_is_changed_and_controlled_on_voiced_windows_only(probe):
    voiced = np.zeros(CUE_FRAMES, dtype=bool)
    voiced[15:30] = voiced[90:120] = True  # tile 1, and tiles 6 and 7
    windows = cue_windows(explanation(probe, 1, 4), tracks(voiced), "pitch_level", 3, np.random.default_rng(0), 3)
    np.testing.assert_allclose(windows.salient, [[0.15, 0.30]])  # tile 4 is unvoiced
    assert {tuple(c[0].round(2)) for c in windows.controls} <= {(0.9, 1.05), (1.05, 1.2)}
    unvoiced = cue_windows(explanation(probe, 4), tracks(voiced), "pitch_level", 3, np.random.default_rng(0), 3)
    assert unvoiced.reason == "no salient window holds 3 voiced frames of pitch_level"
    voiced[90:120] = False
    crowded = cue_windows(explanation(probe, 1), tracks(voiced), "pitch_level", 3, np.random.default_rng(0), 3)
    assert crowded.reason == (
        "0 window(s) outside the salient ones hold 3 voiced frames of pitch_level; 1 needed for a matched control"
    )


def test_lowering_loudness_where_the_model_reads_it_costs_more_than_elsewhere(probe):
    clip, cue_track = voice_clip(), tracks()
    plan = [("loudness", 1)]
    right = intervene(probe, clip, explanation(probe, 1), cue_track, plan, {"loudness": 6.0}, 6, 0, 3)[0]
    wrong = intervene(probe, clip, explanation(probe, 8), cue_track, plan, {"loudness": 6.0}, 6, 0, 3)[0]
    assert right.change == -6.0 and right.reason == ""
    # measured: p(angry) 0.47 -> 0.21 inside tile 1, 0.50 on average elsewhere
    assert right.p_salient < right.p_original - 0.2
    assert right.effect > 0.2
    # tile 8 holds nothing the probe reads: lowering it there is worth what it is worth anywhere
    assert abs(wrong.effect) < 0.02
    assert "lowering loudness by 6 dB inside probe's salient windows drops p(angry)" in right.sentence("angry", "probe")
    assert right.sentence("angry", "probe").endswith("the model uses loudness where probe points")


def test_the_metric_scores_each_profile_cue_and_gives_a_reason_for_every_nan(probe):
    clip = voice_clip()
    explanations = (explanation(probe, 1), dataclasses.replace(explanation(probe, 1), target=1))
    batch = ScoringBatch(
        probe, (clip, clip), np.zeros((2, 1, *probe.frontend.grid.shape)), np.array([0, 1]), explanations,
        (tracks(), tracks()), 0, profile=LOUDER_WHEN_ANGRY,
    )  # fmt: skip
    scores = CueInterventionMetric().score(batch, CueInterventionParameters(preset="quick"))
    assert scores.columns[""][0] == scores.columns["loudness"][0] > 0.2
    assert np.isnan(scores.columns[""][1])
    assert scores.reasons[""][1] == "profile probe settles no cue direction for sad"
    assert scores.reasons["pitch_level"][0] == "not tested: profile probe sets no direction for it in angry"
    assert scores.reasons["loudness"][1] == "profile probe settles no cue direction for sad"
    again = CueInterventionMetric().score(batch, CueInterventionParameters(preset="quick"))
    np.testing.assert_array_equal(scores.columns["loudness"], again.columns["loudness"])


def test_cues_to_test_follow_the_profile_then_the_largest_differences(probe):
    profile = DataProfile(
        "p", "", "1", {}, {"angry": {"loudness": ProfileCell(-1, ("x",)), "jitter": ProfileCell(1, ("x",))}}
    )
    track = tracks()
    track.tracks["pitch_level"][15:30] = 48.0  # higher inside tile 1
    plan, reason = cues_to_test(profile, "angry", explanation(probe, 1), track, 0, 3)
    assert plan == [("loudness", -1)] and reason == ""
    plan, _ = cues_to_test(profile, "angry", explanation(probe, 1), track, 1, 3)
    assert plan == [("loudness", -1), ("pitch_level", 1)]
    jitter_only = DataProfile("j", "", "1", {}, {"angry": {"jitter": ProfileCell(1, ("x",))}})
    assert cues_to_test(jitter_only, "angry", explanation(probe, 1), track, 0, 3) == (
        [],
        "profile j settles for angry only cues that cannot be manipulated (jitter)",
    )


def test_settings_refuse_a_magnitude_that_makes_no_sense():
    metric = CueInterventionMetric()
    assert metric.settings(CueInterventionParameters())["controls"] == 4
    assert metric.settings(CueInterventionParameters(preset="paper"))["controls"] == 10
    with pytest.raises(UsageError, match=r"range_factor=1\.0 must be above 1"):
        metric.settings(CueInterventionParameters(range_factor=1.0))
    with pytest.raises(UsageError, match=r"semitones=-2\.0 must be a positive number"):
        metric.settings(CueInterventionParameters(semitones=-2.0))
