"""Which explained clips a run keeps as examples: per method, its first correct and first wrong prediction.

The report shows an explanation of a correctly and of a wrongly classified clip for
every method (the paper contrasts the two), so the run keeps exactly those, taken in
clip order, which makes the choice the same on every rerun.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from bsbench.explain.clip import ClipExplanation, from_explanation
from bsbench.grid.work import GridSpec, Job, JobOutcome
from bsbench.interfaces.protocols import ProfilePlugin


def choose_examples(
    spec: GridSpec, jobs: Sequence[Job], outcomes: Mapping[Job, JobOutcome], profile: ProfilePlugin | None
) -> list[ClipExplanation]:
    """Up to two examples per method, correct first; methods in plan order.

    Each example's interventions draw their controls with its batch's seed, as the
    cue-intervention metric does, so the two agree on the clip at the default settings.
    """
    model = spec.model
    chosen: list[ClipExplanation] = []
    for method_index in range(len(spec.methods)):
        wanted = {True: None, False: None}
        for job in (j for j in jobs if j.method_index == method_index):
            explanations = outcomes[job].explanations or ()
            for offset, explanation in enumerate(explanations):
                index = job.start + offset
                clip = spec.clips[index]
                correct = model.labels[int(spec.predictions[index])] == clip.label
                if wanted[correct] is None:
                    wanted[correct] = (index, explanation, spec.batch_seed(job.start))
        for found in (wanted[True], wanted[False]):
            if found is None:
                continue
            index, explanation, seed = found
            clip = spec.clips[index]
            inputs = torch.as_tensor(spec.inputs[index : index + 1], device=model.device)
            probabilities = torch.softmax(model.logits(inputs), dim=1)[0].cpu().numpy()
            tracks = None if spec.cue_tracks is None else spec.cue_tracks.get(clip.clip_id)
            features = spec.inputs[index, 0]
            chosen.append(from_explanation(model, clip, explanation, features, probabilities, tracks, profile, seed))
    return chosen
