"""Method checks: finite maps on the grid, for the asked class, seeded, nothing changed, the passes declared."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import torch

from bsbench.contracts.common import parameters_have_defaults
from bsbench.contracts.context import CheckContext
from bsbench.contracts.contract import Check, NotApplicable, expect
from bsbench.interfaces.protocols import COST_CLASSES, as_attribution, declared_passes

SEED = 3
T = TypeVar("T")


@dataclass(frozen=True)
class FirstCall:
    """The first explanation of the checked batch, with what the model and input looked like around it."""

    relevance: np.ndarray
    weights_changed: tuple[str, ...]
    hooks_left: int
    training_after: bool
    input_changed: bool
    input_grad_flag_after: bool
    #: Forward passes of the network per clip, as counted at its output layer.
    passes_per_clip: float


def _explain(plugin: Any, context: CheckContext, targets: torch.Tensor, seed: int, inputs: torch.Tensor | None = None):
    model = context.private_model(f"method {plugin.name} {id(plugin)}")
    params = context.parameters_for(plugin)
    output = plugin.explain(model, context.inputs() if inputs is None else inputs, targets, params, seed)
    return np.asarray(as_attribution(output).relevance)


#: Where torch keeps a module's hooks; a method that registers hooks must remove them.
HOOK_ATTRIBUTES = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks")


def _hook_count(module: torch.nn.Module) -> int:
    return sum(len(getattr(m, name, None) or {}) for m in module.modules() for name in HOOK_ATTRIBUTES)


def _rows(value: Any) -> int:
    """The batch size of a module call: the leading size of the first tensor among its arguments (0 if none)."""
    if isinstance(value, torch.Tensor):
        return value.shape[0] if value.dim() else 1
    items = value.values() if isinstance(value, dict) else value if isinstance(value, tuple | list) else ()
    return next((rows for rows in map(_rows, items) if rows), 0)


def _output_layer(network: torch.nn.Module, inputs: torch.Tensor) -> tuple[torch.nn.Module, int]:
    """The leaf module that finishes last in a plain forward pass of ``inputs``, and the rows it sees in that pass."""
    finished: list[tuple[torch.nn.Module, int]] = []

    def record(module: torch.nn.Module, args: tuple, kwargs: dict, output: Any) -> None:
        finished.append((module, _rows((args, kwargs))))

    leaves = [module for module in network.modules() if next(module.children(), None) is None]
    handles = [leaf.register_forward_hook(record, with_kwargs=True) for leaf in leaves]
    try:
        with torch.no_grad():
            network(inputs)
    finally:
        for handle in handles:
            handle.remove()
    layer = finished[-1][0]
    return layer, sum(rows for module, rows in finished if module is layer)


def _explain_counting_passes(
    network: torch.nn.Module, inputs: torch.Tensor, explain: Callable[[], T]
) -> tuple[T, float]:
    """``explain()`` and the forward passes per clip of ``network`` it made.

    Passes are counted as rows through the network's output layer, divided by the rows a
    plain forward pass of ``inputs`` sends through it. Counting calls of the network
    itself would miss what bypasses them: captum's DeepLift doubles the batch in a hook
    of its own, and incremental occlusion runs a traced graph of the network's layers
    without calling the network. The hook is a plain function, which ``copy.deepcopy``
    shares rather than copies, so a method that runs a copy of the network is counted too.
    """
    layer, rows_per_pass = _output_layer(network, inputs)
    rows = 0

    def count(module: torch.nn.Module, args: tuple, kwargs: dict, output: Any) -> None:
        nonlocal rows
        rows += _rows((args, kwargs))

    handle = layer.register_forward_hook(count, with_kwargs=True)
    try:
        result = explain()
    finally:
        handle.remove()
    return result, rows / rows_per_pass


def _first_call(plugin: Any, context: CheckContext) -> FirstCall:
    def observe() -> FirstCall:
        network = context.private_model(f"method {plugin.name} {id(plugin)}").network
        weights = {key: value.clone() for key, value in network.state_dict().items()}
        hooks = _hook_count(network)
        inputs = context.inputs().clone()
        untouched = inputs.clone()
        relevance, passes = _explain_counting_passes(
            network, untouched, lambda: _explain(plugin, context, context.targets(), SEED, inputs)
        )
        changed = tuple(key for key, value in network.state_dict().items() if not torch.equal(value, weights[key]))
        return FirstCall(
            relevance,
            changed,
            _hook_count(network) - hooks,
            network.training,
            not torch.equal(inputs, untouched),
            inputs.requires_grad,
            passes,
        )

    return context.once(f"method {plugin.name} {id(plugin)}", observe)


def finite_maps_on_the_grid(plugin: Any, context: CheckContext) -> None:
    """``explain`` returns one finite float map per clip, shaped like the model's input grid."""
    relevance = _first_call(plugin, context).relevance
    expected = (len(context.clips()), *context.model().frontend.grid.shape)
    expect(
        relevance.shape == expected,
        f"expected relevance shaped {expected} (clips, bins, frames), got {relevance.shape}",
    )
    expect(np.issubdtype(relevance.dtype, np.floating), f"expected floating-point relevance, got {relevance.dtype}")
    bad = int((~np.isfinite(relevance)).sum())
    expect(bad == 0, f"expected finite relevance; {bad} cells are NaN or infinite")


def respects_the_target(plugin: Any, context: CheckContext) -> None:
    """Explaining another class gives another map: the method reads ``targets``."""
    first = _first_call(plugin, context).relevance
    targets = context.targets()
    other = _explain(plugin, context, (targets + 1) % len(context.model().labels), SEED)
    expect(not np.allclose(first, other), "expected a different map when asked about a different class; got the same")


def deterministic_under_a_seed(plugin: Any, context: CheckContext) -> None:
    """Two calls with the same seed return the same map, whatever the caller's random state."""
    first = _first_call(plugin, context).relevance
    numpy_state = np.random.get_state()
    with torch.random.fork_rng():
        torch.manual_seed(12345)  # the caller's generators move between the calls; the method must not read them
        np.random.seed(12345)
        second = _explain(plugin, context, context.targets(), SEED)
    np.random.set_state(numpy_state)
    differ = int((~np.isclose(first, second, rtol=0, atol=0, equal_nan=True)).sum())
    expect(differ == 0, f"expected the same map from two calls with seed {SEED}; {differ:,} cells differ")


def leaves_model_and_input_unchanged(plugin: Any, context: CheckContext) -> None:
    """The network's weights, buffers, hooks and eval mode, and the input tensor, are as they were before."""
    call = _first_call(plugin, context)
    expect(
        not call.weights_changed, f"expected the model's state unchanged; changed: {', '.join(call.weights_changed)}"
    )
    expect(call.hooks_left == 0, f"expected no hooks left on the network; {call.hooks_left} remain")
    expect(not call.training_after, "expected the network still in eval mode; it was left in training mode")
    expect(not call.input_changed, "expected the input tensor unchanged; its values changed")
    expect(not call.input_grad_flag_after, "expected the input's requires_grad left False; it was switched on")


def declares_its_cost(plugin: Any, context: CheckContext) -> None:
    """``cost`` is a known class, and ``model_passes`` (if declared) is a count."""
    expect(plugin.cost in COST_CLASSES, f"expected cost among {COST_CLASSES}, got {plugin.cost!r}")
    passes = declared_passes(plugin, context.parameters_for(plugin), context.model().frontend.grid)
    expect(passes is None or passes >= 0, f"expected model_passes to be a count (0 or more), got {passes}")


def makes_the_declared_passes(plugin: Any, context: CheckContext) -> None:
    """``explain`` runs the network as many times per clip as ``model_passes`` declares."""
    declared = declared_passes(plugin, context.parameters_for(plugin), context.model().frontend.grid)
    if declared is None:
        raise NotApplicable("the method declares no model_passes")
    made = _first_call(plugin, context).passes_per_clip
    expect(
        made == declared,
        f"expected {declared} model passes per clip, as model_passes declares; explain made {made:g}",
    )


CHECKS = (
    Check("method", "parameters-have-defaults", parameters_have_defaults),
    Check("method", "finite-maps-on-the-grid", finite_maps_on_the_grid),
    Check("method", "respects-the-target", respects_the_target),
    Check("method", "deterministic-under-a-seed", deterministic_under_a_seed),
    Check("method", "leaves-model-and-input-unchanged", leaves_model_and_input_unchanged),
    Check("method", "declares-its-cost", declares_its_cost),
    Check("method", "makes-the-declared-passes", makes_the_declared_passes),
)
