"""The checks every layer type passes, shared by the registry harness (test_layers) and the toy layer test."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from graft.engine.compile import compile_network
from graft.engine.recipes import build
from graft.ops.export_onnx import max_abs_diff, write_onnx
from graft.ops.export_python import python_source
from graft.spec.registry import REGISTRY


def shapes_and_params(layer_type: str, params: dict, shapes: list[tuple[int, ...]]):
    """(inferred shape, torch's output shape, counted parameters, torch's parameters) for one layer."""
    layer = REGISTRY[layer_type]
    p = layer.parse(params)
    inferred = tuple(layer.infer(p, list(shapes)))
    module = build(layer.recipe(p, list(shapes)))
    module.train()   # BatchNorm in training mode, the stricter of the two
    with torch.no_grad():
        out = module(*(torch.randn(2, *s) for s in shapes))
    counted = sum(t.numel() for t in module.parameters())
    return inferred, tuple(out.shape[1:]), layer.param_count(p, list(shapes)), counted


def one_node(layer_type: str, params: dict, shape: tuple[int, ...], ports: int = 1) -> dict:
    """A network of one node of this type; the input feeds each of its ports."""
    return {"name": "one", "input": {"shape": list(shape)},
            "nodes": [{"id": "n", "type": layer_type, "params": params, "inputs": ["input"] * ports}]}


def trained_like(doc: dict) -> torch.nn.Module:
    """The compiled network in eval mode, with BatchNorm statistics that are not the identity."""
    torch.manual_seed(0)
    module = compile_network(doc).float()
    with torch.no_grad():
        for name, buf in module.named_buffers():
            if name.endswith(("running_mean", "running_var")):
                buf.copy_(torch.rand_like(buf) + 0.5)
    return module.eval()


def onnx_diff(doc: dict, tmp_path, x: torch.Tensor) -> float:
    module = trained_like(doc)
    write_onnx(module, x[:2], tmp_path / "net.onnx", {})
    return max_abs_diff(tmp_path / "net.onnx", module, x)


def python_diff(doc: dict, x: torch.Tensor) -> float:
    """Run the exported source with graft's weights; the largest difference from graft's own output."""
    module = trained_like(doc)
    namespace: dict = {"__name__": "exported"}
    exec(compile(python_source(doc), "exported.py", "exec"), namespace)
    model = namespace["Model"]().eval()
    model.load_state_dict(module.state_dict(), strict=True)
    with torch.no_grad():
        return float((model(x) - module(x)).abs().max())


@pytest.fixture(scope="session")
def layer_checks() -> SimpleNamespace:
    return SimpleNamespace(shapes_and_params=shapes_and_params, one_node=one_node, onnx_diff=onnx_diff,
                           python_diff=python_diff)
