"""``bsbench report``: one self-contained HTML page of a run, images embedded, every data string escaped.

The page holds the run's configuration, the leaderboard, the per-emotion breakdown,
the metric and cue-profile figures and the example explanations the run kept (a
correctly and a wrongly classified clip per method), each with players for the original,
masked-in and masked-out audio (inline WAV data). It has no script and loads
nothing from elsewhere, so it opens offline and can be mailed as one file. File
names, labels, plugin descriptions and parameters come from data and are escaped
with :func:`html.escape` before they meet any markup.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import soundfile
from matplotlib.figure import Figure

from bsbench import __version__
from bsbench.core.types import ALL_CLIPS
from bsbench.explain.clip import ClipExplanation
from bsbench.explain.listening import Listening
from bsbench.registry.loader import Registry
from bsbench.report.figures import png_bytes
from bsbench.report.figures.clip import clip_figure
from bsbench.report.figures.run import cue_profile_figure, metric_figure
from bsbench.results.example_store import read_examples
from bsbench.results.leaderboard import aggregate, quality_text, render
from bsbench.results.run_set import read_runs
from bsbench.results.validation_findings import RELIABILITY_CHECKS, load_findings

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 82rem; color: #222; line-height: 1.4; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.6rem 0; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
table.leaderboard td { white-space: nowrap; } .scroll { overflow-x: auto; }
thead th { border-bottom: 2px solid #555; }
img { max-width: 100%; } .example { margin: 1.4rem 0; } code { font-size: 0.85rem; }
.muted { color: #666; } .players { display: flex; flex-wrap: wrap; gap: 1rem; }
figure.listen { margin: 0.4rem 0; } figure.listen figcaption { font-size: 0.85rem; color: #444; }
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _image(figure: Figure | None, alt: str) -> str:
    if figure is None:
        return ""
    encoded = base64.b64encode(png_bytes(figure)).decode("ascii")
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{encoded}">'


def _players(listening: Listening | None) -> str:
    """Inline players for the original, masked-in and masked-out clips (16-bit WAV data, no script)."""
    if listening is None:
        return (
            '<p class="muted">No audio kept for this example: its model\'s front end cannot be resynthesised, '
            "or the run was written before bsbench kept audio.</p>"
        )
    parts = []
    captions = {"masked-in": "masked in: the salient windows alone", "masked-out": "masked out: the clip without them"}
    for part, samples in listening.parts():
        label = captions.get(part, part)
        buffer = io.BytesIO()
        soundfile.write(buffer, np.clip(samples, -1, 1), listening.sample_rate, format="WAV", subtype="PCM_16")
        encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
        parts.append(
            f'<figure class="listen"><figcaption>{_e(label)}</figcaption>'
            f'<audio controls preload="metadata" src="data:audio/wav;base64,{encoded}"></audio></figure>'
        )
    return f'<div class="players">{"".join(parts)}</div>'


def _split_words(split: str) -> str:
    """``clips of the test split``, or ``clips of every split`` for a run that explained them all."""
    return "clips of every split" if split == ALL_CLIPS else f"{split} clips"


def _measured_section(measured: dict[str, Any] | None) -> list[str]:
    """The model's accuracy, UAR and confusion matrix on the explained clips, and what its labels left out."""
    if not measured:
        return []
    confusion = measured["confusion"]
    head = "".join(f"<th>{_e(label)}</th>" for label in confusion["predicted"])
    rows = "".join(
        f"<tr><th>{_e(label)}</th>{''.join(f'<td>{_e(count)}</td>' for count in counts)}</tr>"
        for label, counts in zip(confusion["true"], confusion["counts"], strict=True)
    )
    notes = []
    if measured.get("outputs_without_counterpart"):
        notes.append(
            f"Outputs with no label in this corpus (a prediction of one is a mistake): "
            f"{_e(', '.join(measured['outputs_without_counterpart']))}."
        )
    if measured.get("clips_left_out"):
        counts = ", ".join(f"{label} {count}" for label, count in measured["clips_left_out_by_label"].items())
        notes.append(f"{_e(measured['clips_left_out'])} clips left out ({_e(counts)}): {_e(measured['reason'])}.")
    return [
        "<h2>The model on the explained clips</h2>",
        f"<p>Accuracy {_e(_number(measured['accuracy']))}, UAR {_e(_number(measured['unweighted_average_recall']))} "
        f"measured on the {_e(measured['clips'])} explained clips: not a held-out test unless the run explained a "
        "test split the model never saw. Rows: true label; columns: predicted output.</p>",
        f'<div class="scroll"><table><thead><tr><th>true \\ predicted</th>{head}</tr></thead>{rows}</table></div>',
        *(f'<p class="muted">{note}</p>' for note in notes),
    ]


def _pairs(items: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><th>{_e(key)}</th><td><code>{_e(json.dumps(value, default=str))}</code></td></tr>"
        for key, value in items.items()
    )
    return f"<table>{rows}</table>"


def build_report(run_dir: Path, registry: Registry) -> str:
    """The report page of one run, as HTML text."""
    runs = read_runs([run_dir])
    manifest, rows = runs.manifests[0], runs.rows
    board = aggregate(rows, runs.directions, quality=runs.quality)
    by_emotion = aggregate(rows, runs.directions, quality=runs.quality, by="emotion")
    profile = registry.profiles().get(runs.cue_profile)
    examples = read_examples(run_dir)
    findings = load_findings()
    dataset, model = manifest.get("dataset", {}), manifest.get("model", {})
    card = model.get("card", {})
    methods = ", ".join(m.get("label", m.get("name", "?")) for m in manifest.get("methods", []))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>bsbench report {_e(manifest.get('run_id', ''))}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>bsbench report: run {_e(manifest.get('run_id', ''))}</h1>",
        f'<p class="muted">{_e(manifest.get("created", ""))}; bsbench {_e(__version__)}</p>',
        f"<p>Dataset <b>{_e(dataset.get('name', '?'))}</b> ({_e(dataset.get('clips_scored', '?'))} "
        f"{_e(_split_words(dataset.get('split', 'test')))}), model <b>{_e(model.get('name', '?'))}</b> "
        f"({_e(quality_text(board.iloc[0]))}), methods {_e(methods)}.</p>",
        "<h2>Leaderboard</h2>",
        "<p>Mean over clips with a 95% bootstrap interval; the best mean of a column is bold where it beats "
        "the runner-up paired by clip; the rank column ranks methods on one metric with its rank interval.</p>",
        f'<div class="scroll">{render(board, "html", findings=findings)}</div>',
        *_measured_section(model.get("measured")),
        "<h2>What bsbench validate found about these metrics</h2>",
        _validation_section(findings, [m for m in dict.fromkeys(rows["metric"]) if ":" not in m]),
        "<h2>Cues in the salient windows</h2>",
        "<p>Per-cue scores by method: for cue-salience, the cue's mean inside the salient windows minus its "
        "clip mean, in clip SDs.</p>",
        f'<div class="scroll">{render(board, "html", cues=True)}</div>'
        if board["metric"].str.contains(":").any()
        else '<p class="muted">This run has no per-cue scores.</p>',
        "<h2>By emotion</h2>",
        "<p>The same cells split by the clip's true emotion.</p>",
        f'<div class="scroll">{render(by_emotion, "html")}</div>',
        "<h2>Metrics by method</h2>",
        _image(metric_figure(board), "each metric by method with 95% intervals"),
        "<h2>Cue profiles by emotion</h2>",
        _image(cue_profile_figure(rows, profile), "mean cue differences in salient windows by emotion")
        or '<p class="muted">This run has no cue-salience results.</p>',
        "<h2>Example explanations</h2>",
        *(_example(example) for example in examples),
        "" if examples else '<p class="muted">This run kept no example explanations.</p>',
        "<h2>Configuration</h2>",
        _pairs(
            {
                "config": manifest.get("config", {}),
                "dataset": dataset,
                "model": {k: v for k, v in model.items() if k != "card"},
                "model card": card,
                "methods": manifest.get("methods", []),
                "cues": manifest.get("cues"),
                "metrics": manifest.get("metrics", []),
                "skipped metrics": manifest.get("skipped_metrics", []),
                "failures": manifest.get("failures", []),
                "packages": manifest.get("packages", {}),
            }
        ),
        "</body></html>",
    ]
    return "\n".join(parts)


def _validation_section(findings: dict[str, Any] | None, metrics: list[str]) -> str:
    """The reliability checks of the run's metrics from the last ``bsbench validate``, or how to get them."""
    if findings is None:
        return '<p class="muted">No findings kept: run <code>bsbench validate</code> to check these metrics.</p>'
    rows = [c for c in findings["checks"] if c["subject"] in metrics and str(c["check"]).startswith(RELIABILITY_CHECKS)]
    if not rows:
        return '<p class="muted">The last bsbench validate checked none of these metrics.</p>'
    settings = findings["settings"]
    model, preset = _e(settings.get("model", "?")), _e(settings.get("metric_preset", "?"))
    body = "".join(
        f"<tr><td>{_e(c['subject'])}</td><td>{_e(c['check'])}</td><td>{'pass' if c['pass'] else 'FAIL'}</td>"
        f"<td>{_e(c['rule'])}</td></tr>"
        for c in rows
    )
    return (
        f"<p>From <code>bsbench validate</code> of {_e(findings['created'])} (model {model}, localised "
        f"synthetic corpus, preset {preset}).</p><table><thead><tr><th>metric</th><th>check</th>"
        f"<th>result</th><th>numbers</th></tr></thead><tbody>{body}</tbody></table>"
    )


def _number(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, int | float) else "?"


def _example(example: ClipExplanation) -> str:
    outcome = "correct" if example.correct else "wrong"
    heading = (
        f"{example.method}: clip {example.clip_id}, true {example.label}, predicted {example.prediction} ({outcome})"
    )
    windows = ", ".join(f"{start:.2f}-{end:.2f} s" for start, end in example.windows) or "none"
    sentences = "".join(f"<li>{_e(f.sentence(example.prediction, example.profile))}</li>" for f in example.findings)
    tests = "".join(f"<li>{_e(t.sentence(example.prediction, example.method))}</li>" for t in example.interventions)
    if tests:
        tests = f"<p>Cue interventions (each cue moved towards neutral):</p><ul>{tests}</ul>"
    elif example.interventions_note:
        tests = f'<p class="muted">No cue intervention: {_e(example.interventions_note)}</p>'
    return (
        f'<div class="example"><h3>{_e(heading)}</h3>'
        f"{_image(clip_figure(example), heading)}{_players(example.listening)}"
        f"<p>Salient windows: {_e(windows)}</p><ul>{sentences}</ul>{tests}</div>"
    )
