"""Dataset checks: clips of a declared format with known labels, and splits fixed by the seed."""

from __future__ import annotations

from typing import Any

import numpy as np

from bsbench.contracts.context import CheckContext
from bsbench.contracts.contract import Check, expect
from bsbench.core.types import Corpus


def _load(plugin: Any, context: CheckContext) -> Corpus:
    """The corpus, loaded once per context."""
    return context.once(f"dataset {plugin.name} {id(plugin)}", lambda: plugin.load(context.request_for(plugin.name)))


def loads_a_corpus(plugin: Any, context: CheckContext) -> None:
    """``load`` returns a Corpus with clips and distinct class labels."""
    corpus = _load(plugin, context)
    expect(isinstance(corpus, Corpus), f"expected load() to return a bsbench.Corpus, got {type(corpus).__name__}")
    expect(corpus.clips, "expected at least one clip")
    expect(len(set(corpus.labels)) == len(corpus.labels) > 0, f"expected distinct labels, got {corpus.labels}")


def clips_in_declared_format(plugin: Any, context: CheckContext) -> None:
    """Every clip is finite mono float32 audio in [-1, 1] at a positive rate, labelled with a corpus label.

    A dataset that declares ``sample_rate`` must deliver every clip at that rate.
    """
    corpus = _load(plugin, context)
    declared_rate = getattr(plugin, "sample_rate", None)
    for clip in corpus.clips:
        where = f"clip {clip.clip_id}"
        waveform = clip.waveform
        expect(isinstance(waveform, np.ndarray) and waveform.ndim == 1, f"{where}: expected a 1-D NumPy waveform")
        expect(waveform.dtype == np.float32, f"{where}: expected float32 samples, got {waveform.dtype}")
        expect(waveform.size > 0 and np.isfinite(waveform).all(), f"{where}: expected finite, non-empty samples")
        peak = float(np.abs(waveform).max())
        expect(peak <= 1.0, f"{where}: expected samples in [-1, 1], peak {peak:.3g}")
        expect(isinstance(clip.sample_rate, int) and clip.sample_rate > 0, f"{where}: bad rate {clip.sample_rate!r}")
        if declared_rate is not None:
            expect(clip.sample_rate == declared_rate, f"{where}: rate {clip.sample_rate}, declared {declared_rate}")
        expect(clip.label in corpus.labels, f"{where}: label {clip.label!r} is not one of {corpus.labels}")
    ids = [clip.clip_id for clip in corpus.clips]
    expect(len(set(ids)) == len(ids), f"expected unique clip ids; {len(ids) - len(set(ids))} repeat")


def splits_fixed_by_the_seed(plugin: Any, context: CheckContext) -> None:
    """Some clips are in the test split, and a second load with the same seed gives the same clips and splits."""
    corpus = _load(plugin, context)
    expect(corpus.split("test"), "expected at least one test clip: runs explain the test split")
    again = plugin.load(context.request_for(plugin.name))
    first = [(c.clip_id, c.label, c.split) for c in corpus.clips]
    second = [(c.clip_id, c.label, c.split) for c in again.clips]
    moved = len(set(first) ^ set(second))
    expect(first == second, f"expected the same clips, labels and splits on a second load with seed; {moved} differ")


CHECKS = (
    Check("dataset", "loads-a-corpus", loads_a_corpus),
    Check("dataset", "clips-in-declared-format", clips_in_declared_format),
    Check("dataset", "splits-fixed-by-the-seed", splits_fixed_by_the_seed),
)
