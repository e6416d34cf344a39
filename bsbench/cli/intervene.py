"""``bsbench intervene``: change one cue inside chosen time windows of a clip and write the result."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import soundfile
import typer

from bsbench.audio.cue_manipulations import MANIPULATIONS, check_change, manipulation, voiced_in_windows
from bsbench.audio.window_edits import parse_windows
from bsbench.cli.options import output_option
from bsbench.cli.shared import read_user_audio, stderr, stdout
from bsbench.core.cache import write_atomic
from bsbench.interfaces.vocabulary import ANALYSIS_RATE, VOICED_ONLY_CUES

_CUES = "; ".join(f"{name} ({manip.unit}): {manip.how}" for name, manip in MANIPULATIONS.items())


def intervene_command(
    audio: Annotated[Path, typer.Argument(help="An audio file (wav, flac, ogg ...); any rate, mixed down to mono.")],
    cue: Annotated[str, typer.Option(help=f"The cue to change. {_CUES}.")],
    change: Annotated[
        float,
        typer.Option(
            help="How much, in the cue's unit: st = semitones and dB = decibels (signed, 0 = no change, negative "
            "lowers); x = a factor (1 = no change, 0.5 halves); % = percent faster (negative = slower)."
        ),
    ],
    windows: Annotated[
        str, typer.Option(help="Where: start-end spans in seconds, comma-separated (e.g. 0.45-0.60,1.05-1.20).")
    ],
    out: Annotated[Path, output_option("--out", "-o", help_text="The edited clip, a WAV file.")],
) -> None:
    """Change one cue inside the given windows only and write the clip (mono, 16 kHz).

    Outside the windows every sample is the original's; at each window edge a 10 ms
    raised-cosine fade inside the window joins the two, so the edit adds no click. A rate
    change makes the clip longer or shorter; the audio after a window is the original's,
    moved by what the window gained or lost.
    """
    manip = manipulation(cue)
    check_change(manip, change)
    samples, _ = read_user_audio(audio)
    spans = parse_windows(windows, len(samples) / ANALYSIS_RATE)
    if cue in VOICED_ONLY_CUES and not voiced_in_windows(samples, ANALYSIS_RATE, spans):
        stderr.print(f"{audio}: no voiced frames inside the windows (Praat): {cue} stays as it was", markup=False)
    edited, placed = manip.apply_with_windows(samples, ANALYSIS_RATE, spans, change)
    write_atomic(out, lambda temp: soundfile.write(temp, edited, ANALYSIS_RATE, format="WAV", subtype="FLOAT"))
    length = ""
    if len(edited) != len(samples):
        where = ",".join(f"{start:.3f}-{end:.3f}" for start, end in placed)
        length = f"; {len(samples) / ANALYSIS_RATE:.3f} s -> {len(edited) / ANALYSIS_RATE:.3f} s, windows now {where}"
    amount = f"x{change:g}" if manip.scale == "factor" else f"{change:+g} {manip.unit}"
    stdout.print(f"{cue} {amount} inside {len(spans)} window(s){length}: {out}", markup=False)
