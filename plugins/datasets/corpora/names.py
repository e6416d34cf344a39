"""Reading emotion, speaker and sentence from the file names of the published corpora.

Each corpus encodes its labels in the file name (DOMAIN section 5). A parser returns the
corpus's own emotion code and speaker, or raises :class:`UnreadableName` with a reason
that ``bsbench data info`` shows next to the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath


class UnreadableName(ValueError):
    """A file name that does not follow the corpus's pattern, or names a code it does not use."""


@dataclass(frozen=True)
class ParsedName:
    """What a file name says: emotion code, speaker, and what else identifies the recording."""

    code: str
    speaker: str
    #: Text spoken (a word or sentence code): TESS splits by it when speakers are too few.
    text: str
    details: dict[str, str] = field(default_factory=dict)
    #: The recording's id where the file name alone does not identify it (SAVEE's original
    #: layout keeps the speaker in the folder: DC/a01.wav); None: the file name without extension.
    clip_id: str | None = None


def _require(code: str, codes: dict[str, str] | frozenset[str], what: str, name: str) -> None:
    if code not in codes:
        raise UnreadableName(f"unknown {what} {code!r} in {name!r} (known: {', '.join(sorted(codes))})")


TESS_CODES = {
    "angry": "angry",
    "disgust": "disgust",
    "fear": "fear",
    "happy": "happy",
    "neutral": "neutral",
    "ps": "surprise",
    "sad": "sad",
}
TESS_SPEAKERS = frozenset({"OAF", "YAF"})


def parse_tess(path: PurePosixPath) -> ParsedName:
    """``OAF_back_angry.wav``: speaker, word, emotion (``ps`` = pleasant surprise)."""
    parts = path.stem.split("_")
    if len(parts) < 3:
        raise UnreadableName(f"expected SPEAKER_word_emotion, got {path.name!r}")
    speaker, word, code = parts[0].upper(), "_".join(parts[1:-1]).lower(), parts[-1].lower()
    _require(speaker, TESS_SPEAKERS, "speaker", path.name)
    _require(code, TESS_CODES, "emotion", path.name)
    return ParsedName(code, speaker, word)


CREMA_D_CODES = {"ANG": "angry", "DIS": "disgust", "FEA": "fear", "HAP": "happy", "NEU": "neutral", "SAD": "sad"}
CREMA_D_INTENSITIES = frozenset({"LO", "MD", "HI", "XX"})
_CREMA_D = re.compile(r"^(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{2})$")


def parse_crema_d(path: PurePosixPath) -> ParsedName:
    """``1001_DFA_ANG_XX.wav``: actor, sentence, emotion, intensity."""
    match = _CREMA_D.match(path.stem)
    if not match:
        raise UnreadableName(f"expected ACTOR_SENTENCE_EMOTION_INTENSITY (1001_DFA_ANG_XX), got {path.name!r}")
    actor, sentence, code, intensity = match.groups()
    _require(code, CREMA_D_CODES, "emotion", path.name)
    _require(intensity, CREMA_D_INTENSITIES, "intensity", path.name)
    return ParsedName(code, actor, sentence, {"intensity": intensity})


RAVDESS_CODES = {
    "01": "neutral",
    "02": "calm",
    "03": "happy",
    "04": "sad",
    "05": "angry",
    "06": "fear",
    "07": "disgust",
    "08": "surprise",
}
_RAVDESS = re.compile(r"^(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)$")


def parse_ravdess(path: PurePosixPath) -> ParsedName:
    """``03-01-06-01-02-01-12.wav``: modality, channel, emotion, intensity, statement, repetition, actor."""
    match = _RAVDESS.match(path.stem)
    if not match:
        raise UnreadableName(f"expected seven two-digit fields (03-01-06-01-02-01-12), got {path.name!r}")
    modality, channel, code, intensity, statement, repetition, actor = match.groups()
    if modality != "03":
        raise UnreadableName(f"modality {modality} in {path.name!r} is a video file; the audio-only files have 03")
    if channel == "02":
        raise UnreadableName(f"{path.name!r} is song (vocal channel 02), not speech")
    _require(channel, frozenset({"01"}), "vocal channel", path.name)
    _require(code, RAVDESS_CODES, "emotion", path.name)
    _require(intensity, frozenset({"01", "02"}), "intensity", path.name)
    if not 1 <= int(actor) <= 24:
        raise UnreadableName(f"actor {actor} in {path.name!r} is outside 01-24")
    sex = "male" if int(actor) % 2 else "female"
    return ParsedName(code, actor, statement, {"intensity": intensity, "repetition": repetition, "sex": sex})


SAVEE_CODES = {"a": "angry", "d": "disgust", "f": "fear", "h": "happy", "n": "neutral", "sa": "sad", "su": "surprise"}
SAVEE_SPEAKERS = frozenset({"DC", "JE", "JK", "KL"})
_SAVEE = re.compile(r"^(?:([A-Za-z]{2})_)?([a-z]{1,2})(\d\d)$")


def parse_savee(path: PurePosixPath) -> ParsedName:
    """``DC_a01.wav`` (Kaggle) or ``DC/a01.wav`` (the original AudioData layout)."""
    match = _SAVEE.match(path.stem)
    if not match:
        raise UnreadableName(f"expected SPEAKER_codeNN (DC_a01), got {path.name!r}")
    speaker, code, take = match.groups()
    speaker = (speaker or path.parent.name).upper()
    _require(speaker, SAVEE_SPEAKERS, "speaker", path.as_posix())
    _require(code, SAVEE_CODES, "emotion", path.name)
    return ParsedName(code, speaker, f"{code}{take}", clip_id=f"{speaker}_{code}{take}")


EMODB_CODES = {
    "W": "angry",
    "L": "boredom",
    "E": "disgust",
    "A": "fear",
    "F": "happy",
    "T": "sad",
    "N": "neutral",
}
EMODB_SPEAKERS = frozenset({"03", "08", "09", "10", "11", "12", "13", "14", "15", "16"})
_EMODB = re.compile(r"^(\d\d)([ab]\d\d)([A-Z])([a-z])$")


def parse_emodb(path: PurePosixPath) -> ParsedName:
    """``03a01Fa.wav``: speaker, text, emotion letter (German initial), version."""
    match = _EMODB.match(path.stem)
    if not match:
        raise UnreadableName(f"expected SStttEv (03a01Fa), got {path.name!r}")
    speaker, text, code, version = match.groups()
    _require(speaker, EMODB_SPEAKERS, "speaker", path.name)
    _require(code, EMODB_CODES, "emotion", path.name)
    return ParsedName(code, speaker, text, {"version": version})
