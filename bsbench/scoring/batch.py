"""The one way a :class:`ScoringBatch` is built: each metric gets what its ``requires`` declares.

A run, ``bsbench validate`` and the contract checks all build batches here, so a metric sees the
same fields wherever it is scored, and a metric that needs a new kind of input means one new
entry in :data:`REQUIREMENT_FIELDS` and one provider, not edits in every caller. Optional
inputs arrive as providers (functions of no arguments) and are called only for a metric that
requires them; a metric requiring an input its caller cannot provide is refused by name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bsbench.core.types import Clip, Explanation
from bsbench.interfaces.protocols import LoadedModel, MetricPlugin, ProfilePlugin, ScoringBatch

#: Which field of :class:`ScoringBatch` each requirement fills. "model" and "ground-truth" need no
#: field of their own: the model is in every batch, and ground truth travels on the clips.
REQUIREMENT_FIELDS = {"cues": "cue_tracks", "masks": "masks", "explainer": "explainer", "profile": "profile"}
#: Requirements served by the evidence masks of synthetic clips (ground truth on the input grid).
GROUND_TRUTH_REQUIREMENTS = frozenset({"masks", "ground-truth"})

Provider = Callable[[], Any]


def required_inputs(metrics: Iterable[MetricPlugin]) -> frozenset[str]:
    """Everything any of ``metrics`` requires: what a caller must prepare before scoring them."""
    return frozenset().union(*(metric.requires for metric in metrics))


@dataclass(frozen=True, eq=False)
class BatchSource:
    """What every batch of one (method, clips) pair is built from, with providers for the optional inputs.

    ``providers`` maps a requirement ("cues", "masks", "explainer") to a function giving its
    value; ``profiles`` gives the expert profile a metric's parameters name.
    """

    model: LoadedModel
    clips: tuple[Clip, ...]
    inputs: np.ndarray
    targets: np.ndarray
    explanations: tuple[Explanation, ...]
    seed: int
    providers: dict[str, Provider] = field(default_factory=dict)
    profiles: Callable[[MetricPlugin, Any], ProfilePlugin] | None = None

    def batch_for(self, metric: MetricPlugin, params: Any = None) -> ScoringBatch:
        """The batch ``metric`` reads: the common fields, plus exactly the inputs it requires."""
        filled: dict[str, Any] = {}
        for requirement in sorted(metric.requires & REQUIREMENT_FIELDS.keys()):
            if requirement == "profile":
                if self.profiles is None:
                    raise ValueError(f"metric {metric.name} requires an expert profile, and none can be supplied here")
                filled["profile"] = self.profiles(metric, params)
                continue
            provider = self.providers.get(requirement)
            if provider is None:
                raise ValueError(f"metric {metric.name} requires {requirement!r}, and none can be supplied here")
            filled[REQUIREMENT_FIELDS[requirement]] = provider()
        return ScoringBatch(
            self.model,
            self.clips,
            self.inputs,
            self.targets,
            self.explanations,
            filled.get("cue_tracks"),
            self.seed,
            filled.get("masks"),
            explainer=filled.get("explainer"),
            profile=filled.get("profile"),
        )
