"""Small TESS and CREMA-D trees whose files have the real names and hold espeak-ng speech.

:mod:`tests.corpus_trees` writes every file name of a corpus with a few samples each, to
test loaders; a model needs speech to hear. These trees take a few recordings per
(speaker, emotion) from the same name generators and have espeak-ng speak each one's
text, its pitch, rate and level moved per emotion the way acted speech moves them
(high and fast for fear, low and slow for sadness), so a published checkpoint has
something to classify. espeak-ng is a Debian package CI installs; :func:`have_espeak`
lets a test skip cleanly without it.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

from bsbench_plugins.datasets.corpora.names import CREMA_D_CODES, TESS_CODES

from tests.corpus_trees import _crema_clips, _tess_clips

#: espeak-ng prosody per canonical emotion: pitch (0-99), rate (words per minute), amplitude (0-200).
PROSODY = {
    "angry": (55, 190, 190),
    "disgust": (30, 125, 120),
    "fear": (85, 210, 110),
    "happy": (75, 185, 160),
    "neutral": (50, 160, 100),
    "sad": (20, 110, 70),
    "surprise": (95, 170, 150),
}
#: What CREMA-D's actors say, by the sentence code in the file name.
CREMA_SENTENCES = {
    "IEO": "It's eleven o'clock",
    "TIE": "That is exactly what happened",
    "IOM": "I'm on my way to the meeting",
}
#: Amplitude added per CREMA-D intensity code: the levels of one sentence must differ (loaders drop identical files).
CREMA_LEVELS = {"LO": -30, "MD": 0, "HI": 30, "XX": 0}
#: espeak-ng voices standing in for the speakers: TESS's two women, CREMA-D actors alternating.
_VOICES = ("en+f3", "en+f4", "en+m3", "en+m1")


def have_espeak() -> bool:
    return shutil.which("espeak-ng") is not None


def speak(path: Path, text: str, emotion: str, voice: str, louder: int = 0) -> None:
    """One WAV of ``text`` spoken by espeak-ng ``voice`` with ``emotion``'s prosody, ``louder`` on its amplitude."""
    pitch, rate, amplitude = PROSODY[emotion]
    amplitude += louder
    path.parent.mkdir(parents=True, exist_ok=True)
    command = ["espeak-ng", "-v", voice, "-p", str(pitch), "-s", str(rate), "-a", str(amplitude), "-w", str(path)]
    subprocess.run([*command, text], check=True, capture_output=True)


def spoken_tess(root: Path, words: Iterable[str] = ("back", "bar")) -> int:
    """TESS's folders and names for ``words`` (each speaker, each emotion), spoken; returns the clip count."""
    chosen = set(words)
    count = 0
    for clip in _tess_clips():
        speaker, word, code = Path(clip.path).stem.split("_")
        if word in chosen:
            voice = _VOICES[0] if speaker == "OAF" else _VOICES[1]
            speak(
                root / "TESS Toronto emotional speech set data" / clip.path,
                f"Say the word {word}",
                TESS_CODES[code],
                voice,
            )
            count += 1
    return count


def spoken_crema_d(
    root: Path, actors: Iterable[str] = ("1001", "1002"), sentences: Iterable[str] = ("IEO", "TIE")
) -> int:
    """CREMA-D's AudioWAV names for ``actors`` x ``sentences`` (every emotion and level), spoken; returns the count."""
    chosen_actors, chosen_sentences = list(actors), set(sentences)
    count = 0
    for clip in _crema_clips():
        actor, sentence, code, _level = Path(clip.path).stem.split("_")
        if actor in chosen_actors and sentence in chosen_sentences:
            voice = _VOICES[2 + chosen_actors.index(actor) % 2]
            speak(root / clip.path, CREMA_SENTENCES[sentence], CREMA_D_CODES[code], voice, CREMA_LEVELS[_level])
            count += 1
    return count
