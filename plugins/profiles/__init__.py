"""Built-in expert cue profiles, stored as JSON data with a citation per cell."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bsbench.hookspecs import hookimpl
from bsbench.protocols import ProfileCell

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class DataProfile:
    """A profile read from a JSON file: cells are ``[direction or null, [source keys]]``."""

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


@hookimpl
def bsbench_register_expert_profiles(register):
    for path in sorted(DATA.glob("*.json")):
        register(DataProfile.from_file(path))
