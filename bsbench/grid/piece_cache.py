"""Explanations and scores computed once: the pieces of a run, kept on disk by what produced them.

A run is a grid of pieces: an explanation batch per (model, method, clips), a score
batch per (explanation batch, metric). Each piece is keyed by a digest of everything it
depends on - the model's weights, the plugin's name, version and parameters, the clips'
samples, the explained classes, the seed and bsbench's own version (the core computes part of
every piece: the window rule, the removals, the cue manipulations) - so rerunning a command, resuming a killed
run or adding one method to a finished grid computes only what no earlier run computed,
and a changed input can never read a stale piece.

The unit is the batch as the runner executes it, not the clip: a stochastic method
draws its noise per batch, and float results can depend on the batch a clip was
computed in, so a batch-level key is what makes a resumed run byte-identical to an
uninterrupted one. Pieces are ``.npz`` archives of plain arrays (JSON text for a
method's findings), written to a temporary name and renamed into place, and read with
``allow_pickle=False``. Each piece holds the key it was written for, so a file copied
or renamed onto another key is refused like a damaged one: both are recomputed.
Failures are never stored: a piece that raised is tried again on the next run.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bsbench import __version__
from bsbench.core.cache import DamagedEntry, cache_dir, clip_digest, content_key, read_arrays, write_atomic
from bsbench.core.types import Clip

RELEVANCE = "relevance"
DETAILS = "details"
VALUES = "values::"
REASONS = "reasons::"
#: The archive entry holding the key a piece was written for.
KEY = "key"


def model_identity(network: torch.nn.Module, card: Mapping[str, Any]) -> str:
    """The weights' digest (the card's checkpoint hash, else a hash of the state dict) and their outputs' names.

    The names are part of it because scores read them: the same weights with another label
    map predict other emotions, and a profile judges a cue against the predicted one.
    """
    digest = hashlib.sha256()
    recorded = card.get("checkpoint_sha256")
    if recorded:
        digest.update(str(recorded).encode())
    else:
        for name, tensor in sorted(network.state_dict().items()):
            digest.update(name.encode())
            digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    digest.update("\n".join(card.get("labels", ())).encode())
    return digest.hexdigest()[:16]


@dataclass
class PieceCounts:
    """How many pieces of each kind a run computed and how many it read back."""

    computed: dict[str, int] = field(default_factory=dict)
    cached: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, hit: bool) -> None:
        bucket = self.cached if hit else self.computed
        bucket[kind] = bucket.get(kind, 0) + 1

    def add(self, other: PieceCounts) -> None:
        """Fold in the counts of another cache handle (a worker's)."""
        for mine, theirs in ((self.computed, other.computed), (self.cached, other.cached)):
            for kind, count in theirs.items():
                mine[kind] = mine.get(kind, 0) + count

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {"computed": dict(sorted(self.computed.items())), "cached": dict(sorted(self.cached.items()))}


class PieceCache:
    """The pieces of one model's runs under ``$BSBENCH_CACHE/pieces/<model digest>/``."""

    def __init__(self, model_digest: str, root: Path | None = None, enabled: bool = True) -> None:
        self.folder = (root or cache_dir()) / "pieces" / model_digest
        self.enabled = enabled
        self.counts = PieceCounts()

    # keys ------------------------------------------------------------------------------

    @staticmethod
    def explanation_key(method: Mapping[str, Any], clips: Sequence[Clip], targets: Sequence[int], seed: int) -> str:
        """``method`` holds name, version and parameters; clips enter by their audio, in batch order."""
        return content_key(
            {
                "method": method,
                "clips": [clip_digest(c) for c in clips],
                "targets": list(targets),
                "seed": seed,
                "bsbench": __version__,
            }
        )

    @staticmethod
    def score_key(explanation: str, metric: Mapping[str, Any], context: Mapping[str, Any]) -> str:
        """``metric`` holds name, version and settings; ``context`` the cue extractor and profile it read."""
        return content_key({"explanation": explanation, "metric": metric, "context": context, "bsbench": __version__})

    # explanations ----------------------------------------------------------------------

    def load_explanation(self, key: str) -> tuple[np.ndarray, list[dict[str, Any]]] | None:
        arrays = self._read("explanations", key)
        if arrays is None or RELEVANCE not in arrays or DETAILS not in arrays:
            return None
        return arrays[RELEVANCE], json.loads(str(arrays[DETAILS]))

    def store_explanation(self, key: str, relevance: np.ndarray, details: Sequence[Mapping[str, Any]]) -> None:
        arrays = {RELEVANCE: np.asarray(relevance, dtype=np.float32), DETAILS: np.asarray(json.dumps(list(details)))}
        self._write("explanations", key, arrays)

    # scores ----------------------------------------------------------------------------

    def load_scores(self, key: str) -> list[tuple[str, np.ndarray, tuple[str, ...]]] | None:
        arrays = self._read("scores", key)
        if arrays is None:
            return None
        columns = [name[len(VALUES) :] for name in arrays if name.startswith(VALUES)]
        if not columns or any(REASONS + column not in arrays for column in columns):
            return None
        return [
            (column, arrays[VALUES + column], tuple(str(r) for r in arrays[REASONS + column])) for column in columns
        ]

    def store_scores(self, key: str, columns: Sequence[tuple[str, np.ndarray, Sequence[str]]]) -> None:
        arrays: dict[str, np.ndarray] = {}
        for column, values, reasons in columns:
            arrays[VALUES + column] = np.asarray(values, dtype=np.float64)
            arrays[REASONS + column] = np.asarray(list(reasons), dtype=str)
        self._write("scores", key, arrays)

    def has(self, kind: str, key: str) -> bool:
        return self.enabled and self._path(kind, key).is_file()

    # files -----------------------------------------------------------------------------

    def _path(self, kind: str, key: str) -> Path:
        return self.folder / kind / f"{key}.npz"

    def _read(self, kind: str, key: str) -> dict[str, np.ndarray] | None:
        """The piece's arrays, or None when it is absent, damaged or was written for another key."""
        path = self._path(kind, key)
        if not self.enabled or not path.is_file():
            return None
        try:
            arrays = read_arrays(path)
        except DamagedEntry:
            return None  # recomputed and rewritten
        if KEY not in arrays or str(arrays.pop(KEY)) != key:
            return None  # another piece's file, or one from before pieces held their key
        return arrays

    def _write(self, kind: str, key: str, arrays: Mapping[str, np.ndarray]) -> None:
        if not self.enabled:
            return

        def save(temp: Path) -> None:
            buffer = io.BytesIO()
            np.savez(buffer, **arrays, **{KEY: np.asarray(key)})
            temp.write_bytes(buffer.getvalue())

        write_atomic(self._path(kind, key), save)
