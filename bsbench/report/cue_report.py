"""Human-readable views of cue tracks and expert profiles, for the ``cues`` and ``profiles`` commands."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from bsbench.core.types import CueTracks
from bsbench.interfaces.protocols import ProfilePlugin
from bsbench.report.figures import literal

ARROWS = {1: "up", -1: "down", 0: "same", None: "~ (unsettled: not scored)"}


def cue_summary(tracks: CueTracks) -> pd.DataFrame:
    """One row per cue: unit, defined frames, mean, SD, range (voiced frames only for voiced-only cues)."""
    rows = []
    for cue, track in tracks.tracks.items():
        values = track[tracks.valid_frames(cue)]
        rows.append(
            {
                "cue": cue,
                "unit": tracks.units[cue],
                "frames": int(values.size),
                "voiced_only": cue in tracks.voiced_only,
                "mean": float(values.mean()) if values.size else float("nan"),
                "sd": float(values.std()) if values.size else float("nan"),
                "min": float(values.min()) if values.size else float("nan"),
                "max": float(values.max()) if values.size else float("nan"),
            }
        )
    return pd.DataFrame.from_records(rows)


def profile_table(profile: ProfilePlugin) -> pd.DataFrame:
    """One row per (emotion, cue) cell: expected direction vs. neutral and the sources behind it."""
    rows = [
        {"emotion": emotion, "cue": cue, "direction": ARROWS[cell.direction], "sources": ", ".join(cell.sources)}
        for emotion, row in profile.cells.items()
        for cue, cell in row.items()
    ]
    return pd.DataFrame.from_records(rows, columns=["emotion", "cue", "direction", "sources"])


def plot_tracks(tracks: CueTracks, path: Path) -> None:
    """A PNG with one panel per cue over time; unvoiced frames of voiced-only cues are gaps."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    times = np.arange(tracks.n_frames) * tracks.seconds_per_frame
    cues = list(tracks.tracks)
    figure, axes = pyplot.subplots(len(cues), 1, figsize=(8, 1.4 * len(cues)), sharex=True, squeeze=False)
    for axis, cue in zip(axes[:, 0], cues, strict=True):
        shown = np.where(tracks.valid_frames(cue), tracks.tracks[cue], np.nan)
        axis.plot(times, shown, linewidth=1.0)
        axis.set_ylabel(f"{cue}\n[{tracks.units[cue]}]", fontsize=7, rotation=0, ha="right", va="center")
        axis.tick_params(labelsize=7)
    axes[-1, 0].set_xlabel("time (s)")
    figure.suptitle(literal(f"{tracks.clip_id}: cues from {tracks.extractor}"), fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    pyplot.close(figure)
