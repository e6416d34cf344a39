"""How good a model is on the clips a run explains: accuracy, UAR and the confusion matrix.

A model bsbench trained has its held-out test scores on its card. A checkpoint from
elsewhere has none that bsbench can vouch for, yet an explanation of a bad model
explains little, and the paper compares explanations of correct and wrong predictions.
So a run measures the model on the clips it explains, and says so wherever the numbers
appear: they are not a held-out test claim (the clips may include the model's own
training data, which bsbench cannot know).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from bsbench.core.types import Clip
from bsbench.models.label_map import LabelMatch
from bsbench.models.training import ClassificationScores

#: How every view of these numbers names what they were measured on.
MEASURED_ON = "the explained clips"


def measured_quality(
    outputs: Sequence[str], clips: Sequence[Clip], predictions: Sequence[int], match: LabelMatch
) -> dict[str, Any]:
    """The manifest's record of the model on ``clips`` (each with a label the model can output).

    The confusion matrix has a row per true label present and a column per model output,
    so predictions of outputs the corpus lacks stay visible as their own column.
    """
    position = {label: index for index, label in enumerate(outputs)}
    truth = np.array([position[clip.label] for clip in clips], dtype=int)
    scores = ClassificationScores.from_predictions(
        truth, np.asarray(predictions, dtype=int), len(outputs), loss=float("nan")
    )
    present = [index for index in range(len(outputs)) if np.any(truth == index)]
    return {
        "on": MEASURED_ON,
        "clips": len(clips),
        "accuracy": scores.accuracy,
        "unweighted_average_recall": scores.unweighted_average_recall,
        "confusion": {
            "true": [outputs[index] for index in present],
            "predicted": list(outputs),
            "counts": [scores.confusion[index] for index in present],
        },
        **match.record(),
    }
