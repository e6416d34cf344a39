"""One recording of the user's: ``explain`` (prediction, salient windows and what the cues there say) and
``cues`` (a summary of its acoustic cues).
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Annotated

import soundfile
import typer

from bsbench.audio.reading import AudioFacts
from bsbench.cli import shared
from bsbench.cli.options import output_option, seed_option
from bsbench.cli.shared import ModelOptions, print_output, stderr, stdout
from bsbench.core.cache import write_atomic
from bsbench.core.errors import UsageError
from bsbench.core.parameters import parse_key_values
from bsbench.core.types import Clip, Explanation
from bsbench.explain.clip import ClipExplanation, explain_clip
from bsbench.explain.listening import listen
from bsbench.grid.runner import load_corpus, plan_methods, resolve_device
from bsbench.interfaces.protocols import LoadedModel
from bsbench.interfaces.vocabulary import ANALYSIS_RATE
from bsbench.models.store import configure_model, load_checkpoint, trained_model
from bsbench.report.cue_report import cue_summary, plot_tracks
from bsbench.report.figures import save_figure
from bsbench.report.figures.clip import clip_figure
from bsbench.results.leaderboard import render_table


def explain_command(
    audio: Annotated[Path, typer.Argument(help="An audio file (wav, flac, ogg ...); any rate, mixed down to mono.")],
    model: Annotated[str, typer.Option(help="Model plugin (see `bsbench plugins --kind model`).")] = "resnet-small",
    checkpoint: Annotated[
        Path | None,
        typer.Option(help="Weights to explain (weights-only state dict) [default: the model trained on --dataset]."),
    ] = None,
    label_map: Annotated[
        Path | None,
        typer.Option(
            help='With --checkpoint: JSON file naming its outputs in bsbench\'s labels, e.g. {"ps": "surprise"} '
            "(the profile judges cues by the predicted emotion's name) [default: the model card's label_map]."
        ),
    ] = None,
    dataset: Annotated[
        str, typer.Option(help="Without --checkpoint: the dataset the cached model was trained on (trains if absent).")
    ] = "synthetic",
    method: Annotated[str, typer.Option(help="Saliency method, with parameters (e.g. occlusion:window=1x10).")] = (
        "crp"
    ),
    cues: Annotated[str, typer.Option(help="Cue extractor (see `bsbench plugins --kind cues`).")] = "librosa",
    profile: Annotated[str, typer.Option(help="Expert profile the cue findings are judged by.")] = "consensus",
    output: Annotated[
        Path | None,
        output_option("--output", "-o", help_text="Save the figure here (PNG; a PDF is written beside it)."),
    ] = None,
    listen_dir: Annotated[
        Path | None,
        output_option(
            "--listen",
            help_text="Also write <clip>.original.wav, <clip>.masked-in.wav (the salient part alone) and "
            "<clip>.masked-out.wav (the clip without it) into this folder, resynthesised with the clip's own phase.",
            folder=True,
        ),
    ] = None,
    listen_top: Annotated[
        float,
        typer.Option(
            help="With --listen: keep this percentage of the most relevant cells instead of the salient windows "
            "(0: the salient windows, all frequencies)."
        ),
    ] = 0.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
    model_option: ModelOptions = None,
    seed: Annotated[int, seed_option("Seed of the method (and of training, if the model must be trained).")] = 0,
    device: Annotated[str, typer.Option(help="cpu, cuda, cuda:N or auto.")] = "auto",
) -> None:
    """Explain one recording: prediction, salient windows, and what the cues there say, in words.

    Predicts the emotion with class probabilities, explains the predicted class with
    --method, finds the most relevant 150 ms windows (the paper's rule) and compares
    each cue inside them with the whole clip, against the direction --profile expects
    for the predicted emotion ("loudness inside the salient windows is 1.8 SD above
    the clip mean; profile consensus expects higher loudness for angry: plausible").
    Then it tests the profile's cues causally: each is moved towards neutral inside the
    salient windows and, as a control, in matched windows elsewhere ("lowering
    pitch_level by 2 st inside crp's salient windows drops p(angry) from 0.97 to 0.41;
    the same change elsewhere to 0.90 ...").
    `-o figure.png` draws the spectrogram with the relevance and windows, the waveform
    and the cue chart; `--listen DIR` writes the salient part alone and the clip without
    it as audio, to hear what the map points at.
    """
    if not (math.isfinite(listen_top) and 0 <= listen_top < 100):
        raise UsageError(f"--listen-top {listen_top:g}: must be a percentage from 0 to below 100")
    registry = shared.registry()
    clip, _ = _audio_clip(audio)
    [planned] = plan_methods(registry, [method])
    extractor = registry.get("cues", cues)
    expert = registry.get("profile", profile)
    plugin = configure_model(registry.get("model", model), parse_key_values(model_option, "--model-option"))
    chosen_device = resolve_device(device)
    if label_map is not None and checkpoint is None:
        raise UsageError(f"--label-map {label_map}: only with --checkpoint (a model bsbench trains is named already)")
    if checkpoint is not None:
        loaded = load_checkpoint(plugin, checkpoint, chosen_device, label_map)
    else:
        corpus = load_corpus(registry.get("dataset", dataset), None, seed, {})
        loaded = trained_model(plugin, corpus, seed=seed, device=chosen_device, show_progress=not as_json)
    # the front end reads only its input length: cues are compared over that stretch too, and a long
    # recording costs no more than the part that is explained
    explained = math.ceil(loaded.frontend.clip_samples * clip.sample_rate / loaded.frontend.sample_rate)
    if clip.waveform.shape[0] > explained:
        stderr.print(
            f"{audio}: explaining the first {explained / clip.sample_rate:.2f} s of "
            f"{clip.waveform.shape[0] / clip.sample_rate:.2f} s (the model's input length)"
        )
        clip = dataclasses.replace(clip, waveform=clip.waveform[:explained])
    example = explain_clip(loaded, clip, planned, extractor, expert, seed)
    if output is not None:
        written = save_figure(clip_figure(example), output.with_suffix(""))
        if not as_json:
            stderr.print(f"figure: {', '.join(str(path) for path in written)}", markup=False)
    if listen_dir is not None:
        written = _write_listening(loaded, clip, example, listen_dir, audio.stem, listen_top)
        if not as_json:
            stderr.print(f"audio: {', '.join(str(path) for path in written)}", markup=False)
    summary = example.summary()
    if as_json:
        print_output(json.dumps(summary, indent=2), "json")
        return
    ranked = sorted(summary["probabilities"].items(), key=lambda item: -item[1])
    stdout.print(
        f"{audio}: {example.prediction} (p = {ranked[0][1]:.2f}; then "
        + ", ".join(f"{label} {p:.2f}" for label, p in ranked[1:4])
        + f") from {loaded.name}",
        markup=False,
    )
    windows = ", ".join(f"{start:.2f}-{end:.2f} s" for start, end in example.windows) or "none"
    stdout.print(f"{planned.label}: salient windows {windows}", markup=False)
    for finding in example.findings:
        stdout.print(f"- {finding.sentence(example.prediction, example.profile)}", markup=False)
    if example.interventions:
        stdout.print(f"{planned.label}: each of the profile's cues moved towards neutral", markup=False)
    elif example.interventions_note:
        stdout.print(f"no cue intervention: {example.interventions_note}", markup=False)
    for intervention in example.interventions:
        stdout.print(f"- {intervention.sentence(example.prediction, planned.label)}", markup=False)


def _write_listening(
    model: LoadedModel, clip: Clip, example: ClipExplanation, folder: Path, stem: str, top_percent: float
) -> list[Path]:
    """The original, masked-in and masked-out clips as 32-bit float WAVs at the model's rate.

    The salient windows were heard already with the example; only a top share of cells needs new audio.
    """
    heard = example.listening
    if top_percent or heard is None:
        explanation = Explanation(clip.clip_id, example.relevance, example.grid, example.method, example.target)
        try:
            heard = listen(model, clip, explanation, top_percent)
        except ValueError as error:
            raise UsageError(f"--listen: {error}") from None
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for part, samples in (
        ("original", heard.original),
        ("masked-in", heard.masked_in),
        ("masked-out", heard.masked_out),
    ):
        path = folder / f"{stem}.{part}.wav"
        write_atomic(
            path, lambda temp, s=samples: soundfile.write(temp, s, heard.sample_rate, format="WAV", subtype="FLOAT")
        )
        written.append(path)
    return written


def _audio_clip(audio: Path) -> tuple[Clip, AudioFacts]:
    """A user's audio file as an unlabelled clip at the analysis rate, or one line saying why it cannot be read."""
    samples, facts = shared.read_user_audio(audio)
    return Clip(audio.stem, samples, ANALYSIS_RATE, "unknown", "unknown", "test", source=str(audio)), facts


def cues_command(
    audio: Annotated[Path, typer.Argument(help="An audio file (wav, flac, ogg ...); any rate, mixed down to mono.")],
    extractor: Annotated[str, typer.Option(help="Cue extractor (see `bsbench plugins --kind cues`).")] = "librosa",
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON records.")] = False,
    plot: Annotated[
        Path | None, output_option("--plot", help_text="Also draw every cue track over time into this PNG.")
    ] = None,
) -> None:
    """Summarise one clip's acoustic cues: unit, defined frames, mean, SD and range per cue."""
    plugin = shared.registry().get("cues", extractor)
    clip, facts = _audio_clip(audio)
    tracks = plugin.extract(clip)
    summary = cue_summary(tracks)
    if plot is not None:
        plot_tracks(tracks, plot)
    if as_json:
        print_output(render_table(summary, "json"), "json")
        return
    voiced = float(tracks.voiced.mean()) if tracks.n_frames else 0.0
    stdout.print(
        f"{audio}: {facts.seconds:.2f} s at {facts.sample_rate} Hz, {tracks.n_frames} frames of "
        f"{1000 * tracks.seconds_per_frame:.0f} ms, {voiced:.0%} voiced ({plugin.name})",
        markup=False,
    )
    stdout.print(render_table(summary, "table"), markup=False)
    if plot is not None:
        stdout.print(f"tracks drawn in {plot}", markup=False)
