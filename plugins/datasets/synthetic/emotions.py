"""The emotion table: how each class shifts the neutral voice, as data with a citation per cell.

The table is the answer key of the synthetic corpus and is registered as an expert
profile too, so a plausibility metric can read exactly the directions the clips were
generated with. It is checked when loaded: a cell that goes against the direction the
table says it follows (``follows``: an expert profile), a neutral class that shifts a
cue, a key given twice, an unknown cue or a voice setting out of range each stop the
load with one line naming the field.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bsbench_plugins.datasets.synthetic.voice import VoiceSettings, shrillness_range
from bsbench_plugins.profiles.data_profile import DataProfile, load_profile

from bsbench.plugin import DataError, ProfileCell

DEFAULT_TABLE = Path(__file__).parent / "data" / "emotions.json"
NEUTRAL = "neutral"
CUES = tuple(field.name for field in dataclasses.fields(VoiceSettings))

#: Voice settings the synthesiser can render (shrillness is checked against the tilt filter instead).
SETTING_RANGES: Mapping[str, tuple[float, float]] = {
    "pitch_level": (-24.0, 24.0),
    "pitch_variability": (0.0, 24.0),
    "pitch_contour": (-24.0, 24.0),
    "loudness": (-40.0, 30.0),
    "speech_rate": (-80.0, 300.0),
    "jitter": (0.0, 10.0),
    "shimmer": (0.0, 50.0),
    "hnr": (-10.0, 60.0),
}


@dataclass(frozen=True)
class EmotionCell:
    shift: float
    sources: tuple[str, ...]


@dataclass(frozen=True)
class EmotionTable:
    name: str
    description: str
    version: str
    follows: str | None
    citations: Mapping[str, str]
    neutral: VoiceSettings
    cells: Mapping[str, Mapping[str, EmotionCell]]
    text: str

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(sorted(self.cells))

    def voice(self, emotion: str) -> VoiceSettings:
        """The neutral voice shifted by ``emotion``'s cells."""
        shifts = {cue: getattr(self.neutral, cue) + cell.shift for cue, cell in self.cells[emotion].items()}
        return dataclasses.replace(self.neutral, **shifts)

    def carrying_cues(self, emotion: str) -> tuple[str, ...]:
        """Cues that differ from the neutral voice for ``emotion``, in vocabulary order."""
        return tuple(cue for cue in CUES if cue in self.cells[emotion] and self.cells[emotion][cue].shift != 0)

    def as_profile(self) -> DataProfile:
        """The table as an expert profile: the sign of each shift, with its sources."""
        cells = {
            emotion: {
                cue: ProfileCell(int(math.copysign(1, cell.shift)), cell.sources)
                for cue, cell in row.items()
                if cell.shift != 0
            }
            for emotion, row in self.cells.items()
            if emotion != NEUTRAL
        }
        return DataProfile(self.name, self.description, self.version, dict(self.citations), cells)


def load_emotion_table(path: Path = DEFAULT_TABLE, sample_rate: int = 16_000) -> EmotionTable:
    """Read and check an emotion table; every problem is one :class:`DataError` line naming the field."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise DataError(f"emotion table {path}: cannot be read ({error.strerror or error})") from None
    try:
        data = json.loads(text, object_pairs_hook=_refuse_duplicate_keys)
    except _DuplicateKey as duplicate:
        raise DataError(
            f"emotion table {path}: key {duplicate.key!r} is given twice; a table must say it once"
        ) from None
    except json.JSONDecodeError as error:
        raise DataError(f"emotion table {path}: not valid JSON ({error})") from None
    return _TableReader(path, sample_rate).read(data, text)


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen[key] = value
    return seen


@dataclass
class _TableReader:
    path: Path
    sample_rate: int

    def fail(self, field: str, problem: str) -> DataError:
        return DataError(f"emotion table {self.path}: {field}: {problem}")

    def read(self, data: Any, text: str) -> EmotionTable:
        if not isinstance(data, dict):
            raise self.fail("top level", "must be a JSON object")
        for key in ("name", "description", "version", "citations", "neutral", "emotions"):
            if key not in data:
                raise self.fail(key, "is missing")
        citations = data["citations"]
        if not isinstance(citations, dict) or not all(isinstance(v, str) for v in citations.values()):
            raise self.fail("citations", "must map source keys to reference strings")
        neutral = self._neutral(data["neutral"])
        emotions = data["emotions"]
        if not isinstance(emotions, dict) or len(emotions) < 2:
            raise self.fail("emotions", "must map at least two class names to their cells")
        follows = data.get("follows")
        try:
            expected = load_profile(follows).cells if follows else {}
        except DataError as error:
            raise self.fail("follows", str(error)) from None
        cells = {}
        for emotion, row in emotions.items():
            cells[emotion] = self._row(emotion, row, neutral, citations, expected.get(emotion, {}))
        return EmotionTable(
            name=str(data["name"]),
            description=str(data["description"]),
            version=str(data["version"]),
            follows=follows,
            citations=citations,
            neutral=neutral,
            cells=cells,
            text=text,
        )

    def _neutral(self, values: Any) -> VoiceSettings:
        if not isinstance(values, dict):
            raise self.fail("neutral", "must map cues to the neutral voice's settings")
        for cue, value in values.items():
            if cue not in CUES:
                raise self.fail(f"neutral.{cue}", f"unknown cue; known cues: {', '.join(CUES)}")
            if not _is_number(value):
                raise self.fail(f"neutral.{cue}", f"must be a number, got {value!r}")
        neutral = dataclasses.replace(VoiceSettings(), **{cue: float(v) for cue, v in values.items()})
        self._check_ranges("neutral", neutral)
        return neutral

    def _row(
        self,
        emotion: str,
        row: Any,
        neutral: VoiceSettings,
        citations: Mapping[str, str],
        expected: Mapping[str, ProfileCell],
    ) -> dict[str, EmotionCell]:
        where = f"emotions.{emotion}"
        if not isinstance(row, dict):
            raise self.fail(where, "must map cues to [shift, [sources]]")
        cells = {}
        for cue, cell in row.items():
            field = f"{where}.{cue}"
            if cue not in CUES:
                raise self.fail(field, f"unknown cue; known cues: {', '.join(CUES)}")
            if not (isinstance(cell, list) and len(cell) == 2 and _is_number(cell[0]) and isinstance(cell[1], list)):
                raise self.fail(field, f"must be [shift, [source keys]], got {cell!r}")
            shift, sources = float(cell[0]), tuple(cell[1])
            unknown = [source for source in sources if source not in citations]
            if not sources or unknown:
                raise self.fail(field, f"cites {unknown or 'nothing'}; every source key must be in citations")
            if emotion == NEUTRAL and shift != 0:
                raise self.fail(field, "the neutral class is the reference and cannot shift a cue")
            direction = expected.get(cue, ProfileCell(None, ())).direction
            if direction and shift and math.copysign(1, shift) != direction:
                raise self.fail(
                    field,
                    f"shift {shift:+g} contradicts the direction {'up' if direction > 0 else 'down'} "
                    f"the table follows ({', '.join(expected[cue].sources)})",
                )
            cells[cue] = EmotionCell(shift, sources)
        if emotion != NEUTRAL and not any(cell.shift for cell in cells.values()):
            raise self.fail(where, "shifts no cue, so the class could not be told from neutral")
        shifted = dataclasses.replace(neutral, **{cue: getattr(neutral, cue) + c.shift for cue, c in cells.items()})
        self._check_ranges(where, shifted)
        return cells

    def _check_ranges(self, where: str, voice: VoiceSettings) -> None:
        ranges = {**SETTING_RANGES, "shrillness": shrillness_range(self.sample_rate)}
        for cue, (low, high) in ranges.items():
            value = getattr(voice, cue)
            if not low <= value <= high:
                raise self.fail(
                    f"{where}.{cue}", f"gives a voice with {cue} {value:g}, outside the renderable {low:g} to {high:g}"
                )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
