"""Cue extractor checks: the declared cues with their units on the 10 ms grid, a voiced mask, silence survived."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from bsbench.contracts.context import CheckContext
from bsbench.contracts.contract import Check, expect
from bsbench.core.types import Clip, CueTracks
from bsbench.interfaces.vocabulary import SECONDS_PER_FRAME

#: Frames a track may differ from ``duration / 10 ms`` by: analysis windows centred or not at the edges.
FRAME_SLACK = 3


def _tracks(plugin: Any, clip: Clip) -> CueTracks:
    tracks = plugin.extract(clip)
    expect(
        isinstance(tracks, CueTracks), f"expected extract() to return bsbench.CueTracks, got {type(tracks).__name__}"
    )
    return tracks


def _speech(plugin: Any, context: CheckContext) -> CueTracks:
    return context.once(f"cues {plugin.name} {id(plugin)}", lambda: _tracks(plugin, context.clips()[0]))


def _on_the_grid(tracks: CueTracks, clip: Clip) -> None:
    expect(
        np.isclose(tracks.seconds_per_frame, SECONDS_PER_FRAME),
        f"clip {clip.clip_id}: expected frames every {SECONDS_PER_FRAME * 1000:.0f} ms, got {tracks.seconds_per_frame}",
    )
    frames = len(clip.waveform) / clip.sample_rate / SECONDS_PER_FRAME
    expect(
        abs(tracks.n_frames - frames) <= FRAME_SLACK,
        f"clip {clip.clip_id}: expected about {frames:.0f} frames for {frames / 100:.2f} s, got {tracks.n_frames}",
    )
    expect(
        tracks.voiced.dtype == bool, f"clip {clip.clip_id}: expected a boolean voiced mask, got {tracks.voiced.dtype}"
    )


def declares_cues_with_units(plugin: Any, context: CheckContext) -> None:
    """``cues`` maps at least one cue name to a non-empty unit."""
    cues = dict(plugin.cues)
    expect(cues, "expected at least one declared cue")
    unitless = [name for name, unit in cues.items() if not isinstance(unit, str) or not unit.strip()]
    expect(not unitless, f"expected a unit for every cue; none for {', '.join(unitless)}")


def returns_the_declared_cues(plugin: Any, context: CheckContext) -> None:
    """On speech, ``extract`` returns exactly the declared cues, with the declared units, for the clip asked about."""
    tracks = _speech(plugin, context)
    declared, returned = set(plugin.cues), set(tracks.tracks)
    expect(
        returned == declared,
        f"expected cues {sorted(declared)}; missing {sorted(declared - returned)}, extra {sorted(returned - declared)}",
    )
    wrong = {n: tracks.units[n] for n in declared if tracks.units[n] != plugin.cues[n]}
    expect(not wrong, f"expected the declared units; returned {wrong}")
    expect(
        tracks.clip_id == context.clips()[0].clip_id,
        f"expected clip_id {context.clips()[0].clip_id!r}, got {tracks.clip_id!r}",
    )
    infinite = [n for n, track in tracks.tracks.items() if np.isinf(track).any()]
    expect(not infinite, f"expected finite values or NaN (undefined), never infinite: {', '.join(infinite)}")


def frames_on_the_10_ms_grid(plugin: Any, context: CheckContext) -> None:
    """Tracks lie on the 10 ms grid, one frame per 10 ms, with a boolean voiced mask that finds voice in speech."""
    tracks = _speech(plugin, context)
    clip = context.clips()[0]
    _on_the_grid(tracks, clip)
    expect(tracks.voiced.any(), f"clip {clip.clip_id}: expected voiced frames in generated speech; none were voiced")
    undeclared = set(tracks.voiced_only) - set(plugin.cues)
    expect(not undeclared, f"expected voiced_only to name declared cues; {sorted(undeclared)} are not")


def survives_silence(plugin: Any, context: CheckContext) -> None:
    """A second of digital silence gives well-formed tracks with no voiced frame, not an exception."""
    clip = context.clips()[0]
    silence = replace(clip, clip_id="silence", waveform=np.zeros(clip.sample_rate, dtype=np.float32), ground_truth=None)
    tracks = _tracks(plugin, silence)
    _on_the_grid(tracks, silence)
    voiced = int(tracks.voiced.sum())
    expect(voiced == 0, f"expected no voiced frame in silence, got {voiced}")
    infinite = [n for n, track in tracks.tracks.items() if np.isinf(track).any()]
    expect(not infinite, f"expected finite values or NaN on silence, never infinite: {', '.join(infinite)}")


CHECKS = (
    Check("cues", "declares-cues-with-units", declares_cues_with_units),
    Check("cues", "returns-the-declared-cues", returns_the_declared_cues),
    Check("cues", "frames-on-the-10-ms-grid", frames_on_the_10_ms_grid),
    Check("cues", "survives-silence", survives_silence),
)
