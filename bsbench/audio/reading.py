"""Reading one recording as the mono float waveform a model needs, or saying why not.

Corpora ship at 16 to 48 kHz, some in stereo; models read one rate. Every file is
decoded with soundfile, mixed down to mono, resampled, and optionally passed through
the reference pipeline's length policy, so all corpora reach a model the same way and
the policy used is recorded with the corpus.

Resampling goes through librosa's soxr backend rather than torchaudio: TESS's 24,414 Hz
reduces to a 12,207:8,000 ratio, for which torchaudio builds a 98-million-tap kernel on
every call (2.1 s per 2.5 s clip, measured) where soxr takes 2 ms.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import librosa
import numpy as np
import soundfile

from bsbench.core.errors import DataError, UsageError

#: ``keep``: the whole recording (the model's front end cuts or pads it);
#: ``reference``: the paper's policy, silence trimmed then cut or zero-padded to 2 s.
LENGTH_POLICIES = ("keep", "reference")
#: The reference code cut everything quieter than the clip's own level minus this (dB).
REFERENCE_SILENCE_BELOW_MEAN_DB = 14.0
REFERENCE_SECONDS = 2.0
_WINDOW_SECONDS = 0.01
#: Rates outside these are damaged or hostile headers, not recordings: a 14 KB file declaring
#: 2 hours at 1 Hz became 115 million samples once resampled to 16 kHz. 384 kHz is the highest
#: rate audio interfaces record at.
MIN_SAMPLE_RATE = 1_000
MAX_SAMPLE_RATE = 384_000
#: The environment variable that sets the longest recording read, in seconds (see max_audio_seconds).
MAX_SECONDS_ENV = "BSBENCH_MAX_AUDIO_SECONDS"
DEFAULT_MAX_SECONDS = 600.0
#: Frames decoded per block while mixing down to mono.
_BLOCK_FRAMES = 1 << 16


class AudioFileError(DataError):
    """A file that is not usable audio; the message is the reason, without the path."""


@dataclass(frozen=True)
class AudioFacts:
    """What the file was before conversion, for reports."""

    sample_rate: int
    channels: int
    seconds: float


def max_audio_seconds() -> float:
    """The longest recording bsbench decodes: ``$BSBENCH_MAX_AUDIO_SECONDS``, else 600 s.

    A header can declare hours in a few bytes; decoding, resampling and extracting cues
    from what it declares cost memory and time in proportion, so the length is refused
    from the header, before any sample is decoded. Speech-emotion clips last seconds.
    """
    configured = os.environ.get(MAX_SECONDS_ENV, "").strip()
    if not configured:
        return DEFAULT_MAX_SECONDS
    try:
        limit = float(configured)
    except ValueError:
        limit = math.nan
    if not (math.isfinite(limit) and limit > 0):
        raise UsageError(f"{MAX_SECONDS_ENV}={configured!r}: must be a positive number of seconds")
    return limit


def read_audio(path: Path, sample_rate: int, length_policy: str = "keep") -> tuple[np.ndarray, AudioFacts]:
    """Decode ``path`` to mono float32 at ``sample_rate``; raises AudioFileError with the reason.

    The header is checked first (sample rate within MIN_SAMPLE_RATE..MAX_SAMPLE_RATE, length
    within :func:`max_audio_seconds`), and samples are mixed to mono a block at a time, so
    memory and time are bounded by those limits, never by what a header declares. A data
    chunk that claims more frames than the file holds is read for what is there (libsndfile
    caps the declared length at the file's size).
    """
    try:
        with soundfile.SoundFile(str(path)) as audio:
            native_rate, channels, frames = int(audio.samplerate), int(audio.channels), int(audio.frames)
            _check_header(native_rate, frames)
            mono = _decode_mono(audio, frames)
    except (soundfile.LibsndfileError, RuntimeError, ValueError) as error:
        raise AudioFileError(f"cannot decode audio ({str(error).splitlines()[0]})") from error
    facts = AudioFacts(native_rate, channels, mono.shape[0] / native_rate)
    if mono.shape[0] == 0:
        raise AudioFileError("no samples (zero-length audio)")
    if not np.all(np.isfinite(mono)):
        raise AudioFileError("samples are not finite (NaN or infinity)")
    mono = resample(mono, native_rate, sample_rate)
    if length_policy == "reference":
        mono = fix_length(trim_silence(mono, sample_rate), round(REFERENCE_SECONDS * sample_rate))
    return np.ascontiguousarray(mono, dtype=np.float32), facts


def _check_header(native_rate: int, frames: int) -> None:
    """AudioFileError when the declared rate or length is one no recording has, or over the limit."""
    if not MIN_SAMPLE_RATE <= native_rate <= MAX_SAMPLE_RATE:
        raise AudioFileError(
            f"sample rate {native_rate} Hz is outside {MIN_SAMPLE_RATE}-{MAX_SAMPLE_RATE} Hz (a damaged header?)"
        )
    seconds, limit = frames / native_rate, max_audio_seconds()
    if seconds > limit:
        raise AudioFileError(f"{seconds:.1f} s long, over the {limit:g} s limit (raise it with {MAX_SECONDS_ENV})")


def _decode_mono(audio: soundfile.SoundFile, frames: int) -> np.ndarray:
    """The file's samples averaged over channels, decoded a block at a time.

    Mixing down per block keeps memory at the mono result: a header declaring many
    channels cannot make bsbench hold frames x channels samples at once.
    """
    mono = np.empty(frames, dtype=np.float32)
    filled = 0
    for block in audio.blocks(blocksize=_BLOCK_FRAMES, dtype="float32", always_2d=True):
        used = block[: frames - filled]
        mono[filled : filled + used.shape[0]] = used.mean(axis=1)
        filled += used.shape[0]
    return mono[:filled]


def resample(samples: np.ndarray, rate: int, target_rate: int) -> np.ndarray:
    """``samples`` at ``target_rate`` (soxr, high quality); unchanged when the rates agree."""
    if rate == target_rate:
        return samples
    return librosa.resample(samples, orig_sr=rate, target_sr=target_rate, res_type="soxr_hq").astype(np.float32)


def trim_silence(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Cut leading and trailing 10 ms windows quieter than the clip's mean level minus 14 dB.

    A numpy restatement of the reference's pydub ``detect_nonsilent(silence_thresh=dBFS-14)``:
    the speech between the first and the last loud window is kept, pauses inside it too.
    """
    window = max(1, round(_WINDOW_SECONDS * sample_rate))
    n_windows = samples.shape[0] // window
    if n_windows == 0:
        return samples
    power = np.mean(samples[: n_windows * window].reshape(n_windows, window).astype(np.float64) ** 2, axis=1)
    mean_power = float(np.mean(samples.astype(np.float64) ** 2))
    if mean_power == 0.0:
        return samples
    loud = np.flatnonzero(power >= mean_power * 10 ** (-REFERENCE_SILENCE_BELOW_MEAN_DB / 10))
    return samples[loud[0] * window : (loud[-1] + 1) * window]


def fix_length(samples: np.ndarray, length: int) -> np.ndarray:
    """Cut the end off, or zero-pad it, to exactly ``length`` samples."""
    if samples.shape[0] >= length:
        return samples[:length]
    return np.pad(samples, (0, length - samples.shape[0]))
