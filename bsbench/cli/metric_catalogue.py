"""What each installed metric measures, needs and costs under a cost preset, for one model's input grid.

``bsbench metrics`` prints this: the direction (higher or lower is better, or a signed
effect with none), what the runner must supply (model passes, re-explanations, cues,
ground truth, a profile), the forward passes and re-explanations per clip under the
chosen preset, how a removal metric fills removed cells (its ``removal``: floor, mean,
noisy-linear or audio; the passes are the same for each, audio adds one resynthesis
and front-end pass per model pass, noisy-linear one sparse solve), and every parameter
with its default. A re-explanation costs the scored
method's own passes (``bsbench methods``), so a robustness metric on occlusion is
priced by multiplying the two.
"""

from __future__ import annotations

from typing import Any

from bsbench.cli.method_catalogue import parameter_text
from bsbench.interfaces.protocols import declared_metric_cost, metric_settings
from bsbench.registry.loader import Registry
from bsbench.scoring.plans import plan_metrics

DIRECTIONS = {True: "higher", False: "lower", None: "none (signed)"}


def metric_catalogue(registry: Registry, model: str = "resnet-small", preset: str = "standard") -> list[dict[str, Any]]:
    """One row per metric: name, direction, needs, passes and re-explanations per clip, settings, parameters."""
    grid = registry.get("model", model).frontend().grid
    names = [record.name for record in registry.records("metric")]
    rows = []
    for planned, record in zip(plan_metrics(registry, names, preset), registry.records("metric"), strict=True):
        cost = declared_metric_cost(planned.plugin, planned.params, grid)
        rows.append(
            {
                "name": planned.name,
                "better": DIRECTIONS[planned.plugin.higher_is_better],
                "needs": ",".join(sorted(planned.plugin.requires)) or "-",
                "passes_per_clip": cost["model_passes_per_clip"],
                "explanations_per_clip": cost["explanations_per_clip"],
                "removal": getattr(planned.params, "removal", "-"),
                "settings": ",".join(f"{k}={v}" for k, v in metric_settings(planned.plugin, planned.params).items()),
                "parameters": parameter_text(planned.plugin.parameters()),
                "package": record.package,
                "description": record.description,
            }
        )
    return rows
