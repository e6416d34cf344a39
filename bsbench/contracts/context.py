"""What the contract checks run plugins on: a tiny generated corpus, a seeded model, a scored batch.

Everything is built lazily and once per context, so checking one method does not
generate cue tracks and checking forty plugins does not rebuild the corpus forty
times. Nothing needs a download or a trained model: methods are checked on an
untrained, seeded network of ``model`` (their contract holds for any weights), and
metrics on ``saliency`` maps of that network.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, TypeVar

import numpy as np
import torch

from bsbench.core.parameters import build_parameters
from bsbench.core.types import Clip, Corpus, Explanation
from bsbench.explain.method_plan import PlannedMethod, method_explainer
from bsbench.grid.runner import evidence_masks
from bsbench.interfaces.protocols import DatasetRequest, LoadedModel, ModelPlugin, ScoringBatch, as_attribution
from bsbench.registry.loader import Registry, load_registry
from bsbench.scoring.batch import BatchSource

T = TypeVar("T")

#: The corpus checks run on: three speakers (one per split), one localised clip per class,
#: so every clip carries ground truth with evidence in a known place.
CHECK_CORPUS_OPTIONS = {
    "speakers": "3",
    "clips_per_class": "1",
    "test_speakers": "1",
    "validation_speakers": "1",
    "placement": "localised",
}
#: Clips in the batch methods and metrics are checked on.
BATCH_CLIPS = 3
#: The method whose maps metrics are checked on: cheap, deterministic, target-specific.
REFERENCE_METHOD = "saliency"
#: The extractor that supplies cue tracks to metrics requiring cues.
REFERENCE_CUES = "librosa"


@dataclass(eq=False)
class CheckContext:
    """Shared inputs of the contract checks; ``bsbench check`` options and pytest fixtures fill it."""

    registry: Registry = field(default_factory=load_registry)
    #: How datasets are loaded, by dataset name; ``default_request`` for the rest.
    dataset_requests: Mapping[str, DatasetRequest] = field(default_factory=dict)
    default_request: DatasetRequest = field(default_factory=DatasetRequest)
    #: The model methods and metrics are checked on (a configured instance, or a registered name).
    model_plugin: ModelPlugin | str = "resnet-small"
    #: Parameters by plugin name, e.g. ``{"occlusion": {"window": "16x10"}}``: cheaper settings for costly plugins.
    parameters: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    seed: int = 0
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)

    def request_for(self, dataset: str) -> DatasetRequest:
        return self.dataset_requests.get(dataset, self.default_request)

    def once(self, key: str, build: Callable[[], T]) -> T:
        """``build()`` the first time ``key`` is asked for, the stored result after: checks share costly pieces."""
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]

    def corpus(self) -> Corpus:
        """The tiny localised synthetic corpus (21 clips) every clip-reading check uses."""
        request = DatasetRequest(seed=self.seed, options=CHECK_CORPUS_OPTIONS)
        return self.once("corpus", lambda: self.registry.get("dataset", "synthetic").load(request))

    def clips(self) -> tuple[Clip, ...]:
        """``BATCH_CLIPS`` clips of different emotional classes (neutral left out: profiles have no row for it)."""

        def pick() -> tuple[Clip, ...]:
            chosen: dict[str, Clip] = {}
            for clip in self.corpus().clips:
                if clip.label != "neutral" and clip.label not in chosen:
                    chosen[clip.label] = clip
            return tuple(chosen.values())[:BATCH_CLIPS]

        return self.once("clips", pick)

    def model(self) -> LoadedModel:
        """An untrained network of the context's model, built under the context's seed, in eval mode."""

        def build() -> LoadedModel:
            plugin = self.model_plugin
            if isinstance(plugin, str):
                plugin = self.registry.get("model", plugin)
            labels = self.corpus().labels
            with torch.random.fork_rng():
                torch.manual_seed(self.seed)
                network = plugin.build(len(labels)).eval()
            card = {"model": plugin.name, "labels": list(labels), "weights": "untrained, seeded"}
            return LoadedModel(plugin, network, plugin.frontend(), labels, torch.device("cpu"), card)

        return self.once("model", build)

    def private_model(self, owner: str) -> LoadedModel:
        """A copy of :meth:`model` for one plugin, so a plugin that changes its network cannot change another's."""
        return self.once(
            f"model of {owner}", lambda: replace(self.model(), network=copy.deepcopy(self.model().network))
        )

    def inputs(self) -> torch.Tensor:
        return self.once("inputs", lambda: self.model().features(self.clips()))

    def targets(self) -> torch.Tensor:
        """The true class of each checked clip.

        A run explains the predicted class, but an untrained network predicts one class
        for everything (often neutral, which profiles have no row for); the true classes
        are distinct and emotional, which is what the checks need.
        """
        labels = self.model().labels
        return torch.tensor([labels.index(clip.label) for clip in self.clips()])

    def reference_method(self) -> PlannedMethod:
        plugin = self.registry.get("method", REFERENCE_METHOD)
        return PlannedMethod(plugin.name, plugin, plugin.parameters())

    def explanations(self) -> tuple[Explanation, ...]:
        """Reference-method maps of the checked clips, as a run stores them."""

        def explain() -> tuple[Explanation, ...]:
            planned = self.reference_method()
            model, targets = self.model(), self.targets()
            output = as_attribution(planned.plugin.explain(model, self.inputs(), targets, planned.params, self.seed))
            return tuple(
                Explanation(
                    clip.clip_id, np.asarray(map_, dtype=np.float32), model.frontend.grid, planned.label, int(t)
                )
                for clip, map_, t in zip(self.clips(), output.relevance, targets.tolist(), strict=True)
            )

        return self.once("explanations", explain)

    def scoring_batch(self, metric: Any, params: Any) -> ScoringBatch:
        """The batch a run would hand ``metric``: every requirement it declares filled in."""
        clips = self.clips()
        model = self.model()
        source = BatchSource(
            model,
            clips,
            self.inputs().numpy(),
            self.targets().numpy(),
            self.explanations(),
            self.seed,
            {
                "cues": self.cue_tracks,
                "masks": lambda: evidence_masks(clips, model.frontend.grid),
                "explainer": lambda: method_explainer(model, self.reference_method(), self.seed),
            },
            lambda _, chosen: self.registry.get("profile", getattr(chosen, "profile", "consensus")),
        )
        return source.batch_for(metric, params)

    def parameters_for(self, plugin: Any) -> Any:
        """The parameters a plugin is checked with: defaults, the cheapest cost preset, then the context's settings."""
        names = {f.name for f in fields(plugin.parameters)}
        raw = {"preset": "quick"} if "preset" in names else {}
        return build_parameters(plugin.parameters, {**raw, **self.parameters.get(plugin.name, {})}, plugin.name)

    def cue_tracks(self) -> tuple:
        extractor = self.registry.get("cues", REFERENCE_CUES)
        return self.once("cue tracks", lambda: tuple(extractor.extract(clip) for clip in self.clips()))
