"""Naming a checkpoint's outputs in the corpus's words, and what each side has that the other lacks.

A published checkpoint names its outputs its own way, and is often explained on a corpus
it was not trained on: a 7-class TESS model on CREMA-D (which has no ``surprise``), a
4-class model on a 7-class corpus, outputs called ``ang``/``hap`` where bsbench says
``angry``/``happy``. A label map (``--label-map FILE.json``, or ``label_map`` in the model
card) says which label each output is. :func:`match_labels` then tells which outputs no
clip can have (a prediction of one is simply wrong) and which clips the model cannot
classify correctly by construction: those are left out of the run, counted, with the
reason, so neither the measured accuracy nor ``--by correct`` counts them as the model's
mistakes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bsbench.core.cache import DamagedEntry, read_json
from bsbench.core.errors import DataError
from bsbench.core.types import Clip
from bsbench.corpus.labels import CANONICAL_LABELS


class LabelMapError(ValueError):
    """A label map that cannot name these outputs; the message says which entry and why."""


def read_label_map(path: Path) -> dict[str, str]:
    """The JSON object in ``path`` (output name or index -> label); LabelMapError when it is not one."""
    if not Path(path).is_file():
        raise LabelMapError("no such file")
    try:
        document = read_json(path)
    except DamagedEntry as problem:
        raise LabelMapError(str(problem)) from None
    return check_label_map(document)


def check_label_map(document: Any) -> dict[str, str]:
    """``document`` when it is an object of non-empty strings (``{"ps": "surprise", "0": "angry"}``)."""
    if not isinstance(document, dict) or not document:
        raise LabelMapError('expected a JSON object from model output to label, e.g. {"ps": "surprise"}')
    for output, label in document.items():
        if not isinstance(label, str) or not label.strip():
            raise LabelMapError(f"output {output!r} must map to a label name (a non-empty string), not {label!r}")
    return {str(output): label.strip() for output, label in document.items()}


def relabel(outputs: Sequence[str], mapping: Mapping[str, str]) -> tuple[str, ...]:
    """The outputs renamed by ``mapping``, whose keys name an output by its label or its index (``"0"``).

    Outputs the map does not mention keep their names. A key that names no output, an
    output named twice, or two outputs given one label is refused: each would make some
    predictions mean something other than what the map's author wrote.
    """
    position = {name: index for index, name in enumerate(outputs)}
    renamed = list(outputs)
    mapped_from: dict[int, str] = {}
    for key, label in mapping.items():
        index = position.get(key, int(key) if key.isdigit() and int(key) < len(outputs) else None)
        if index is None:
            raise LabelMapError(
                f"{key!r} is not an output of the model; its outputs are {', '.join(outputs)} "
                f"(or their indices 0 to {len(outputs) - 1})"
            )
        if index in mapped_from:
            raise LabelMapError(f"output {outputs[index]!r} is mapped twice (as {mapped_from[index]!r} and {key!r})")
        mapped_from[index] = key
        renamed[index] = label
    twice = sorted(label for label, count in Counter(renamed).items() if count > 1)
    if twice:
        sharing = [outputs[i] for i, label in enumerate(renamed) if label == twice[0]]
        raise LabelMapError(
            f"outputs {' and '.join(sharing)} would both be {twice[0]!r}; each output needs its own label"
        )
    return tuple(renamed)


@dataclass(frozen=True)
class LabelMatch:
    """How a model's outputs meet a corpus's labels."""

    #: Outputs that are no label of the corpus: predicting one is always a mistake.
    outputs_without_counterpart: tuple[str, ...]
    #: Corpus label the model cannot output -> clips with it (among those asked for).
    clips_not_outputtable: Mapping[str, int]

    def record(self) -> dict[str, Any]:
        """The manifest's account of the match; the reason travels with the count."""
        left_out = sum(self.clips_not_outputtable.values())
        return {
            "outputs_without_counterpart": list(self.outputs_without_counterpart),
            "clips_left_out": left_out,
            "clips_left_out_by_label": dict(self.clips_not_outputtable),
            "reason": "the model has no output for these labels, so it cannot classify these clips correctly"
            if left_out
            else "",
        }


def match_labels(
    outputs: Sequence[str],
    corpus_labels: Sequence[str],
    clips: Sequence[Clip],
    *,
    model: str,
    corpus: str,
    source: str,
    mapped: Sequence[str] = (),
) -> LabelMatch:
    """Which outputs the corpus lacks and which clips' labels the model lacks; DataError when they share none.

    ``source`` says where the outputs' names came from (a model card, a label map, the
    plugin's default order), so the one line a mismatch gives points at what to fix.
    ``mapped`` are the names a label map gave: each must be a label of the corpus or a
    canonical one, since a misspelt target ("suprise") would silently leave out every
    clip of that emotion.
    """
    unknown = [label for label in mapped if label not in corpus_labels and label not in CANONICAL_LABELS]
    if unknown:
        raise DataError(
            f"{source}: maps to {', '.join(unknown)}, which dataset {corpus} does not have (its labels: "
            f"{', '.join(corpus_labels)}) and bsbench does not know (canonical labels: {', '.join(CANONICAL_LABELS)})"
        )
    shared = set(outputs) & set(corpus_labels)
    if not shared:
        raise DataError(
            f"model {model} outputs {', '.join(outputs)} (from {source}) and dataset {corpus} has labels "
            f"{', '.join(corpus_labels)}: they share none; pass --label-map FILE.json mapping each output to one "
            f'of the dataset\'s labels (e.g. {{"{outputs[0]}": "{corpus_labels[0]}"}})'
        )
    missing = Counter(clip.label for clip in clips if clip.label not in shared)
    return LabelMatch(
        outputs_without_counterpart=tuple(label for label in outputs if label not in corpus_labels),
        clips_not_outputtable={label: missing[label] for label in corpus_labels if missing[label]},
    )


def names_source(card: Mapping[str, Any]) -> str:
    """Where a loaded model's output names came from, for the line a label mismatch gives."""
    if "label_map_source" in card:
        return f"{card.get('label_source', 'its outputs')} renamed by {card['label_map_source']}"
    return str(card.get("label_source", "its model card"))
