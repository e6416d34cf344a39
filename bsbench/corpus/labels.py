"""One emotion vocabulary for every corpus, and choosing a subset of it.

Corpora name the same emotion differently (TESS ``ps``, CREMA-D ``ANG``, EmoDB ``W``);
dataset plugins map their codes onto these labels so models, profiles and leaderboards
compare like with like.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from bsbench.core.errors import UsageError
from bsbench.core.types import Corpus

CANONICAL_LABELS = ("angry", "disgust", "fear", "happy", "neutral", "sad", "surprise", "calm", "boredom")


def select_emotions(corpus: Corpus, emotions: Sequence[str]) -> Corpus:
    """The corpus restricted to ``emotions`` (all of them when empty); the choice joins its parameters.

    Recording the subset in the parameters keeps a model trained on four classes apart
    from one trained on seven in the model cache and in every manifest.
    """
    chosen = tuple(dict.fromkeys(name.strip() for name in emotions if name.strip()))
    if not chosen:
        return corpus
    unknown = [name for name in chosen if name not in corpus.labels]
    if unknown:
        raise UsageError(
            f"--emotions: {', '.join(map(repr, unknown))} not in dataset {corpus.name}; "
            f"its labels are {', '.join(corpus.labels)}"
        )
    if len(chosen) < 2:
        raise UsageError("--emotions: name at least two emotions to tell apart")
    labels = tuple(label for label in corpus.labels if label in chosen)
    return dataclasses.replace(
        corpus,
        labels=labels,
        clips=tuple(clip for clip in corpus.clips if clip.label in chosen),
        parameters={**corpus.parameters, "emotions": list(labels)},
    )
