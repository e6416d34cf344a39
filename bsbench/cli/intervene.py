"""``bsbench intervene``: change one cue inside chosen time windows of a clip and write the result."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import soundfile
import typer

from bsbench.audio.window_edits import MANIPULATIONS, edit_inside, manipulation, parse_windows
from bsbench.cli.options import output_option
from bsbench.cli.shared import read_user_audio, stdout
from bsbench.core.cache import write_atomic
from bsbench.interfaces.vocabulary import ANALYSIS_RATE


def intervene_command(
    audio: Annotated[Path, typer.Argument(help="An audio file (wav, flac, ogg ...); any rate, mixed down to mono.")],
    cue: Annotated[str, typer.Option(help=f"The cue to change: {', '.join(MANIPULATIONS)}.")],
    change: Annotated[
        float, typer.Option(help="How much, in the cue's unit (dB for intensity_db and loudness; negative lowers).")
    ],
    windows: Annotated[
        str, typer.Option(help="Where: start-end spans in seconds, comma-separated (e.g. 0.45-0.60,1.05-1.20).")
    ],
    out: Annotated[Path, output_option("--out", "-o", help_text="The edited clip, a WAV file.")],
) -> None:
    """Change one cue inside the given windows only and write the clip (mono, 16 kHz).

    Outside the windows every sample is the original's; at each window edge a 10 ms
    raised-cosine fade inside the window joins the two, so the edit adds no click.
    """
    edit = manipulation(cue, change)
    samples, _ = read_user_audio(audio)
    spans = parse_windows(windows, len(samples) / ANALYSIS_RATE)
    edited = edit_inside(samples, ANALYSIS_RATE, spans, edit)
    write_atomic(out, lambda temp: soundfile.write(temp, edited, ANALYSIS_RATE, format="WAV", subtype="FLOAT"))
    stdout.print(f"{cue} {change:+g} inside {len(spans)} window(s): {out}", markup=False)
