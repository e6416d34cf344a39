"""The public plugin API: everything a bsbench plugin may import, and nothing else.

A plugin package (the built-ins in ``bsbench_plugins`` and ``examples/bsbench-example`` alike)
imports only from this module, so the core can reorganise its stages without breaking a
plugin, and a plugin author has one page to read. A name here keeps its meaning across minor
releases; anything else in ``bsbench`` is internal. ``tests/test_layout.py`` holds the built-in
and example plugins to it.

Sections, in the order a clip meets them:

- **Hooks and protocols**: ``hookimpl`` and what each plugin kind provides.
- **Data types and errors**: what passes between plugins, and the errors that become one line.
- **Parameters and presets**: a plugin's dataclass of parameters, checks with clear messages,
  and the cost presets of sampling metrics.
- **Datasets**: reading and finding audio, canonical labels, speaker splits, the corpus cache.
- **Models**: the front ends (log-mel, waveform) and training settings.
- **Methods**: reference inputs (the spectrogram floor), seeded randomness for libraries that
  draw from the global generators.
- **Cues**: the vocabulary (names, units, voiced-only cues, the 10 ms analysis grid), the
  salient-window rule and the cue differences inside it.
- **Metrics**: the batch a metric scores, scores with reasons, the per-clip loop, removal, and
  window-local cue interventions (the manipulations, the cues a profile lets one test), and the
  masked-in / masked-out audio of an explanation (listening).
- **Executors**: the protocol, and the torch threads a worker process on this machine gets.
"""

from __future__ import annotations

from bsbench.audio.cue_manipulations import MANIPULATIONS, CueManipulation, check_change
from bsbench.audio.frontend import FrontEnd, LogMelFrontEnd, LogMelSettings, WaveformFrontEnd, WaveformSettings
from bsbench.audio.reading import LENGTH_POLICIES, AudioFacts, AudioFileError, read_audio
from bsbench.audio.resynthesis import resynthesis_unavailable
from bsbench.core.cache import cache_dir, content_key
from bsbench.core.errors import BsbenchError, CheckpointError, DataError, UsageError
from bsbench.core.parameters import NoParameters, build_parameters, require_at_least, require_choice
from bsbench.core.progress import progress_bar
from bsbench.core.randomness import private_random_streams
from bsbench.core.types import Clip, Corpus, CueTracks, Explanation, GroundTruth, InputGrid, SkippedFile
from bsbench.corpus.audio_files import AUDIO_EXTENSIONS, DuplicateFinder, discover_audio
from bsbench.corpus.labels import CANONICAL_LABELS
from bsbench.corpus.splits import TooFewGroups, group_splits
from bsbench.corpus.store import load_saved_corpus, save_corpus
from bsbench.cues.interventions import DEFAULT_CHANGES, CueIntervention, cues_to_test, intervene
from bsbench.cues.salient import MIN_SALIENT_FRAMES, differences_with_reasons, standardised_differences
from bsbench.cues.statistics import local_spread
from bsbench.cues.windows import (
    WINDOW_RULE,
    WindowRule,
    frames_inside,
    relevance_over_time,
    salient_windows,
    window_tiles,
)
from bsbench.explain.baselines import BASELINES, baseline_of
from bsbench.explain.listening import Listening, kept_cells, listen
from bsbench.grid.executors import threads_per_worker
from bsbench.interfaces.hookspecs import hookimpl
from bsbench.interfaces.presets import COST_PRESETS, preset_value, resolved
from bsbench.interfaces.protocols import (
    METRIC_REQUIREMENTS,
    REFERENCE_CLASS,
    Attribution,
    CueExtractorPlugin,
    DatasetPlugin,
    DatasetRequest,
    ExecutorPlugin,
    Explainer,
    LoadedModel,
    MethodPlugin,
    MetricPlugin,
    ModelPlugin,
    ProfileCell,
    ProfilePlugin,
    Scores,
    ScoringBatch,
    TrainingConfig,
)
from bsbench.interfaces.vocabulary import (
    ANALYSIS_RATE,
    HOP_SAMPLES,
    SECONDS_PER_FRAME,
    VOICED_ONLY_CUES,
    CueDefinition,
    analysis_samples,
    cue_units,
    frame_count,
)
from bsbench.scoring.per_clip import scores_per_clip
from bsbench.scoring.removal import DEFAULT_REMOVAL, Remover, check_removal, quantus_perturbation

__all__ = [  # noqa: RUF022 - grouped by section, in the order the module docstring lists them
    # hooks and protocols
    "hookimpl",
    "DatasetPlugin",
    "ModelPlugin",
    "MethodPlugin",
    "CueExtractorPlugin",
    "MetricPlugin",
    "ProfilePlugin",
    "ExecutorPlugin",
    "METRIC_REQUIREMENTS",
    # data types and errors
    "Clip",
    "Corpus",
    "CueTracks",
    "Explanation",
    "GroundTruth",
    "InputGrid",
    "SkippedFile",
    "BsbenchError",
    "CheckpointError",
    "DataError",
    "UsageError",
    # parameters and presets
    "NoParameters",
    "build_parameters",
    "require_at_least",
    "require_choice",
    "COST_PRESETS",
    "preset_value",
    "resolved",
    # datasets
    "DatasetRequest",
    "AudioFacts",
    "AudioFileError",
    "LENGTH_POLICIES",
    "read_audio",
    "AUDIO_EXTENSIONS",
    "DuplicateFinder",
    "discover_audio",
    "CANONICAL_LABELS",
    "group_splits",
    "TooFewGroups",
    "load_saved_corpus",
    "save_corpus",
    "cache_dir",
    "content_key",
    "progress_bar",
    # models
    "FrontEnd",
    "LogMelFrontEnd",
    "LogMelSettings",
    "WaveformFrontEnd",
    "WaveformSettings",
    "LoadedModel",
    "TrainingConfig",
    # methods
    "Attribution",
    "BASELINES",
    "baseline_of",
    "private_random_streams",
    # cues
    "ANALYSIS_RATE",
    "HOP_SAMPLES",
    "SECONDS_PER_FRAME",
    "VOICED_ONLY_CUES",
    "CueDefinition",
    "analysis_samples",
    "cue_units",
    "frame_count",
    "local_spread",
    "WINDOW_RULE",
    "WindowRule",
    "frames_inside",
    "relevance_over_time",
    "salient_windows",
    "window_tiles",
    "MIN_SALIENT_FRAMES",
    "differences_with_reasons",
    "standardised_differences",
    "ProfileCell",
    "REFERENCE_CLASS",
    # metrics
    "ScoringBatch",
    "Scores",
    "Explainer",
    "scores_per_clip",
    "DEFAULT_REMOVAL",
    "Remover",
    "check_removal",
    "quantus_perturbation",
    "MANIPULATIONS",
    "CueManipulation",
    "check_change",
    "CueIntervention",
    "DEFAULT_CHANGES",
    "cues_to_test",
    "intervene",
    "Listening",
    "kept_cells",
    "listen",
    "resynthesis_unavailable",
    # executors
    "threads_per_worker",
]
