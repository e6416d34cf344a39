"""What the per-clip cost scripts measure on: a freshly initialised, seeded network and small synthetic clips.

Cost does not depend on the weights, so nothing is trained; the same network and clips
serve every method or removal a script compares.
"""

from __future__ import annotations

import torch

from bsbench.core.types import Clip
from bsbench.interfaces.protocols import DatasetRequest, LoadedModel
from bsbench.registry.loader import Registry

SMALL_CORPUS = {"speakers": 4, "clips_per_class": 2, "test_speakers": 1, "validation_speakers": 1}


def untrained_scene(
    registry: Registry, model_name: str, device: torch.device, n_clips: int
) -> tuple[LoadedModel, list[Clip], torch.Tensor, torch.Tensor]:
    """A seeded untrained ``model_name``, ``n_clips`` synthetic clips, their inputs and the predicted classes."""
    corpus = registry.get("dataset", "synthetic").load(DatasetRequest(seed=0, options=SMALL_CORPUS))
    plugin = registry.get("model", model_name)
    torch.manual_seed(0)
    model = LoadedModel(plugin, plugin.build(7).to(device).eval(), plugin.frontend(), corpus.labels, device, {})
    clips = list(corpus.clips[:n_clips])
    inputs = model.features(clips)
    return model, clips, inputs, model.logits(inputs).argmax(dim=1)
