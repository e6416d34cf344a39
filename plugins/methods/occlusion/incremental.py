"""Incremental inference: the network's outputs for many occluded copies of one input.

An occluding patch changes a few input cells; a convolution spreads that change only
over its receptive field. Captum's ``Occlusion`` nevertheless recomputes every
activation of every layer for every patch (about 5,400 full forward passes per clip
at the paper's 1x10 window and 1x3 stride). Following Krypton (Nakandala, Kumar &
Papakonstantinou, SIGMOD 2019), this module runs the network once on the clean input,
keeps every activation, and then pushes each patch through the network as a *region*:
the activation equals the clean one except inside a box, and only the box is
recomputed, layer after layer, until a global pooling folds it into a vector.

The network is traced with ``torch.fx``. Convolutions, max pooling, element-wise
layers (batch norm in eval mode, ReLU, dropout in eval mode, ...), additions of two
branches (residual blocks) and global average pooling are computed on regions. Any
other operation is the generic fallback: the regions reaching it are materialised as
whole tensors and the rest of the network runs on them as usual. A network that
cannot be traced at all runs whole on every occluded copy, batched. Either way the
outputs are those of the plain forward pass, up to float rounding.
"""

from __future__ import annotations

import copy
import operator
from collections.abc import Callable
from functools import partial
from typing import Any

import torch
import torch.nn.functional as F
from bsbench_plugins.methods.occlusion import region_layers
from bsbench_plugins.methods.occlusion.region_layers import pair
from bsbench_plugins.methods.occlusion.regions import ZERO_PAD, Region, box_index, clean_cell_table, read_cells
from torch import Tensor, fx, nn

#: Modules applied cell by cell (in eval mode): a region stays a region of the same box.
ELEMENTWISE_MODULES = (
    nn.BatchNorm2d,
    nn.ReLU,
    nn.ReLU6,
    nn.LeakyReLU,
    nn.ELU,
    nn.GELU,
    nn.SiLU,
    nn.Sigmoid,
    nn.Tanh,
    nn.Hardtanh,
    nn.Dropout,
    nn.Dropout2d,
    nn.Identity,
)
#: Elementwise modules whose training mode would change what they compute.
MODE_DEPENDENT = (nn.BatchNorm2d, nn.Dropout, nn.Dropout2d)
ELEMENTWISE_FUNCTIONS = (torch.relu, F.relu, torch.sigmoid, torch.tanh, F.gelu, F.silu, F.leaky_relu)
ELEMENTWISE_METHODS = ("relu", "sigmoid", "tanh")
ADDITIONS = (operator.add, torch.add)


def supports_region(module: nn.Module) -> bool:
    """Whether ``module`` is computed on regions (everything else gets whole tensors)."""
    if isinstance(module, MODE_DEPENDENT) and module.training:
        return False
    if isinstance(module, nn.Conv2d):
        return (
            module.padding_mode == "zeros" and not isinstance(module.padding, str) and pair(module.dilation) == (1, 1)
        )
    if isinstance(module, nn.MaxPool2d):
        return pair(module.dilation) == (1, 1) and not module.ceil_mode and not module.return_indices
    if isinstance(module, nn.AdaptiveAvgPool2d):
        return pair(module.output_size) == (1, 1)
    return isinstance(module, ELEMENTWISE_MODULES)


class _LeafTracer(fx.Tracer):
    """torch's tracer, with recurrent layers kept whole (their forward branches on tensor state)."""

    def is_leaf_module(self, module: nn.Module, qualified_name: str) -> bool:
        return isinstance(module, nn.RNNBase) or super().is_leaf_module(module, qualified_name)


def trace(network: nn.Module) -> fx.GraphModule | None:
    """The network's graph, or None when torch.fx cannot trace it (the whole-network fallback is used)."""
    try:
        graph = _LeafTracer().trace(network)
    except Exception:  # data-dependent control flow and the like: any tracing failure means "not traceable"
        return None
    return fx.GraphModule(network, graph)


class _Recorder(fx.Interpreter):
    """Runs the graph once on the clean input and keeps every node's output."""

    def __init__(self, module: fx.GraphModule) -> None:
        super().__init__(module)
        self.values: dict[fx.Node, Any] = {}

    def run_node(self, node: fx.Node) -> Any:
        value = super().run_node(node)
        self.values[node] = value
        return value


class Plan:
    """Geometry (boxes and gather indices) by key, computed once and reused for every clip with the same windows."""

    def __init__(self) -> None:
        self._entries: dict[Any, Any] = {}

    def get(self, key: Any, compute: Callable[[], Any]) -> Any:
        if key not in self._entries:
            self._entries[key] = compute()
        return self._entries[key]


class IncrementalNetwork:
    """Outputs of one network for occluded copies of an input, recomputing only what each patch changes.

    The geometry of every region (its boxes and gather indices) is kept between calls
    with the same windows, so a batch of clips plans it once.
    """

    def __init__(self, network: nn.Module) -> None:
        self.network = network
        self.graph_module = trace(network)
        self._wide_modules: dict[str, nn.Module] | None = None
        self._plan = Plan()
        self._plan_for: Any = None

    @property
    def incremental(self) -> bool:
        """False when the network could not be traced and every copy runs through the whole network."""
        return self.graph_module is not None

    @torch.no_grad()
    def occluded_outputs(
        self, inputs: Tensor, baseline: Tensor, boxes: Tensor, box_shape: tuple[int, int], batch: int = 192
    ) -> tuple[Tensor, Tensor]:
        """The output for ``inputs`` (1, C, H, W) as it is, and with each box replaced by ``baseline``.

        ``boxes`` holds the top-left (row, column) of each box, (n, 2); every box is
        ``box_shape`` cells and may reach past the bottom or right edge (the part outside
        the input is ignored, as in captum's last window). Returns the clean output (outputs,)
        and the occluded ones (n, outputs), in float64: once a region is pooled, the rest of
        the network runs in double precision, so an output *difference* is not lost in the
        rounding of the output itself.
        """
        layout = (tuple(inputs.shape), tuple(box_shape), batch, boxes.cpu().numpy().tobytes())
        if layout != self._plan_for:
            self._plan, self._plan_for = Plan(), layout
        interpreter = None
        if self.graph_module is not None:
            recorder = _Recorder(self.graph_module)
            recorder.run(inputs)
            interpreter = _RegionInterpreter(self.graph_module, recorder.values, self._wide(), self._plan)
        # item 0 replaces a box by the input's own values: the clean output, through the same path
        boxes = torch.cat([boxes.new_zeros((1, 2)), boxes])
        baseline_cells, input_cells = clean_cell_table(baseline), clean_cell_table(inputs)
        outputs = torch.empty(0)
        for chunk, members in enumerate(self._plan.get("chunks", partial(self._chunks, boxes, batch))):
            items = boxes[members]
            index = self._plan.get(
                ("input", chunk),
                partial(box_index, tuple(inputs.shape[1:]), items[:, 0], items[:, 1], box_shape, ZERO_PAD),
            )
            replacement = read_cells(baseline_cells, index, items.shape[0], box_shape)
            if chunk == 0:  # the clean item leads the first chunk
                replacement = replacement.clone()
                replacement[:1] = read_cells(input_cells, index[: box_shape[0] * box_shape[1]], 1, box_shape)
            occluded = Region(inputs, replacement, items[:, 0], items[:, 1])
            result = self.network(occluded.materialise()) if interpreter is None else interpreter.run(occluded, chunk)
            if not outputs.numel():
                outputs = result.new_empty((boxes.shape[0], *result.shape[1:]), dtype=torch.float64)
            outputs[members] = result.double()
        return outputs[0], outputs[1:]

    def _chunks(self, boxes: Tensor, batch: int) -> list[Tensor]:
        """Item numbers of each chunk: item 0 first, then boxes in the same phase of the network's strides together.

        Every chunk computes the largest box any of its items needs, and boxes whose
        position has the same remainder modulo the network's total stride need boxes of
        the same size, so grouping them spares each chunk the others' larger boxes
        (about a fifth of the time on resnet-small at the paper's settings). An axis is
        grouped only while the groups still fill whole chunks: small chunks cost more.
        """
        rows_period, cols_period = self._stride_period()
        if (boxes.shape[0] - 1) < batch * rows_period:
            rows_period = 1
        if (boxes.shape[0] - 1) < batch * rows_period * cols_period:
            cols_period = 1
        phase = (boxes[1:, 0] % rows_period) * cols_period + boxes[1:, 1] % cols_period
        chunks: list[Tensor] = []
        for value in torch.unique(phase):
            members = torch.nonzero(phase == value).flatten() + 1
            chunks.extend(torch.split(members, batch))
        return [torch.cat([members.new_zeros(1), chunks[0]]), *chunks[1:]] if chunks else [boxes.new_zeros(1)]

    def _stride_period(self) -> tuple[int, int]:
        """The product of the strides of every sliding-window layer, per axis (1, 1 for an untraced network)."""
        period = [1, 1]
        for module in self.network.modules() if self.graph_module is not None else ():
            if isinstance(module, nn.Conv2d | nn.MaxPool2d):
                stride = pair(module.stride if module.stride is not None else module.kernel_size)
                period = [period[0] * stride[0], period[1] * stride[1]]
        return period[0], period[1]

    def _wide(self) -> dict[str, nn.Module]:
        """The modules in float64, for what runs on whole tensors after the regions (copied once)."""
        if self._wide_modules is None:
            self._wide_modules = dict(copy.deepcopy(self.graph_module).double().named_modules())
        return self._wide_modules


class _RegionInterpreter:
    """Walks the traced graph with regions where it can and whole tensors where it must."""

    def __init__(
        self,
        graph_module: fx.GraphModule,
        clean: dict[fx.Node, Any],
        wide_modules: dict[str, nn.Module],
        plan: Plan,
    ) -> None:
        self.graph_module = graph_module
        self.modules = dict(graph_module.named_modules())
        self.wide_modules = wide_modules
        self.clean = clean
        self.plan = plan
        #: convolution node -> (weight, bias, batch-norm node) with the batch norm folded in
        self.folded: dict[fx.Node, tuple[Tensor, Tensor, fx.Node]] = {}
        for node in graph_module.graph.nodes:
            folded = self._fold_batch_norm(node)
            if folded is not None:
                self.folded[node] = folded
        self.absorbed = {norm for _, _, norm in self.folded.values()}

    def _fold_batch_norm(self, node: fx.Node) -> tuple[Tensor, Tensor, fx.Node] | None:
        """A convolution whose only user is an eval-mode batch norm, as one convolution (one pass less per region)."""
        if node.op != "call_module" or not isinstance(self.modules[node.target], nn.Conv2d) or len(node.users) != 1:
            return None
        (user,) = node.users
        norm = self.modules.get(user.target) if user.op == "call_module" else None
        if not isinstance(norm, nn.BatchNorm2d) or norm.training or norm.running_var is None or user.args != (node,):
            return None
        conv = self.modules[node.target]
        scale = torch.rsqrt(norm.running_var + norm.eps)
        if norm.affine:
            scale = scale * norm.weight
        shift = norm.bias if norm.affine else torch.zeros_like(scale)
        bias = conv.bias if conv.bias is not None else torch.zeros_like(scale)
        return conv.weight * scale[:, None, None, None], (bias - norm.running_mean) * scale + shift, user

    def run(self, occluded: Region, chunk: int) -> Tensor:
        values: dict[fx.Node, Any] = {}
        for node in self.graph_module.graph.nodes:
            if node.op == "placeholder":
                values[node] = occluded
            elif node.op == "get_attr":
                values[node] = self.clean[node]
            elif node.op == "output":
                return _whole(fx.node.map_arg(node.args[0], lambda n: values[n]))
            else:
                args = fx.node.map_arg(node.args, lambda n: values[n])
                kwargs = fx.node.map_arg(node.kwargs, lambda n: values[n])
                values[node] = self._evaluate(node, args, kwargs, chunk)
        raise RuntimeError("traced graph has no output node")

    def _evaluate(self, node: fx.Node, args: tuple, kwargs: dict, chunk: int) -> Any:
        if any(isinstance(value, Region) for value in (*args, *kwargs.values())):
            handler = self._region_handler(node, args, kwargs, partial(self.plan.get, (chunk, node.name)))
            if handler is not None:
                return handler()
            args, kwargs = _whole(args), _whole(kwargs)
        return self._call(node, args, kwargs)

    def _region_handler(
        self, node: fx.Node, args: tuple, kwargs: dict, memo: region_layers.Memo
    ) -> Callable[[], Any] | None:
        """How to compute ``node`` on its region input, or None when it needs whole tensors."""
        clean = self.clean[node]
        first = args[0] if args else None
        only_first = isinstance(first, Region) and not any(
            isinstance(value, Region | Tensor) for value in (*args[1:], *kwargs.values())
        )
        if node.op == "call_module":
            module = self.modules[node.target]
            if not (only_first and supports_region(module)):
                return None
            if node in self.absorbed:
                return lambda: first  # its convolution applied it already
            if node in self.folded:
                weight, bias, norm = self.folded[node]
                return lambda: region_layers.convolve(module, first, self.clean[norm], weight, bias, memo)
            if isinstance(module, nn.Conv2d):
                return lambda: region_layers.convolve(module, first, clean, module.weight, module.bias, memo)
            if isinstance(module, nn.MaxPool2d):
                return lambda: region_layers.max_pool(module, first, clean, memo)
            if isinstance(module, nn.AdaptiveAvgPool2d):
                return lambda: region_layers.global_average(first, clean, memo)
            if isinstance(module, nn.ReLU):
                return lambda: region_layers.rectify(first, clean)
            return lambda: Region(clean, module(first.data), first.rows, first.cols)
        if node.op == "call_function":
            if node.target in ADDITIONS and len(args) == 2 and not kwargs:
                if all(isinstance(value, Region) for value in args):
                    return lambda: region_layers.add(args[0], args[1], clean, memo)
                if only_first and isinstance(args[1], int | float):
                    return lambda: Region(clean, first.data + args[1], first.rows, first.cols)
            if node.target in ELEMENTWISE_FUNCTIONS and only_first:
                return lambda: Region(clean, node.target(first.data, *args[1:], **kwargs), first.rows, first.cols)
            return None
        if node.op == "call_method" and node.target in ELEMENTWISE_METHODS and only_first:
            return lambda: Region(clean, getattr(first.data, node.target)(*args[1:], **kwargs), first.rows, first.cols)
        return None

    def _call(self, node: fx.Node, args: tuple, kwargs: dict) -> Any:
        """Evaluate a node on whole tensors, in float64 (they all descend from pooled or materialised regions)."""
        args, kwargs = _widen(args), _widen(kwargs)
        if node.op == "call_module":
            return self.wide_modules[node.target](*args, **kwargs)
        if node.op == "call_function":
            return node.target(*args, **kwargs)
        if node.op == "call_method":
            receiver, *rest = args
            return getattr(receiver, node.target)(*rest, **kwargs)
        raise RuntimeError(f"unexpected graph node {node.op}")


def _widen(value: Any) -> Any:
    """``value`` with every floating-point tensor in float64."""
    if isinstance(value, Tensor):
        return value.double() if value.is_floating_point() else value
    if isinstance(value, tuple | list):
        return type(value)(_widen(item) for item in value)
    if isinstance(value, dict):
        return {key: _widen(item) for key, item in value.items()}
    return value


def _whole(value: Any) -> Any:
    """``value`` with every region replaced by the whole tensors it stands for."""
    if isinstance(value, Region):
        return value.materialise()
    if isinstance(value, tuple | list):
        return type(value)(_whole(item) for item in value)
    if isinstance(value, dict):
        return {key: _whole(item) for key, item in value.items()}
    return value
