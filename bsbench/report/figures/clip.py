"""The paper's figure for one clip: log-mel input with the relevance overlay and salient windows shaded,
the waveform with the same windows, and each cue's salient-vs-clip difference beside the profile's direction.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from bsbench.explain.clip import ClipExplanation
from bsbench.report.figures import literal

VERDICT_COLOURS = {
    "plausible": "#2a9d5c",
    "implausible": "#c8423b",
    "no evidence": "#9a9a9a",
    "no expectation": "#5b7fb5",
    "not measurable": "#d0d0d0",
}
WINDOW_COLOUR = "#f2b705"
FREQUENCY_TICKS_HZ = (125, 250, 500, 1000, 2000, 4000, 8000, 16000)
#: Cue bars drawn at most: the profile's cues come first in the findings.
MAX_CUES = 10


def clip_figure(example: ClipExplanation) -> Figure:
    """Three panels over one time axis (spectrogram and relevance, waveform) and the cue bar chart."""
    figure = Figure(figsize=(11, 7.5), layout="constrained")
    grid = figure.add_gridspec(2, 2, width_ratios=(2.3, 1), height_ratios=(2, 1))
    spectrum = figure.add_subplot(grid[0, 0])
    wave = figure.add_subplot(grid[1, 0], sharex=spectrum)
    cues = figure.add_subplot(grid[:, 1])
    _input_panel(spectrum, example)
    _waveform_panel(wave, example)
    _cue_panel(cues, example)
    verdict = {True: "; correct", False: f"; wrong, true {example.label}", None: ""}[example.correct]
    confidence = example.probabilities[example.target]
    figure.suptitle(
        literal(f"{example.clip_id}: {example.method} explains '{example.prediction}' (p = {confidence:.2f}{verdict})")
    )
    return figure


def _shade(axes, example: ClipExplanation) -> None:
    for number, (start, end) in enumerate(example.windows):
        axes.axvspan(start, end, color=WINDOW_COLOUR, alpha=0.25, label="salient windows" if number == 0 else None)


def _input_panel(axes, example: ClipExplanation) -> None:
    grid = example.grid
    duration = grid.duration
    if grid.n_bins:
        # mel bands are not evenly spaced in Hz: draw them by index and label chosen frequencies
        extent = (0.0, duration, -0.5, grid.n_bins - 0.5)
        axes.imshow(example.features, origin="lower", aspect="auto", extent=extent, cmap="Greys_r")
        positive = np.clip(example.relevance, 0, None)
        peak = positive.max()
        if peak > 0:
            shown = np.ma.masked_less(positive / peak, 0.15)
            image = axes.imshow(shown, origin="lower", aspect="auto", extent=extent, cmap="inferno", alpha=0.55)
            colorbar = axes.figure.colorbar(image, ax=axes, pad=0.01)
            colorbar.set_label("relevance (share of peak)")
        centres = np.asarray(grid.bin_frequencies_hz)
        marks = [hz for hz in FREQUENCY_TICKS_HZ if centres[0] <= hz <= centres[-1]]
        axes.set_yticks(np.interp(marks, centres, np.arange(grid.n_bins)), [f"{hz:g}" for hz in marks])
        axes.set_ylabel("frequency (Hz, mel scale)")
        axes.set_title("model input (log-mel) with relevance above 15% of its peak")
    else:
        times = np.arange(grid.n_frames) * grid.seconds_per_frame
        axes.plot(times, example.relevance[0], color="#7a2a8c", linewidth=0.6)
        axes.set_ylabel("relevance")
        axes.set_title("relevance over the waveform input")
    _shade(axes, example)
    axes.legend(loc="upper right", fontsize=8)
    axes.tick_params(labelbottom=False)


def _waveform_panel(axes, example: ClipExplanation) -> None:
    times = np.arange(example.waveform.size) / example.sample_rate
    axes.plot(times, example.waveform, color="#333333", linewidth=0.5)
    _shade(axes, example)
    axes.set_xlim(0, max(example.grid.duration, times[-1] if times.size else 0))
    axes.set_xlabel("time (s)")
    axes.set_ylabel("amplitude")
    axes.set_title("waveform")


def _cue_panel(axes, example: ClipExplanation) -> None:
    findings = example.findings[:MAX_CUES]
    if not findings:
        axes.text(0.5, 0.5, "no cue extractor", ha="center", va="center", transform=axes.transAxes)
        axes.set_axis_off()
        return
    positions = np.arange(len(findings))[::-1]
    values = [f.difference if math.isfinite(f.difference) else 0.0 for f in findings]
    colours = [VERDICT_COLOURS[f.verdict] for f in findings]
    axes.barh(positions, values, color=colours)
    axes.axvline(0, color="black", linewidth=0.8)
    limit = max(1.0, *(abs(v) for v in values)) * 1.35
    axes.set_xlim(-limit, limit)
    for position, finding in zip(positions, findings, strict=True):
        if not math.isfinite(finding.difference):
            axes.text(0.05 * limit, position, "n/a", va="center", fontsize=8, color="#777777")
    arrows = {1: " ▲", -1: " ▼"}
    axes.set_yticks(positions, [literal(f"{f.cue}{arrows.get(f.expected, '')}") for f in findings])
    axes.set_xlabel("salient windows vs clip (SD)")
    profile = example.profile or "no profile"
    axes.set_title(literal(f"cues; ▲ / ▼: {profile} expects higher / lower for '{example.prediction}'"), fontsize=9)
    handles = [axes.bar(0, 0, color=c, label=v) for v, c in VERDICT_COLOURS.items()]
    axes.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2, fontsize=7, frameon=False)
