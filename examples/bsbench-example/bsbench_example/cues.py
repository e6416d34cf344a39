"""``energy``: frame intensity in dB on bsbench's 10 ms grid, with a voiced mask from an energy threshold."""

from __future__ import annotations

import numpy as np

from bsbench.plugin import (
    HOP_SAMPLES,
    SECONDS_PER_FRAME,
    Clip,
    CueTracks,
    analysis_samples,
    cue_units,
    frame_count,
    hookimpl,
)

#: Frames this far below the clip's loudest frame, or below -60 dB full scale, count as unvoiced.
VOICED_RANGE_DB = 30.0
FLOOR_DB = -100.0


class EnergyCues:
    name = "energy"
    description = "Frame intensity (dB of mean square, 25 ms windows every 10 ms) with an energy-based voiced mask."
    version = "0.1.0"
    cues = cue_units(["intensity_db"])

    def extract(self, clip: Clip) -> CueTracks:
        samples = analysis_samples(clip)
        frames = frame_count(samples.shape[0])
        padded = np.pad(samples, (200, 200 + HOP_SAMPLES))
        windows = np.lib.stride_tricks.sliding_window_view(padded, 400)[::HOP_SAMPLES][:frames]
        power = np.mean(windows.astype(np.float64) ** 2, axis=1)
        level = np.maximum(10 * np.log10(np.maximum(power, 1e-12)), FLOOR_DB)
        voiced = (level > level.max() - VOICED_RANGE_DB) & (level > -60.0)
        tracks = {"intensity_db": level}
        return CueTracks(clip.clip_id, SECONDS_PER_FRAME, tracks, self.cues, voiced, extractor=self.name)


@hookimpl
def bsbench_register_cues(register):
    register(EnergyCues())
