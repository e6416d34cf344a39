"""What each installed saliency method costs and which parameters it takes, for one model's input grid.

``bsbench methods`` prints this so a user can price a run before starting it: the cost
class, the model passes per clip at the default parameters (occlusion at the paper's
1x10 window and 1x3 stride is 5,506 on the 128 x 134 log-mel grid, saliency is 1),
and every parameter with its default, in the ``name:key=value`` syntax ``run`` accepts.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from bsbench.interfaces.protocols import declared_passes
from bsbench.registry.loader import Registry


def method_catalogue(registry: Registry, model: str = "resnet-small") -> list[dict[str, Any]]:
    """One row per method: name, cost class, passes per clip on ``model``'s grid, parameters, package, description."""
    grid = registry.get("model", model).frontend().grid
    rows = []
    for record in registry.records("method"):
        method = record.plugin
        defaults = method.parameters()
        rows.append(
            {
                "name": record.name,
                "cost": method.cost,
                "passes_per_clip": declared_passes(method, defaults, grid),
                "parameters": parameter_text(defaults),
                "package": record.package,
                "description": record.description,
            }
        )
    return rows


def parameter_text(params: Any) -> str:
    """``key=value,...`` for every field of a parameters dataclass, as ``run`` accepts them."""
    return ",".join(f"{field.name}={spelled(getattr(params, field.name))}" for field in dataclasses.fields(params))


def spelled(value: Any) -> str:
    """A default as it is typed on the command line (``1x10`` for a tuple)."""
    if isinstance(value, tuple):
        return "x".join(str(item) for item in value)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)
