"""The extension API of bsbench: one hook per plugin kind.

A plugin package declares an entry point in the ``bsbench`` group pointing at a
module (or object) with ``@hookimpl`` functions. Each hook receives a ``register``
callback and calls it once per plugin object it provides::

    from bsbench import hookimpl

    @hookimpl
    def bsbench_register_methods(register):
        register(MyMethod())

The objects must satisfy the protocol of their kind in :mod:`bsbench.protocols`.
bsbench's own built-in plugins use exactly these hooks and the same entry-point group.
"""

from __future__ import annotations

from collections.abc import Callable

import pluggy

from bsbench.protocols import (
    CueExtractorPlugin,
    DatasetPlugin,
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


#: plugin kind -> the hook that registers it
KIND_HOOKS: dict[str, str] = {
    "dataset": "bsbench_register_datasets",
    "model": "bsbench_register_models",
    "method": "bsbench_register_methods",
    "cues": "bsbench_register_cues",
    "metric": "bsbench_register_metrics",
    "profile": "bsbench_register_expert_profiles",
}
