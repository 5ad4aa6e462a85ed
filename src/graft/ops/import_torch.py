"""Any nn.Module as a graft network document: torch.export's graph of ATen ops, each mapped to a graft layer,
with the weights taken from the module's state dict. Node ids follow the module hierarchy (`layer1_0_conv1`)."""
from __future__ import annotations

import operator
from typing import Any, Callable

import numpy as np

from . import torch_vit
from .cancel import check
from .import_graph import (GraphBuilder, ImportFailed, batch_norm, conv, fuse_moved_norms, layer_norm, linear,
                           reshape, scale)

ALIASES = {"dropout", "dropout_", "alias", "clone", "contiguous", "detach", "detach_", "identity", "feature_dropout"}
SKIP = {"_assert_tensor_metadata", "_assert_scalar", "sym_size", "sym_constrain_range_for_size"}


def _pair(v, n: int = 2) -> list[int]:
    v = list(v) if isinstance(v, (list, tuple)) else [v]
    return [int(x) for x in (v * n if len(v) == 1 else v)]


class _Torch:
    def __init__(self, b: GraphBuilder, batch: int):
        self.b, self.batch = b, batch
        self.values: dict[Any, Any] = {}
        self.where = self.hint = ""

    def fail(self, problem: str) -> ImportFailed:
        return self.b.fail(self.where, problem)

    def value(self, arg):
        import torch.fx
        if isinstance(arg, torch.fx.Node):
            return self.values[arg]
        if isinstance(arg, (list, tuple)):
            return type(arg)(self.value(a) for a in arg)
        return arg

    def tensor(self, arg) -> str:
        v = self.value(arg)
        if not isinstance(v, str):
            raise self.fail(f"expects a tensor computed from the input, found a constant {type(v).__name__}")
        return v

    def array(self, arg, what: str) -> np.ndarray | None:
        v = self.value(arg)
        if v is None:
            return None
        if isinstance(v, str):
            raise self.fail(f"its {what} must be a parameter or buffer, not computed from the input")
        return v.detach().cpu().numpy()

    def add(self, layer_type: str, params: dict, inputs: list[str], weights: dict | None = None) -> str:
        return self.b.add(self.where, layer_type, params, inputs, weights, hint=self.hint)


def _conv(t: _Torch, x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    w = t.array(weight, "weight")
    if w.ndim != 4:
        raise t.fail(f"only 2-D convolutions are supported (weight of shape {list(w.shape)})")
    if isinstance(padding, str):
        if padding != "valid":
            raise t.fail(f"padding {padding!r} is not supported; give it as numbers")
        padding = 0
    top, left = _pair(padding)
    return conv(t.b, t.where, t.tensor(x), w, t.array(bias, "bias"), _pair(stride), (top, left, top, left),
                _pair(dilation), int(groups), t.hint)


def _convolution(t, x, weight, bias, stride, padding, dilation, transposed, output_padding, groups):
    if transposed:
        raise t.fail("transposed convolutions are not supported by the importer yet")
    return _conv(t, x, weight, bias, stride, padding, dilation, groups)


def _batch_norm(t, x, weight, bias, mean, var, training=False, momentum=0.1, eps=1e-5, *rest):
    if training is True:
        raise t.fail("batch normalisation in training mode: put the module in eval mode first")
    return batch_norm(t.b, t.where, t.tensor(x), t.array(weight, "weight"), t.array(bias, "bias"),
                      t.array(mean, "running mean"), t.array(var, "running variance"), float(eps), t.tracked,
                      hint=t.hint)


def _bn_no_training(t, x, weight, bias, mean, var, momentum, eps):
    return (_batch_norm(t, x, weight, bias, mean, var, False, momentum, eps), None, None)


def _elementwise(layer_type: str) -> Callable:
    return lambda t, x, *rest: t.add(layer_type, {}, [t.tensor(x)])


def _hardtanh(t, x, lo=-1.0, hi=1.0):
    if (float(lo), float(hi)) != (0.0, 6.0):
        raise t.fail(f"hardtanh to [{lo}, {hi}] is not supported: graft has ReLU6 (0, 6)")
    return t.add("ReLU6", {}, [t.tensor(x)])


def _gelu(t, x, approximate="none"):
    return t.add("GELU", {"approximate": approximate}, [t.tensor(x)])


def _leaky(t, x, slope=0.01):
    return t.add("LeakyReLU", {"negative_slope": float(slope)}, [t.tensor(x)])


def _merge(layer_type: str) -> Callable:
    def handler(t, a, b, alpha=1):
        if alpha != 1 or not all(isinstance(t.value(v), str) for v in (a, b)):
            raise t.fail(f"{layer_type} of a constant or with alpha {alpha} is not supported (two computed tensors "
                         "are)")
        return t.add(layer_type, {}, [t.tensor(a), t.tensor(b)])
    return handler


def _max_pool(t, x, kernel, stride=(), padding=0, dilation=1, ceil_mode=False):
    k = _pair(kernel)
    return t.add("MaxPool2d", {"kernel_size": k, "stride": _pair(stride) if stride else k, "padding": _pair(padding),
                               "dilation": _pair(dilation), "ceil_mode": bool(ceil_mode)}, [t.tensor(x)])


def _avg_pool(t, x, kernel, stride=(), padding=0, ceil_mode=False, count_include_pad=True, divisor=None):
    if divisor is not None:
        raise t.fail("avg_pool2d with divisor_override is not supported")
    k = _pair(kernel)
    return t.add("AvgPool2d", {"kernel_size": k, "stride": _pair(stride) if stride else k, "padding": _pair(padding),
                               "ceil_mode": bool(ceil_mode), "count_include_pad": bool(count_include_pad)},
                 [t.tensor(x)])


def _adaptive_avg(t, x, size):
    return t.add("AdaptiveAvgPool2d", {"output_size": _pair(size)}, [t.tensor(x)])


def _mean(t, x, dims, keepdim=False, dtype=None):
    ref = t.tensor(x)
    rank = len(t.b.shapes[ref]) + 1
    if rank != 4 or sorted(d % rank for d in dims) != [2, 3]:
        raise t.fail(f"mean over dims {list(dims)} of a rank-{rank} tensor: graft supports the mean over height "
                     "and width")
    out = t.add("AdaptiveAvgPool2d", {"output_size": 1}, [ref])
    return out if keepdim else t.b.add(t.where, "Flatten", {}, [out], hint=t.hint + "_flat")


def _flatten(t, x, start=0, end=-1):
    ref = t.tensor(x)
    if start != 1 or end not in (-1, len(t.b.shapes[ref])):
        raise t.fail(f"flatten({start}, {end}): graft flattens everything but the batch (1, -1)")
    return reshape(t.b, t.where, ref, (-1,), t.hint)


def _view(t, x, *shape):
    out = tuple(int(n) for n in t.out_shape)
    if not out or out[0] != t.batch:
        raise t.fail(f"reshape to {list(out)} would mix the batch with the other dimensions")
    return reshape(t.b, t.where, t.tensor(x), out[1:], t.hint)


def _linear(t, x, weight, bias=None):
    return linear(t.b, t.where, t.tensor(x), t.array(weight, "weight"), t.array(bias, "bias"), t.hint)


def _mul(t, a, b):
    va, vb = t.value(a), t.value(b)
    if isinstance(va, str) and isinstance(vb, str):
        return t.add("Mul", {}, [va, vb])
    x, factor = (va, vb) if isinstance(va, str) else (vb, va)
    if not isinstance(x, str) or not hasattr(factor, "detach"):
        raise t.fail("mul of two constants, or by a Python number, is not supported (graft multiplies computed "
                     "tensors, or scales one by a learned factor per channel)")
    out = scale(t.b, t.where, x, factor.detach().cpu().numpy(), t.hint)
    if out is None:
        raise t.fail(f"mul by a tensor of shape {list(factor.shape)}: graft supports a learned factor along one "
                     f"dimension (Scale) of the input of shape {list(t.b.shapes[x])}")
    return out


def _layer_norm(t, x, normalized_shape, weight=None, bias=None, eps=1e-5, *rest):
    ref = t.tensor(x)
    n = len(normalized_shape)
    rank = len(t.b.shapes[ref])
    return layer_norm(t.b, t.where, ref, list(range(rank - n, rank)), t.array(weight, "weight"),
                      t.array(bias, "bias"), float(eps), t.hint)


def _native_layer_norm(t, x, normalized_shape, weight, bias, eps):
    return (_layer_norm(t, x, normalized_shape, weight, bias, eps), None, None)


def _permute(t, x, dims):
    ref = t.tensor(x)
    rank = len(t.b.shapes[ref]) + 1
    dims = [int(d) % rank for d in dims]
    if dims[0] != 0:
        raise t.fail(f"permute {dims} moves the batch dimension; graft permutes the other dimensions")
    return t.add("Permute", {"dims": [d - 1 for d in dims[1:]]}, [ref])


def _transpose(t, x, d0, d1):
    rank = len(t.b.shapes[t.tensor(x)]) + 1
    dims = list(range(rank))
    dims[int(d0) % rank], dims[int(d1) % rank] = dims[int(d1) % rank], dims[int(d0) % rank]
    return _permute(t, x, dims)


def _pad(t, x, pad, mode="constant", value=None):
    pad = [int(p) for p in pad]
    if mode != "constant" or len(pad) not in (2, 4) or min(pad) < 0:
        raise t.fail(f"pad {pad} (mode {mode}): graft pads height and width with a constant")
    return t.add("Pad2d", {"padding": (pad + [0, 0])[:4], "value": float(value or 0.0)}, [t.tensor(x)])


def _cat(t, xs, dim=0):
    refs = [t.tensor(x) for x in xs]
    d = dim % (len(t.b.shapes[refs[0]]) + 1)
    if d == 0:
        raise t.fail("cat along the batch is not supported")
    return t.add("Concat", {"dim": d - 1}, refs)


HANDLERS: dict[str, Callable] = {
    "conv2d": _conv, "convolution": _convolution, "batch_norm": _batch_norm,
    "_native_batch_norm_legit_no_training": _bn_no_training,
    "relu": _elementwise("ReLU"), "relu_": _elementwise("ReLU"), "hardtanh": _hardtanh, "hardtanh_": _hardtanh,
    "relu6": _elementwise("ReLU6"), "hardswish": _elementwise("Hardswish"), "hardswish_": _elementwise("Hardswish"),
    "hardsigmoid": _elementwise("Hardsigmoid"), "hardsigmoid_": _elementwise("Hardsigmoid"),
    "sigmoid": _elementwise("Sigmoid"), "sigmoid_": _elementwise("Sigmoid"), "silu": _elementwise("SiLU"),
    "silu_": _elementwise("SiLU"), "tanh": _elementwise("Tanh"), "gelu": _gelu, "leaky_relu": _leaky,
    "add": _merge("Add"), "add_": _merge("Add"), "mul": _mul, "mul_": _mul,
    "layer_norm": _layer_norm, "native_layer_norm": _native_layer_norm, "permute": _permute,
    "transpose": _transpose,
    "max_pool2d": _max_pool, "avg_pool2d": _avg_pool, "adaptive_avg_pool2d": _adaptive_avg, "mean": _mean,
    "flatten": _flatten, "view": _view, "reshape": _view, "_unsafe_view": _view, "linear": _linear,
    "pad": _pad, "constant_pad_nd": _pad, "cat": _cat,
}
HANDLERS = {**HANDLERS, **torch_vit.handlers(HANDLERS)}


def _op_name(target) -> str:
    if target is operator.getitem:
        return "getitem"
    return getattr(target, "_opname", getattr(target, "__name__", str(target)))


def _hint(node) -> str:
    stack = node.meta.get("nn_module_stack") or {}
    return list(stack.values())[-1][0] if stack else node.name


def _group(node) -> str | None:
    """The module path the ATen node ran in (`resnet.encoder.stages.0.layers.1`), None at the top level."""
    stack = node.meta.get("nn_module_stack") or {}
    return list(stack.values())[-1][0] if stack else None


def from_torch(module, example_input, name: str | None = None, should_stop=None
               ) -> tuple[dict, dict[str, np.ndarray], dict]:
    """(network document, {node-scoped state-dict key: array}, info) for `module` run on `example_input`
    (a batch: [N, *input_shape]). The module is exported in eval mode and left in the mode it was in."""
    import torch

    source = name or type(module).__name__
    x = example_input
    if not isinstance(x, torch.Tensor) or x.dim() < 2:
        raise ImportFailed(f"{source}: example_input must be a batch tensor [N, *input_shape]")
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            ep = torch.export.export(module, (x,))
    except Exception as e:   # torch.export names the Python construct it cannot capture
        raise ImportFailed(f"{source}: torch.export cannot capture this module: {str(e).splitlines()[0]}") from e
    finally:
        module.train(was_training)
    state = {**module.state_dict(), **ep.constants}
    sig = ep.graph_signature
    named = {**sig.inputs_to_parameters, **sig.inputs_to_buffers, **sig.inputs_to_lifted_tensor_constants}
    b = GraphBuilder(source, name or source, tuple(x.shape[1:]))
    t = _Torch(b, int(x.shape[0]))
    outputs: list[str] = []
    mapped: dict[str, int] = {}
    fused, inside = torch_vit.find(ep.graph, set(named), _op_name)
    for node in ep.graph.nodes:
        check(should_stop)
        if node.op == "placeholder":
            if node.name in named:
                t.values[node] = state[named[node.name]]
            elif node.name in sig.user_inputs and node.name == sig.user_inputs[0]:
                t.values[node] = "input"
            else:
                raise ImportFailed(f"{source}: graft imports modules with one tensor input; {node.name} is another")
            continue
        if node.op == "output":
            outputs = [t.tensor(o) for o in node.args[0] if o is not None]
            continue
        op = _op_name(node.target)
        t.where, t.hint = f"{node.name} ({op})", _hint(node)
        b.group = _group(node)
        if op in SKIP or node in inside:
            continue
        if node in fused:
            t.values[node] = torch_vit.attention(t, fused[node])
            mapped["attention"] = mapped.get("attention", 0) + 1
            continue
        if op == "getitem":
            t.values[node] = t.value(node.args[0])[node.args[1]]
            continue
        if op in ALIASES:
            t.values[node] = t.value(node.args[0])
            continue
        if not _computed(t, (node.args, node.kwargs)):   # arithmetic on constants (masks, index tables)
            t.values[node] = node.target(*t.value(node.args), **{k: t.value(v) for k, v in node.kwargs.items()})
            continue
        handler = HANDLERS.get(op)
        if handler is None:
            raise ImportFailed(f"{source}: node {t.where}: the ATen op {op} is not supported; graft imports "
                               f"{', '.join(sorted(HANDLERS | dict.fromkeys(ALIASES)))}")
        val = node.meta.get("val")
        t.out_shape = tuple(val.shape) if hasattr(val, "shape") else ()
        t.tracked = _tracked(state, named, node)
        t.fx_node = node
        t.values[node] = handler(t, *node.args, **node.kwargs)
        mapped[op] = mapped.get(op, 0) + 1
    outputs = fuse_moved_norms(b, outputs)
    doc = b.document(outputs, f"imported from the torch module {type(module).__name__}")
    params = sum(p.numel() for p in module.parameters())
    info = {"format": "torch", "module": type(module).__name__, "input_shape": list(x.shape[1:]),
            "aten_nodes": len(ep.graph.nodes), "mapped": mapped, "source_params": int(params)}
    return doc, b.weights, info


def _computed(t: _Torch, args) -> bool:
    """Whether any argument is computed from the input (else the node is arithmetic on constants)."""
    if isinstance(args, (list, tuple)):
        return any(_computed(t, a) for a in args)
    if isinstance(args, dict):
        return any(_computed(t, a) for a in args.values())
    import torch.fx
    return isinstance(args, torch.fx.Node) and isinstance(t.values.get(args), str)


def _tracked(state: dict, named: dict, node) -> Any:
    """A batch norm's num_batches_tracked, found beside its running_mean in the state dict (0 if none)."""
    import torch.fx
    for arg in node.args:
        key = named.get(arg.name) if isinstance(arg, torch.fx.Node) else None
        if key and key.endswith("running_mean"):
            return state.get(key[: -len("running_mean")] + "num_batches_tracked", 0)
    return 0
