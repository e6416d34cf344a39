"""The example explanations a run keeps for its report: JSON beside plain NumPy arrays, never pickle.

``examples.json`` holds each example's summary (prediction, probabilities, windows,
cue findings, cue interventions) and its input grid; ``examples.npz`` its arrays (input features, map,
waveform, and the original, masked-in and masked-out audio with the kept cells), read back with
``allow_pickle=False``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bsbench.core.cache import DamagedEntry, expect_json, read_arrays, read_json, write_atomic
from bsbench.core.errors import ResultsError
from bsbench.core.types import InputGrid
from bsbench.cues.interventions import CueIntervention
from bsbench.explain.clip import ClipExplanation, CueFinding
from bsbench.explain.listening import Listening

SUMMARIES = "examples.json"
ARRAYS = "examples.npz"
ARRAY_NAMES = ("features", "relevance", "waveform", "windows", "probabilities")
#: The listening clips of an example, stored when its model's front end could be resynthesised.
LISTENING_NAMES = ("original", "masked_in", "masked_out", "kept")


def write_examples(run_dir: Path, examples: Sequence[ClipExplanation]) -> None:
    records = []
    arrays: dict[str, np.ndarray] = {}
    for index, example in enumerate(examples):
        grid = example.grid
        records.append(
            {
                **example.summary(),
                "labels": list(example.labels),
                "target": example.target,
                "sample_rate": example.sample_rate,
                "grid": [grid.seconds_per_frame, grid.n_frames, list(grid.bin_frequencies_hz)],
            }
        )
        for name in ARRAY_NAMES:
            arrays[f"{index}_{name}"] = np.asarray(getattr(example, name))
        if example.listening is not None:
            records[-1]["listening_rate"] = example.listening.sample_rate
            for name in LISTENING_NAMES:
                arrays[f"{index}_listening_{name}"] = np.asarray(getattr(example.listening, name))
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    write_atomic(run_dir / ARRAYS, lambda temp: temp.write_bytes(buffer.getvalue()))
    write_atomic(run_dir / SUMMARIES, lambda temp: temp.write_text(json.dumps(records, indent=1)))


def read_examples(run_dir: Path) -> list[ClipExplanation]:
    """The run's examples; an empty list for runs that kept none (written before examples, or no method ran)."""
    summaries, arrays = Path(run_dir) / SUMMARIES, Path(run_dir) / ARRAYS
    if not summaries.is_file() or not arrays.is_file():
        return []
    try:
        records = expect_json(read_json(summaries), (list,), "the top level")
        loaded = read_arrays(arrays)
        return [_example(record, index, loaded) for index, record in enumerate(records)]
    except (DamagedEntry, ValueError, KeyError, TypeError, AttributeError) as error:
        # valid JSON of the wrong shape fails inside _example as one of these: the same one line
        raise ResultsError(f"run directory {run_dir}: example explanations cannot be read ({error})") from None


def _example(record: dict, index: int, arrays: dict[str, np.ndarray]) -> ClipExplanation:
    seconds, frames, bins = record["grid"]
    findings = tuple(
        CueFinding(
            f["cue"],
            f["unit"],
            float("nan") if f["difference"] is None else f["difference"],
            f["reason"],
            f["expected"],
            f["verdict"],
        )
        for f in record["findings"]
    )
    interventions = tuple(
        CueIntervention(
            t["cue"],
            t["direction"],
            t["change"],
            t["unit"],
            np.asarray(t["windows_s"], dtype=float).reshape(-1, 2),
            t["p_original"],
            float("nan") if t["p_salient"] is None else t["p_salient"],
            tuple(t["p_controls"]),
            t["reason"],
        )
        for t in record.get("interventions", [])  # runs written before interventions have none
    )
    listening = None
    if "listening_rate" in record:  # runs written before listening have none
        heard = {name: arrays[f"{index}_listening_{name}"] for name in LISTENING_NAMES}
        listening = Listening(int(record["listening_rate"]), **heard)
    return ClipExplanation(
        clip_id=record["clip_id"],
        label=record["label"],
        method=record["method"],
        labels=tuple(record["labels"]),
        probabilities=arrays[f"{index}_probabilities"],
        target=record["target"],
        features=arrays[f"{index}_features"],
        relevance=arrays[f"{index}_relevance"],
        grid=InputGrid(seconds, frames, tuple(bins)),
        waveform=arrays[f"{index}_waveform"],
        sample_rate=record["sample_rate"],
        windows=arrays[f"{index}_windows"].reshape(-1, 2),
        findings=findings,
        profile=record["profile"],
        interventions=interventions,
        interventions_note=record.get("interventions_note", ""),
        listening=listening,
    )
