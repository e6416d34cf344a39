"""Looking up a named layer of a network, with an error that lists the choices."""

from __future__ import annotations

from torch import nn

from bsbench.plugin import UsageError


def find_layer(network: nn.Module, name: str, method: str, parameter: str = "layer") -> nn.Module:
    """The module called ``name``; a name the network lacks is refused naming ``parameter`` and the choices."""
    modules = dict(network.named_modules())
    if name not in modules or not name:
        convolutions = [n for n, m in modules.items() if isinstance(m, nn.Conv1d | nn.Conv2d)]
        raise UsageError(
            f"method {method}: parameter {parameter}={name!r} names no layer of the network; "
            f"convolution layers: {', '.join(convolutions)}"
        )
    return modules[name]
