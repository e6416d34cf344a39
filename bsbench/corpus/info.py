"""What a corpus holds: clip counts per class, speaker and split, as pandas tables.

``bsbench data info`` prints these; a notebook calls the same functions.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from bsbench.core.types import SPLITS, Corpus


def clip_table(corpus: Corpus) -> pd.DataFrame:
    """One row per clip: id, label, speaker, split (the frame every count is taken from)."""
    return pd.DataFrame(
        [(clip.clip_id, clip.label, clip.speaker, clip.split) for clip in corpus.clips],
        columns=["clip_id", "label", "speaker", "split"],
    )


def counts(corpus: Corpus, by: str) -> pd.DataFrame:
    """Clips per ``by`` (label or speaker) and split, with totals; splits in train/validation/test order."""
    clips = clip_table(corpus)
    table = pd.crosstab(clips[by], clips["split"], margins=True, margins_name="total")
    columns = [split for split in SPLITS if split in table.columns] + ["total"]
    return table.reindex(columns=columns, fill_value=0)


def corpus_record(corpus: Corpus) -> dict[str, Any]:
    """How the corpus was made, JSON-ready: parameters, split policy, label mapping, warnings, skips.

    A run manifest stores this; ``data info`` shows it with the counts.
    """
    return {
        "parameters": dict(corpus.parameters),
        "split_policy": corpus.split_policy,
        "label_mapping": dict(corpus.label_mapping),
        "warnings": list(corpus.warnings),
        "skipped": [dataclasses.asdict(skip) for skip in corpus.skipped],
    }


def corpus_summary(corpus: Corpus) -> dict[str, Any]:
    """Everything ``data info`` reports, JSON-ready."""
    return {
        "dataset": corpus.name,
        "clips": len(corpus.clips),
        "labels": list(corpus.labels),
        "ground_truth": sum(clip.ground_truth is not None for clip in corpus.clips),
        "by_label": counts(corpus, "label").to_dict(orient="index"),
        "by_speaker": counts(corpus, "speaker").to_dict(orient="index"),
        **corpus_record(corpus),
    }
