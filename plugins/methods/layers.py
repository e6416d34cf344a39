"""Looking up a named layer of a network, with an error that lists the choices."""

from __future__ import annotations

from torch import nn

from bsbench.errors import UsageError


def find_layer(network: nn.Module, name: str, method: str) -> nn.Module:
    modules = dict(network.named_modules())
    if name not in modules or not name:
        convolutions = [n for n, m in modules.items() if isinstance(m, nn.Conv1d | nn.Conv2d)]
        raise UsageError(f"method {method}: no layer {name!r}; convolution layers: {', '.join(convolutions)}")
    return modules[name]
