"""Full-size stand-ins for five emotional-speech corpora, as they unpack on disk.

Each ``make_*`` function writes the real folder layout and every real file name of one corpus, with tiny WAV files in
place of the speech, so a dataset loader can be tested on every naming pattern (and on the junk that ships with the
downloads) without the real data. Every clip has different samples, because loaders dedupe by content hash; the
deliberate second copies of the Kaggle archives are byte-identical to their originals.
"""

from __future__ import annotations

import io
import struct
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

__all__ = ["CorpusTree", "make_crema_d", "make_emodb", "make_ravdess", "make_savee", "make_tess"]

#: Samples per WAV: enough to be valid audio, small enough to write thousands in a second.
_SAMPLES = 32

_DS_STORE = b"\x00\x00\x00\x01Bud1" + bytes(24)
_APPLE_DOUBLE = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + bytes(8)


@dataclass(frozen=True)
class CorpusTree:
    """What a correct loader must find in a generated tree: the expected counts, duplicates and planted junk."""

    root: Path  # the directory to pass as --data-dir
    clips: int  # unique speech clips a correct loader must keep
    classes: int
    speakers: int
    per_label: dict[str, int]  # corpus-native emotion code -> unique clips
    per_speaker: dict[str, int]  # speaker id as it appears in the file name -> clips
    duplicates: int  # extra byte-identical copies written (must be reported as duplicates, never counted)
    extras: tuple[str, ...]  # relative paths of non-clip files planted (readme, .DS_Store, __MACOSX files, songs...)


@dataclass(frozen=True)
class _Clip:
    """One speech clip: where it lies below a copy of the corpus, and what its name says."""

    path: str
    label: str
    speaker: str


class _WavWriter:
    """Writes tiny PCM_16 WAVs at one rate, each with different samples, reusing one encoded header for speed."""

    def __init__(self, rate: int) -> None:
        wave = (np.sin(np.arange(_SAMPLES) * 0.7) * 3000).astype("<i2")
        buffer = io.BytesIO()
        sf.write(buffer, wave, rate, format="WAV", subtype="PCM_16")
        encoded = buffer.getvalue()
        data = wave.tobytes()
        if not encoded.endswith(data):
            raise RuntimeError("soundfile did not put the samples at the end of the WAV")
        self._header = encoded[: -len(data)]
        self._tail = data[4:]  # the first two samples carry the running index
        self._index = 0
        self._made: set[Path] = set()

    def next_wav(self) -> bytes:
        """A WAV whose first two samples encode a running index, so no two calls give the same content."""
        index = self._index
        self._index += 1
        return self._header + struct.pack("<hh", 1000 + (index & 0x3FFF), 1000 + (index >> 14)) + self._tail

    def put(self, path: Path, content: bytes) -> None:
        """Write bytes to a path, creating its folder once."""
        if path.parent not in self._made:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(path.parent)
        path.write_bytes(content)


def _write_corpus(
    root: Path,
    rate: int,
    clips: Sequence[_Clip],
    copies: Sequence[str] = ("",),
    songs: Sequence[str] = (),
    junk: Mapping[str, bytes] | None = None,
) -> CorpusTree:
    """Write each clip under every folder in ``copies`` (later ones byte-identical), then songs and junk files."""
    writer = _WavWriter(rate)
    for clip in clips:
        content = writer.next_wav()
        for copy in copies:
            writer.put(root / copy / clip.path, content)
    for song in songs:
        writer.put(root / song, writer.next_wav())
    for name, content in (junk or {}).items():
        writer.put(root / name, content)
    per_label = dict(Counter(clip.label for clip in clips))
    per_speaker = dict(Counter(clip.speaker for clip in clips))
    return CorpusTree(
        root=root,
        clips=len(clips),
        classes=len(per_label),
        speakers=len(per_speaker),
        per_label=per_label,
        per_speaker=per_speaker,
        duplicates=len(clips) * (len(copies) - 1),
        extras=(*songs, *(junk or {})),
    )


# --- TESS -------------------------------------------------------------------------------------------------------------

#: The 200 words every TESS speaker says in every emotion (Northwestern University Auditory Test No. 6 style).
_TESS_WORD_TEXT = """
back bar base bath bean beg bite boat bone book bought burn cab calm came cause chain chair chalk chat check cheek chief
choice cool dab date dead death deep dime dip ditch dodge dog doll door fail fall far fat fit five food gap gas gaze
germ get gin goal good goose gun half hall hash hate have haze hire hit hole home hurl hush jail jar join judge jug
juice keen keep keg kick kill king kite knock late laud lean learn lease lid life limb live loaf long lore lose lot love
luck make match merge mess met mill mob mode mood moon mop mouse nag name near neat nice note numb pad page pain pass
pearl peg perch phone pick pike pole pool puff rag raid rain raise rat reach read red ring ripe road room rose rot rough
rush said sail search seize sell shack shall shawl sheep sheet shirt shout should size soap sour south sub such sure
take talk tape team tell thin third thought thumb time tip tire ton tool tough turn vine voice void vote wag walk wash
week wheat when which whip white wife wire witch yearn yes young youth
"""
_TESS_WORDS = tuple(_TESS_WORD_TEXT.split())

#: Emotion code in the file name -> folder suffix, per speaker, with the real archive's inconsistent case.
_TESS_FOLDERS = {
    "OAF": {
        "angry": "angry",
        "disgust": "disgust",
        "fear": "Fear",
        "happy": "happy",
        "neutral": "neutral",
        "ps": "Pleasant_surprise",
        "sad": "Sad",
    },
    "YAF": {
        "angry": "angry",
        "disgust": "disgust",
        "fear": "fear",
        "happy": "happy",
        "neutral": "neutral",
        "ps": "pleasant_surprised",
        "sad": "sad",
    },
}

_TESS_DIR = "TESS Toronto emotional speech set data"


def _tess_clips() -> Iterator[_Clip]:
    for speaker, folders in _TESS_FOLDERS.items():
        for emotion, suffix in folders.items():
            for word in _TESS_WORDS:
                yield _Clip(f"{speaker}_{suffix}/{speaker}_{word}_{emotion}.wav", emotion, speaker)


def make_tess(root: Path) -> CorpusTree:
    """TESS as the Kaggle zip unpacks: the corpus twice (second copy nested), plus macOS junk and a readme."""
    junk = {
        f"__MACOSX/{_TESS_DIR}/OAF_angry/._OAF_back_angry.wav": _APPLE_DOUBLE,
        f"{_TESS_DIR}/.DS_Store": _DS_STORE,
        "README.txt": b"Toronto emotional speech set (TESS): 2 speakers, 7 emotions, 200 words.\n",
    }
    copies = (_TESS_DIR, f"{_TESS_DIR.lower()}/{_TESS_DIR}")
    return _write_corpus(root, 24414, list(_tess_clips()), copies=copies, junk=junk)


# --- CREMA-D ----------------------------------------------------------------------------------------------------------

_CREMA_ACTORS = range(1001, 1092)
_CREMA_SENTENCES = ("IEO", "TIE", "IOM", "IWW", "TAI", "MTI", "IWL", "ITH", "DFA", "ITS", "TSI", "WSI")
_CREMA_EMOTIONS = ("ANG", "DIS", "FEA", "HAP", "NEU", "SAD")

#: Emotions of the 20 recordings the published corpus lacks (7,462 possible, 7,442 shipped), matching its class totals.
_CREMA_MISSING_EMOTIONS = ("ANG",) * 3 + ("DIS",) * 3 + ("FEA",) * 3 + ("HAP",) * 3 + ("SAD",) * 3 + ("NEU",) * 5


def _crema_intensities(sentence: str, emotion: str) -> tuple[str, ...]:
    """Only IEO was acted at three levels, and never in the neutral voice."""
    return ("LO", "MD", "HI") if sentence == "IEO" and emotion != "NEU" else ("XX",)


def _crema_missing() -> set[tuple[int, str, str]]:
    """(actor, sentence, emotion) of the left-out files: one actor each, spread over sentences other than IEO."""
    others = _CREMA_SENTENCES[1:]
    return {
        (_CREMA_ACTORS[(9 * i + 3) % len(_CREMA_ACTORS)], others[i % len(others)], emotion)
        for i, emotion in enumerate(_CREMA_MISSING_EMOTIONS)
    }


def _crema_clips() -> Iterator[_Clip]:
    missing = _crema_missing()
    for actor in _CREMA_ACTORS:
        for sentence in _CREMA_SENTENCES:
            for emotion in _CREMA_EMOTIONS:
                if (actor, sentence, emotion) in missing:
                    continue
                for level in _crema_intensities(sentence, emotion):
                    yield _Clip(f"AudioWAV/{actor}_{sentence}_{emotion}_{level}.wav", emotion, str(actor))


def make_crema_d(root: Path) -> CorpusTree:
    """CREMA-D's flat AudioWAV folder with the published 7,442 clips, a .DS_Store and a readme."""
    junk = {"AudioWAV/.DS_Store": _DS_STORE, "README.md": b"# CREMA-D\n\n91 actors, 12 sentences, 6 emotions.\n"}
    return _write_corpus(root, 16000, list(_crema_clips()), junk=junk)


# --- RAVDESS ----------------------------------------------------------------------------------------------------------

_RAVDESS_KAGGLE_DIR = "audio_speech_actors_01-24"

#: Song recordings (vocal channel 02) a speech loader must leave out.
_RAVDESS_SONGS = ("Actor_01/03-02-01-01-01-01-01.wav", "Actor_01/03-02-05-02-02-01-01.wav")


def _ravdess_clips() -> Iterator[_Clip]:
    for actor in (f"{n:02d}" for n in range(1, 25)):
        for emotion in (f"{n:02d}" for n in range(1, 9)):
            for intensity in ("01",) if emotion == "01" else ("01", "02"):
                for statement in ("01", "02"):
                    for repetition in ("01", "02"):
                        name = f"03-01-{emotion}-{intensity}-{statement}-{repetition}-{actor}.wav"
                        yield _Clip(f"Actor_{actor}/{name}", emotion, actor)


def make_ravdess(root: Path) -> CorpusTree:
    """RAVDESS speech as on Kaggle: Actor_XX folders, a byte-identical nested copy, and two song files to exclude."""
    return _write_corpus(root, 48000, list(_ravdess_clips()), copies=("", _RAVDESS_KAGGLE_DIR), songs=_RAVDESS_SONGS)


# --- SAVEE ------------------------------------------------------------------------------------------------------------

#: Emotion code -> takes per speaker (neutral was recorded twice as often).
_SAVEE_TAKES = {"a": 15, "d": 15, "f": 15, "h": 15, "n": 30, "sa": 15, "su": 15}


def _savee_clips() -> Iterator[_Clip]:
    for speaker in ("DC", "JE", "JK", "KL"):
        for code, takes in _SAVEE_TAKES.items():
            for take in range(1, takes + 1):
                yield _Clip(f"ALL/{speaker}_{code}{take:02d}.wav", code, speaker)


def make_savee(root: Path) -> CorpusTree:
    """SAVEE as the Kaggle download has it: one flat ALL folder."""
    return _write_corpus(root, 44100, list(_savee_clips()))


# --- EmoDB ------------------------------------------------------------------------------------------------------------

_EMODB_SPEAKERS = ("03", "08", "09", "10", "11", "12", "13", "14", "15", "16")
_EMODB_TEXTS = ("a01", "a02", "a04", "a05", "a07", "b01", "b02", "b03", "b09", "b10")

#: Emotion letter -> clips in the published corpus (535 in all).
_EMODB_TOTALS = {"W": 127, "L": 81, "E": 46, "A": 69, "F": 71, "T": 62, "N": 79}


def _emodb_slots(count: int) -> Iterator[tuple[str, str, str]]:
    """(speaker, text, version) for ``count`` takes of one emotion: each speaker/text pair once, then b, c... takes.

    Walking speakers fastest and shifting the text each round reaches every speaker and every text within 10 takes.
    """
    pairs = len(_EMODB_SPEAKERS) * len(_EMODB_TEXTS)
    for k in range(count):
        slot = k % pairs
        speaker = slot % len(_EMODB_SPEAKERS)
        text = (slot // len(_EMODB_SPEAKERS) + speaker) % len(_EMODB_TEXTS)
        yield _EMODB_SPEAKERS[speaker], _EMODB_TEXTS[text], "abcdef"[k // pairs]


def _emodb_clips() -> Iterator[_Clip]:
    for emotion, total in _EMODB_TOTALS.items():
        for speaker, text, version in _emodb_slots(total):
            yield _Clip(f"wav/{speaker}{text}{emotion}{version}.wav", emotion, speaker)


def make_emodb(root: Path) -> CorpusTree:
    """EmoDB's wav folder with the published per-emotion totals, plus the non-audio files the download ships."""
    junk = {
        "erkennung.txt": b"Erkennungsraten der Emotionen im Perzeptionstest.\n",
        "silb/03a01Fa.txt": b"Silbengrenzen fuer 03a01Fa.\n",
    }
    return _write_corpus(root, 16000, list(_emodb_clips()), junk=junk)
