"""Keeping a plugin from changing the network it was handed.

Methods and metrics receive the run's one trained network. A plugin that rescales a
weight in place, leaves a hook registered, switches a layer to training mode or turns
off a gradient spoils every piece computed after it - and, through the piece cache,
every later run, because piece keys hold the weights' digest from before the change.
So each plugin call in a run is watched: afterwards the network is compared with a
kept clean copy (every state-dict tensor, each module's training flag and hooks, the
parameters' ``requires_grad``, the global module hooks). A change is reported by what
changed; the caller discards that call's results, records the failure under the
plugin's name and restores the clean network before the next piece.

The comparison is exact (the tensors' bytes), not a digest: it costs one read of the
weights per call, measured in ``benchmarks/speed/network_guard.py``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn.modules import module as torch_module

#: Per-module hook dictionaries a plugin may leave entries in.
_HOOK_DICTS = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks")
#: torch's process-wide hook dictionaries (``register_module_forward_hook`` and friends).
_GLOBAL_HOOK_DICTS = (
    "_global_forward_hooks",
    "_global_forward_pre_hooks",
    "_global_backward_hooks",
    "_global_backward_pre_hooks",
)
#: How many changed names one report lists before it says "and N more".
_NAMES_SHOWN = 3


#: (module name, hook dictionary, hook ids) for every module.
_Hooks = tuple[tuple[str, str, tuple[int, ...]], ...]


@dataclass(frozen=True)
class _Layout:
    """What a network is besides its tensor values: modules, flags, hooks."""

    modules: tuple[tuple[str, str], ...]
    training: tuple[tuple[str, bool], ...]
    requires_grad: tuple[tuple[str, bool], ...]
    hooks: _Hooks
    global_hooks: tuple[tuple[str, tuple[int, ...]], ...]


class NetworkGuard:
    """A clean copy of one network, to say after each plugin call what the call changed and to undo it."""

    def __init__(self, network: nn.Module) -> None:
        self.network = network
        self._clean = copy.deepcopy(network)
        self._tensors = {name: _bits(tensor) for name, tensor in self._clean.state_dict().items()}
        self._layout = _layout(network)

    def changes(self) -> list[str]:
        """What differs from the clean network, one phrase per kind of change; empty when nothing does."""
        found: list[str] = []
        now = _layout(self.network)
        if now.modules != self._layout.modules:
            found.append("replaced or added modules")
        tensors = self.network.state_dict()
        if set(tensors) != set(self._tensors):
            found.append("changed the state dict's entries")
        else:
            changed = [name for name, clean in self._tensors.items() if not _same_bits(_bits(tensors[name]), clean)]
            if changed:
                found.append(f"changed the values of {_listed(changed)}")
        found.extend(_differences("training mode of", now.training, self._layout.training))
        found.extend(_differences("requires_grad of", now.requires_grad, self._layout.requires_grad))
        if now.hooks != self._layout.hooks:
            found.append(f"left hooks on {_listed(_hooked(now.hooks, self._layout.hooks))}")
        if now.global_hooks != self._layout.global_hooks:
            found.append("left global module hooks registered")
        return found

    @contextmanager
    def watch(self) -> Iterator[list[str]]:
        """Run the ``with`` body (one plugin call); the yielded list then holds what it changed, already undone.

        The check runs even when the call raises, so a plugin that fails half-way through
        a change cannot leave it behind.
        """
        found: list[str] = []
        try:
            yield found
        finally:
            found.extend(self.changes())
            if found:
                self.restore()

    def restore(self) -> None:
        """Make the network (the same object, which everyone holds) equal to the clean copy again."""
        fresh = copy.deepcopy(self._clean)
        self.network.__dict__.clear()
        self.network.__dict__.update(fresh.__dict__)
        for name, clean_ids in self._layout.global_hooks:
            hooks = getattr(torch_module, name)
            for key in [k for k in hooks if k not in clean_ids]:
                del hooks[key]


def _layout(network: nn.Module) -> _Layout:
    modules = list(network.named_modules())
    return _Layout(
        modules=tuple((name, type(module).__qualname__) for name, module in modules),
        training=tuple((name or "<network>", module.training) for name, module in modules),
        requires_grad=tuple((name, parameter.requires_grad) for name, parameter in network.named_parameters()),
        hooks=tuple(
            (name or "<network>", hook_dict, tuple(getattr(module, hook_dict, {})))
            for name, module in modules
            for hook_dict in _HOOK_DICTS
        ),
        global_hooks=tuple((name, tuple(getattr(torch_module, name, {}))) for name in _GLOBAL_HOOK_DICTS),
    )


def _bits(tensor: torch.Tensor) -> tuple[str, tuple[int, ...], torch.Tensor]:
    """Dtype, shape and the bytes, flat: compared bit for bit, so NaN equals NaN and bfloat16 works."""
    return str(tensor.dtype), tuple(tensor.shape), tensor.detach().contiguous().reshape(-1).view(torch.uint8)


def _same_bits(
    bits: tuple[str, tuple[int, ...], torch.Tensor], clean: tuple[str, tuple[int, ...], torch.Tensor]
) -> bool:
    (dtype, shape, data), (clean_dtype, clean_shape, clean_data) = bits, clean
    if dtype != clean_dtype or shape != clean_shape or data.device != clean_data.device:
        return False
    if data.device.type == "cpu":  # NumPy compares small CPU tensors far faster than torch.equal
        return bool(np.array_equal(data.numpy(), clean_data.numpy()))
    return bool(torch.equal(data, clean_data))


def _differences(what: str, now: tuple[tuple[str, bool], ...], clean: tuple[tuple[str, bool], ...]) -> Iterator[str]:
    changed = [name for (name, value), (_, was) in zip(now, clean, strict=False) if value != was]
    if changed:
        yield f"changed the {what} {_listed(changed)}"


def _hooked(now: _Hooks, clean: _Hooks) -> list[str]:
    was = {(name, kind): ids for name, kind, ids in clean}
    return sorted({name for name, kind, ids in now if ids != was.get((name, kind))})


def _listed(names: list[str]) -> str:
    shown = ", ".join(names[:_NAMES_SHOWN])
    more = len(names) - _NAMES_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")
