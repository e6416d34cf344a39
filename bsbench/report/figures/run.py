"""Figures of a whole run: each metric by method with its 95% interval, and cue profiles per emotion."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from bsbench.interfaces.protocols import ProfilePlugin
from bsbench.report.figures import literal

CUE_METRIC = "cue-salience"
#: Columns of the metric figure before it wraps to another row.
PANELS_PER_ROW = 4


def metric_figure(board: pd.DataFrame) -> Figure:
    """One panel per metric: each method's mean with its 95% bootstrap interval, per (dataset, model)."""
    metrics = list(dict.fromkeys(board["metric"]))
    rows = math.ceil(len(metrics) / PANELS_PER_ROW)
    columns = min(len(metrics), PANELS_PER_ROW)
    figure = Figure(figsize=(3.4 * columns, 0.45 * board["method"].nunique() * rows + 1.6 * rows), layout="constrained")
    axes_grid = figure.subplots(rows, columns, squeeze=False)
    blocks = list(dict.fromkeys(zip(board["dataset"], board["model"], strict=True)))
    offsets = np.linspace(-0.2, 0.2, len(blocks)) if len(blocks) > 1 else [0.0]
    methods = list(dict.fromkeys(board["method"]))
    for axes, metric in zip(axes_grid.flat, metrics, strict=False):
        shown = board[board["metric"] == metric]
        for offset, (dataset, model) in zip(offsets, blocks, strict=True):
            part = shown[(shown["dataset"] == dataset) & (shown["model"] == model)]
            where = np.array([methods.index(m) for m in part["method"]], dtype=float) + offset
            low = (part["mean"] - part["ci_low"]).clip(lower=0).fillna(0)
            high = (part["ci_high"] - part["mean"]).clip(lower=0).fillna(0)
            label = literal(f"{dataset} / {model}") if len(blocks) > 1 else None
            axes.errorbar(part["mean"], where, xerr=[low, high], fmt="o", capsize=3, markersize=4, label=label)
        direction = shown["higher_is_better"].iloc[0]
        arrow = {True: " (higher is better)", False: " (lower is better)"}.get(direction, "")
        axes.set_title(literal(f"{metric}{arrow}"), fontsize=9)
        axes.set_yticks(range(len(methods)), [literal(method) for method in methods])
        axes.invert_yaxis()
        axes.grid(axis="x", alpha=0.3)
        axes.set_xlabel("mean over clips, 95% CI", fontsize=8)
    for axes in list(axes_grid.flat)[len(metrics) :]:
        axes.set_axis_off()
    if len(blocks) > 1:
        axes_grid.flat[0].legend(fontsize=7)
    return figure


def cue_profile_figure(rows: pd.DataFrame, profile: ProfilePlugin | None) -> Figure | None:
    """Per method, a heatmap of the mean cue-salience difference (clip SDs) by true emotion and cue.

    Cells the profile settles carry its expected direction (+ or -) in the corner, so
    agreement reads at a glance. None when the run has no cue-salience results.
    """
    cue_rows = rows[rows["metric"].str.startswith(f"{CUE_METRIC}:")]
    if cue_rows.empty:
        return None
    cue_rows = cue_rows.assign(cue=cue_rows["metric"].str.split(":").str[1])
    methods = list(dict.fromkeys(cue_rows["method"]))
    emotions = sorted(cue_rows["label"].unique())
    cues = sorted(cue_rows["cue"].unique())
    figure = Figure(figsize=(1.0 + 0.62 * len(cues) * len(methods), 1.4 + 0.42 * len(emotions)), layout="constrained")
    axes_row = figure.subplots(1, len(methods), squeeze=False)[0]
    image = None
    for axes, method in zip(axes_row, methods, strict=True):
        means = (
            cue_rows[cue_rows["method"] == method]
            .groupby(["label", "cue"])["value"]
            .mean()
            .unstack()
            .reindex(index=emotions, columns=cues)
        )
        image = axes.imshow(means.to_numpy(dtype=float), cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
        for i, emotion in enumerate(emotions):
            for j, cue in enumerate(cues):
                value = means.iloc[i, j]
                if np.isfinite(value):
                    axes.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7)
                cell = (profile.cells.get(emotion, {}) if profile else {}).get(cue)
                if cell is not None and cell.direction in (1, -1):
                    sign = "+" if cell.direction > 0 else "−"
                    axes.text(j + 0.42, i - 0.42, sign, ha="right", va="top", fontsize=8, fontweight="bold")
        axes.set_xticks(range(len(cues)), [literal(cue) for cue in cues], rotation=60, ha="right", fontsize=8)
        axes.set_yticks(range(len(emotions)), [literal(emotion) for emotion in emotions], fontsize=8)
        axes.set_title(literal(method), fontsize=10)
    if image is not None:
        colorbar = figure.colorbar(image, ax=list(axes_row), shrink=0.8)
        colorbar.set_label("salient windows vs clip (SD), mean over clips")
    expected = f"; + / − in a corner: {profile.name} expects higher / lower" if profile else ""
    figure.suptitle(literal(f"cue profile of the salient windows by true emotion{expected}"), fontsize=10)
    return figure
