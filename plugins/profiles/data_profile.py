"""Expert cue profiles read from JSON data: cells are ``[direction or null, [source keys]]``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bsbench.plugin import DataError, ProfileCell

PROFILE_DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class DataProfile:
    name: str
    description: str
    version: str
    citations: Mapping[str, str]
    cells: Mapping[str, Mapping[str, ProfileCell]]

    @classmethod
    def from_file(cls, path: Path) -> DataProfile:
        data = json.loads(path.read_text())
        cells = {
            emotion: {cue: ProfileCell(direction, tuple(sources)) for cue, (direction, sources) in row.items()}
            for emotion, row in data["cells"].items()
        }
        return cls(data["name"], data["description"], data["version"], data["citations"], cells)


def builtin_profiles() -> list[DataProfile]:
    return [DataProfile.from_file(path) for path in sorted(PROFILE_DATA.glob("*.json"))]


def load_profile(name: str) -> DataProfile:
    """A built-in profile by name."""
    path = PROFILE_DATA / f"{name}.json"
    if not path.is_file():
        known = ", ".join(p.stem for p in sorted(PROFILE_DATA.glob("*.json")))
        raise DataError(f"expert profile {name!r} is not built in; built-in profiles: {known}")
    return DataProfile.from_file(path)
