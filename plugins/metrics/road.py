"""ROAD, "remove and debias" (Rong, Leemann, Borisov, Kasneci & Kasneci, ICML 2022), per clip.

For each removal fraction the model reads the input with the most relevant cells
removed (MoRF) and with the least relevant removed (LeRF). A faithful explanation
makes the two disagree: removing what it calls relevant should cost the class more
than removing what it calls irrelevant. The score is the LeRF - MoRF gap of the class
probability, averaged over the fractions (higher is better; 0 for an explanation whose
order means nothing).

Written here rather than called in Quantus: Quantus 0.6's ``ROAD`` declares itself for
images, scores MoRF only, records whether the *predicted class* survived (0 or 1) and
averages over the batch, so it has no per-clip score to pair, bootstrap or rank. This
loop keeps ROAD's protocol (fractions of the grid's cells, argsort order, noisy linear
imputation by default) and reads the class probability instead; on a (1, bins, frames)
input its MoRF decisions equal Quantus's ``ROAD`` (tests check it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from bsbench.plugin import DEFAULT_REMOVAL, InputGrid, Remover, Scores, ScoringBatch, check_removal, preset_value

ROAD_PRESETS = {"quick": {"fractions": 5}, "standard": {"fractions": 9}, "paper": {"fractions": 19}}


@dataclass(frozen=True)
class RoadParameters:
    preset: str = "standard"
    #: Removal fractions, evenly spaced inside (0, 1) (0: from the preset: 5, 9, 19; 9 gives ROAD's 10%..90%).
    fractions: int = 0
    #: How removed cells are filled: floor, mean, noisy-linear (ROAD's own) or audio (see bsbench.scoring.removal).
    removal: str = DEFAULT_REMOVAL


def removal_fractions(count: int) -> np.ndarray:
    """``count`` fractions evenly spaced strictly inside (0, 1): 9 gives 0.1, 0.2, ..., 0.9."""
    return np.arange(1, count + 1) / (count + 1)


class RoadMetric:
    """Class-probability gap between removing the least and the most relevant cells (ROAD's LeRF - MoRF)."""

    name = "road"
    description = "ROAD: LeRF - MoRF gap of the class probability over removal fractions (noisy linear imputation)."
    version = "0.1.0"
    higher_is_better = True
    requires = frozenset({"model"})
    parameters = RoadParameters

    def settings(self, params: RoadParameters) -> dict[str, Any]:
        check_removal(params.removal, self.name)
        count = preset_value(params, "fractions", ROAD_PRESETS)
        return {
            "fractions": [round(float(f), 6) for f in removal_fractions(count)],
            "removal": params.removal,
            "score": "mean over fractions of p(LeRF) - p(MoRF), class probability (softmax)",
        }

    def model_passes(self, params: RoadParameters, grid: InputGrid) -> int:
        return 2 * preset_value(params, "fractions", ROAD_PRESETS)

    def score(self, batch: ScoringBatch, params: RoadParameters) -> Scores:
        morf, lerf = road_curves(batch, params)
        return Scores({"": (lerf - morf).mean(axis=1)})


def road_curves(batch: ScoringBatch, params: RoadParameters) -> tuple[np.ndarray, np.ndarray]:
    """(clips, fractions) class probabilities with the most (MoRF) and the least (LeRF) relevant cells removed."""
    remover = Remover(params.removal, batch)
    fractions = removal_fractions(preset_value(params, "fractions", ROAD_PRESETS))
    clips = len(batch.explanations)
    morf, lerf = np.empty((clips, fractions.size)), np.empty((clips, fractions.size))
    targets = np.concatenate([batch.targets, batch.targets])
    for step, fraction in enumerate(fractions):
        probabilities = class_probabilities(batch, road_inputs(batch, remover, fraction), targets)
        morf[:, step], lerf[:, step] = probabilities[:clips], probabilities[clips:]
    return morf, lerf


def road_inputs(batch: ScoringBatch, remover: Remover, fraction: float) -> np.ndarray:
    """The batch's inputs with ``fraction`` of the cells removed: most relevant first, then least relevant first.

    ``int(cells * fraction)`` cells in the order of ``argsort``, as Quantus's ROAD
    counts and orders them; (2 x clips, 1, bins, frames), the MoRF inputs first.
    """
    relevance = np.stack([e.relevance for e in batch.explanations]).reshape(len(batch.explanations), -1)
    rows = np.arange(len(relevance))
    count = int(relevance.shape[1] * fraction)
    removed = np.zeros((2 * len(rows), relevance.shape[1]), dtype=bool)
    removed[rows[:, None], np.argsort(-relevance, axis=1)[:, :count]] = True
    removed[len(rows) + rows[:, None], np.argsort(relevance, axis=1)[:, :count]] = True
    return remover(np.concatenate([rows, rows]), removed.reshape(-1, *batch.inputs.shape[2:]))


def class_probabilities(batch: ScoringBatch, inputs: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Softmax probability of each input's target class under the batch's model."""
    network = batch.model.network.eval()
    with torch.no_grad():
        logits = network(torch.as_tensor(inputs, device=batch.model.device))
        probabilities = torch.softmax(logits.double(), dim=1)
    return probabilities[torch.arange(len(targets)), torch.as_tensor(targets, dtype=torch.long)].cpu().numpy()
