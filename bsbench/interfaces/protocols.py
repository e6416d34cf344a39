"""One small protocol per plugin kind.

A plugin is any object with the attributes and methods its kind lists here; there
is no base class to inherit. Every plugin carries ``name`` (lower-case, digits and
dashes: it is typed on the command line), a one-line ``description`` and a
``version`` that is recorded in run manifests and cache keys, so changing a plugin's
behaviour means bumping its version.

Any plugin may also carry ``expected_check_failures``: contract checks (``bsbench check
--list``) it fails on purpose, each with the reason, e.g. ``{"respects-the-target":
"ignores the class by design"}``. They are reported as expected failures; one that
passes is reported as a failure, so a declaration cannot outlive its reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch

from bsbench.audio.frontend import FrontEnd, frontend_features
from bsbench.core.types import Clip, Corpus, CueTracks, Explanation, InputGrid

# --- datasets -------------------------------------------------------------------------


@dataclass(frozen=True)
class DatasetRequest:
    """What the user asked a dataset for: where the files are and the split seed."""

    data_dir: Path | None = None
    seed: int = 0
    options: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class DatasetPlugin(Protocol):
    name: str
    description: str
    version: str

    def load(self, request: DatasetRequest) -> Corpus:
        """Return every clip with its label, speaker and split."""
        ...


# --- models ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingConfig:
    """Optimiser settings: the paper's AdamW, epochs and batch size, with a cosine schedule.

    The paper trained at a constant rate with early stopping. On held-out speakers that
    recipe swung between epochs (validation recall 0.93 one epoch, 0.57 the next) and
    early stopping caught whichever swing came first. Annealing the rate to zero over
    ``epochs`` settles the network, and the final weights are kept: picking the epoch
    with the best recall on two validation speakers chose epoch 7 of 30 in one seed
    (test accuracy 0.61) where the final weights scored 1.00. Early stopping is
    therefore opt-in (``patience``), for corpora with enough validation speakers.
    """

    epochs: int = 30
    batch_size: int = 32
    #: Peak rate of the cosine schedule, reached at the first step.
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    #: Stop after this many epochs without a better validation recall and keep the best
    #: validation epoch; 0 trains every epoch and keeps the final weights.
    patience: int = 0
    #: ``none`` or ``specaugment`` (random frequency and time stripes set to silence).
    augment: str = "none"


@runtime_checkable
class ModelPlugin(Protocol):
    name: str
    description: str
    version: str
    training: TrainingConfig
    #: The convolution layer Grad-CAM-like methods read by default.
    explain_layer: str
    #: Output order assumed for a bare checkpoint file that has no model card beside it.
    checkpoint_labels: tuple[str, ...]

    def frontend(self) -> FrontEnd: ...

    def build(self, n_classes: int) -> torch.nn.Module: ...

    def canonizers(self) -> list[Any]:
        """zennit canonizers that make the architecture LRP-ready (batch norm, residuals)."""
        ...

    # Optional, for models that need settings (``--model-option key=value``):
    #   def configure(self, options: Mapping[str, str]) -> ModelPlugin
    # returns a new, configured instance whose ``options`` attribute (a JSON-able dict)
    # identifies what was configured; it goes into cache keys and model cards.


# --- methods --------------------------------------------------------------------------

COST_CLASSES = ("baseline", "gradient", "propagation", "perturbation")


@dataclass(frozen=True)
class Attribution:
    """What ``explain`` may return instead of a bare array: the maps plus findings per clip.

    ``details`` holds one JSON-able mapping per clip (CRP's most relevant concepts, for
    instance); the runner keeps them with the explanation and in the run's files.
    """

    relevance: np.ndarray
    details: tuple[Mapping[str, Any], ...] = ()


def as_attribution(output: np.ndarray | Attribution) -> Attribution:
    """A method's output as an :class:`Attribution`, whichever of the two forms it returned."""
    return output if isinstance(output, Attribution) else Attribution(np.asarray(output))


@runtime_checkable
class MethodPlugin(Protocol):
    name: str
    description: str
    version: str
    #: One of COST_CLASSES: what one explanation costs in model passes.
    cost: str
    #: A dataclass type whose fields (with defaults) are the method's parameters.
    parameters: type

    def explain(
        self, model: LoadedModel, inputs: torch.Tensor, targets: torch.Tensor, params: Any, seed: int
    ) -> np.ndarray | Attribution:
        """Relevance for each input and target class, shaped like ``inputs`` minus the channel axis.

        Deterministic for a given ``seed``; must leave ``model`` and ``inputs`` unchanged.
        """
        ...

    # Optional, recorded in manifests so a run's cost is known before it starts:
    #   def model_passes(self, params, grid: InputGrid) -> int
    # forward (or forward + backward) passes of the network per clip; read it with declared_passes.
    # Optional, called before any work of a run (before training, on an untrained network
    # of the model's architecture): raise UsageError naming a parameter the network or
    # grid cannot serve (a layer it lacks, samples=0), with its valid values:
    #   def check_parameters(self, params, network: torch.nn.Module, grid: InputGrid) -> None


def declared_passes(method: MethodPlugin, params: Any, grid: InputGrid) -> int | None:
    """Model passes per clip a method declares for ``params`` on ``grid``; None when it declares none."""
    counter = getattr(method, "model_passes", None)
    return None if counter is None else int(counter(params, grid))


# --- cue extractors -------------------------------------------------------------------


@runtime_checkable
class CueExtractorPlugin(Protocol):
    name: str
    description: str
    version: str
    #: cue name -> unit, for every cue this extractor provides.
    cues: Mapping[str, str]

    def extract(self, clip: Clip) -> CueTracks: ...


# --- metrics --------------------------------------------------------------------------

#: What a metric may need besides the explanations: forward passes of the model, fresh
#: explanations of perturbed inputs or models (robustness, randomisation), cue tracks,
#: ground-truth evidence masks or the whole ground truth (synthetic corpora), an expert profile.
METRIC_REQUIREMENTS = frozenset({"model", "explainer", "cues", "masks", "ground-truth", "profile"})


#: Quantus's ``explain_func`` signature: ``(model=nn.Module, inputs=ndarray, targets=ndarray)``
#: -> relevance ``(batch, bins, frames)``. The runner builds one per method, so a metric can
#: re-explain perturbed inputs or a randomised copy of the network with the method being scored.
Explainer = Callable[..., np.ndarray]


@dataclass(frozen=True, eq=False)
class ScoringBatch:
    """Everything a metric may read about a batch of explained clips."""

    model: LoadedModel
    clips: tuple[Clip, ...]
    inputs: np.ndarray
    #: The explained class of each clip (the model's prediction).
    targets: np.ndarray
    explanations: tuple[Explanation, ...]
    cue_tracks: tuple[CueTracks, ...] | None
    seed: int
    #: Ground-truth evidence masks on the input grid, (clips, bins, frames), for metrics requiring "masks".
    masks: np.ndarray | None = None
    #: The scored method as a function, for metrics requiring "explainer".
    explainer: Explainer | None = None
    #: The expert profile named by the metric's ``profile`` parameter, for metrics requiring "profile".
    profile: ProfilePlugin | None = None

    def subset(self, keep: Sequence[int]) -> ScoringBatch:
        """The same batch restricted to the clips at positions ``keep``."""
        keep = list(keep)
        return replace(
            self,
            clips=tuple(self.clips[i] for i in keep),
            inputs=self.inputs[keep],
            targets=self.targets[keep],
            explanations=tuple(self.explanations[i] for i in keep),
            cue_tracks=None if self.cue_tracks is None else tuple(self.cue_tracks[i] for i in keep),
            masks=None if self.masks is None else self.masks[keep],
        )


@dataclass(frozen=True)
class Scores:
    """What ``score`` may return instead of bare columns: the values plus why some are NaN.

    ``reasons`` maps a column to one text per clip ("" where the value is defined); the
    runner stores it beside the value, so a NaN in a leaderboard can always be explained.
    """

    columns: Mapping[str, np.ndarray]
    reasons: Mapping[str, Sequence[str]] = field(default_factory=dict)


def as_scores(output: Mapping[str, np.ndarray] | Scores) -> Scores:
    """A metric's output as :class:`Scores`, whichever of the two forms it returned."""
    return output if isinstance(output, Scores) else Scores(dict(output))


@runtime_checkable
class MetricPlugin(Protocol):
    name: str
    description: str
    version: str
    #: True/False for a score with a direction; None for a signed effect with none.
    higher_is_better: bool | None
    #: Subset of METRIC_REQUIREMENTS: what the runner must supply for this metric.
    requires: frozenset[str]
    #: A dataclass type whose fields (with defaults) are the metric's parameters; a field
    #: named ``preset`` takes one of :data:`bsbench.interfaces.presets.COST_PRESETS` and follows ``--metric-preset``.
    parameters: type

    def score(self, batch: ScoringBatch, params: Any) -> Mapping[str, np.ndarray] | Scores:
        """Per-clip values, keyed by column: ``""`` for the metric itself, else a sub-score name."""
        ...

    # Optional, recorded in manifests so a run's cost is known before it starts:
    #   def settings(self, params) -> Mapping[str, Any]
    #       the concrete numbers the parameters resolve to (a preset's step counts); may
    #       raise UsageError for parameters that make no sense
    #   def model_passes(self, params, grid: InputGrid) -> int
    #       forward passes of the network per clip
    #   def explanations_per_clip(self, params) -> int
    #       calls of the scored method per clip (each costs that method's passes)
    #   accepts_constant_maps: bool
    #       True when a constant map has a meaningful score (sparseness, robustness);
    #       otherwise the runner records "constant relevance map" instead of scoring it.


def metric_settings(metric: MetricPlugin, params: Any) -> dict[str, Any]:
    """The concrete settings a metric runs with: its ``settings(params)``, else its parameters."""
    resolver = getattr(metric, "settings", None)
    return dict(resolver(params)) if callable(resolver) else asdict(params)


def declared_metric_cost(metric: MetricPlugin, params: Any, grid: InputGrid) -> dict[str, int | None]:
    """Forward passes and re-explanations per clip a metric declares (None where it declares nothing)."""
    passes = getattr(metric, "model_passes", None)
    explanations = getattr(metric, "explanations_per_clip", None)
    return {
        "model_passes_per_clip": None if passes is None else int(passes(params, grid)),
        "explanations_per_clip": None if explanations is None else int(explanations(params)),
    }


# --- expert profiles ------------------------------------------------------------------


#: The class every profile's directions are relative to ("anger: pitch_level up" means above neutral).
REFERENCE_CLASS = "neutral"


@dataclass(frozen=True)
class ProfileCell:
    """Expected direction of one cue for one emotion relative to neutral.

    ``direction`` is +1, -1, 0, or None where the sources disagree.
    """

    direction: int | None
    sources: tuple[str, ...]


@runtime_checkable
class ProfilePlugin(Protocol):
    name: str
    description: str
    version: str
    citations: Mapping[str, str]
    cells: Mapping[str, Mapping[str, ProfileCell]]


# --- a model ready to explain (built by core, handed to methods and metrics) ----------


@dataclass(eq=False)
class LoadedModel:
    """A model plugin's network with trained weights, in eval mode on one device."""

    plugin: ModelPlugin
    network: torch.nn.Module
    frontend: FrontEnd
    labels: tuple[str, ...]
    device: torch.device
    card: Mapping[str, Any]

    @property
    def name(self) -> str:
        return self.plugin.name

    def features(self, clips: Sequence[Clip]) -> torch.Tensor:
        """Model inputs for ``clips`` on the model's device."""
        return frontend_features(self.frontend, clips, self.device)

    @torch.no_grad()
    def logits(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.network(inputs.to(self.device))

    @torch.no_grad()
    def waveform_probabilities(self, waveforms: Sequence[np.ndarray]) -> np.ndarray:
        """(waveforms, classes) softmax probabilities, in float64, of waveforms the front end prepared.

        Edited audio (a cue intervention, a masked-in clip) is read the way the model reads
        every clip: through its own front end, at its rate and input length.
        """
        inputs = self.frontend(torch.from_numpy(np.stack(waveforms).astype(np.float32)).to(self.device))
        return torch.softmax(self.logits(inputs).double(), dim=1).cpu().numpy()


# --- executors ------------------------------------------------------------------------


@runtime_checkable
class ExecutorPlugin(Protocol):
    """Where the (method, batch) jobs of a grid run: this process, a process pool, a cluster.

    An executor calls ``work(shared, job)`` once for every job and yields each result as it
    finishes, in any order; ``shared`` is the same for every job (the grid's models, clips and
    plans) and should reach each worker once. The runner orders the results itself, so the rows
    of a run never depend on the executor. ``work`` and ``shared`` pickle, for executors that
    send them to other processes or machines.
    """

    name: str
    description: str
    version: str
    #: A dataclass type whose fields (with defaults) are the executor's ``--executor-option`` settings.
    parameters: type

    def check(self, params: Any, workers: int) -> None:
        """Refuse settings that cannot work (one ``UsageError`` line) before any piece of a run is computed."""
        ...

    def run(
        self, work: Callable[[Any, Any], Any], shared: Any, jobs: Sequence[Any], workers: int, params: Any
    ) -> Iterator[Any]:
        """``work(shared, job)`` for every job of ``jobs`` on ``workers`` workers, yielded as each finishes."""
        ...


KIND_PROTOCOLS: dict[str, type] = {
    "dataset": DatasetPlugin,
    "model": ModelPlugin,
    "method": MethodPlugin,
    "cues": CueExtractorPlugin,
    "metric": MetricPlugin,
    "profile": ProfilePlugin,
    "executor": ExecutorPlugin,
}


def protocol_members(protocol: type) -> list[str]:
    """Names a plugin must carry to satisfy ``protocol`` (attributes and methods)."""
    members = set(getattr(protocol, "__annotations__", {}))
    members |= {name for name, value in vars(protocol).items() if not name.startswith("_") and callable(value)}
    return sorted(members)
