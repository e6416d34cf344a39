"""The extension API of bsbench: one hook per plugin kind.

A plugin package declares an entry point in the ``bsbench`` group pointing at a
module (or object) with ``@hookimpl`` functions. Each hook receives a ``register``
callback and calls it once per plugin object it provides::

    from bsbench import hookimpl

    @hookimpl
    def bsbench_register_methods(register):
        register(MyMethod())

The objects must satisfy the protocol of their kind in :mod:`bsbench.interfaces.protocols`.
bsbench's own built-in plugins use exactly these hooks and the same entry-point group.

One more hook declares cues rather than plugins: ``bsbench_register_cue_vocabulary``
runs for every package before any kind hook, so an extractor or profile may use a cue
its own package declares.
"""

from __future__ import annotations

from collections.abc import Callable

import pluggy

from bsbench.interfaces.protocols import (
    CueExtractorPlugin,
    DatasetPlugin,
    ExecutorPlugin,
    MethodPlugin,
    MetricPlugin,
    ModelPlugin,
    ProfilePlugin,
)

PROJECT_NAME = "bsbench"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def bsbench_register_datasets(register: Callable[[DatasetPlugin], None]) -> None:
    """Register corpora: objects whose ``load(request)`` returns a :class:`bsbench.Corpus`."""


@hookspec
def bsbench_register_models(register: Callable[[ModelPlugin], None]) -> None:
    """Register SER model architectures with their front end and training defaults."""


@hookspec
def bsbench_register_methods(register: Callable[[MethodPlugin], None]) -> None:
    """Register saliency / attribution methods that return relevance on the model's input grid."""


@hookspec
def bsbench_register_cues(register: Callable[[CueExtractorPlugin], None]) -> None:
    """Register acoustic cue extractors that return frame-wise :class:`bsbench.CueTracks`."""


@hookspec
def bsbench_register_metrics(register: Callable[[MetricPlugin], None]) -> None:
    """Register explanation metrics (faithfulness, cue alignment, localisation, ...)."""


@hookspec
def bsbench_register_expert_profiles(register: Callable[[ProfilePlugin], None]) -> None:
    """Register expert cue-direction tables (which cue goes up or down for which emotion)."""


@hookspec
def bsbench_register_cue_vocabulary(register: Callable[[str, str, bool, str], None]) -> None:
    """Declare cues beyond bsbench's vocabulary: ``register(name, unit, voiced_only, meaning)`` per cue.

    ``name`` is snake_case, ``unit`` the unit of its values, ``voiced_only`` whether it is
    undefined in unvoiced frames and ``meaning`` one line saying what it measures. These
    hooks run before the kind hooks, so cue extractors and profiles may name the cues.
    Redeclaring a cue with the same definition is allowed; a different definition of a
    cue already in the vocabulary is refused with a warning naming the package.
    """


@hookspec
def bsbench_register_executors(register: Callable[[ExecutorPlugin], None]) -> None:
    """Register executors: where a grid's (method, batch) jobs run (``bsbench run --executor NAME``)."""


#: The hook that extends the cue vocabulary; it runs before every hook of KIND_HOOKS.
VOCABULARY_HOOK = "bsbench_register_cue_vocabulary"

#: plugin kind -> the hook that registers it
KIND_HOOKS: dict[str, str] = {
    "dataset": "bsbench_register_datasets",
    "model": "bsbench_register_models",
    "method": "bsbench_register_methods",
    "cues": "bsbench_register_cues",
    "metric": "bsbench_register_metrics",
    "profile": "bsbench_register_expert_profiles",
    "executor": "bsbench_register_executors",
}
