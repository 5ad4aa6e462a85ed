"""Recognisable patterns import as one node: LayerNorm (opset 17's LayerNormalization and the decomposition
older opsets write), GELU (its erf and tanh decompositions below opset 20), and a channels-first LayerNorm
(Permute, LayerNorm, Permute, or the mean/variance arithmetic over the channels) from both importers."""
from __future__ import annotations

import warnings
from collections import Counter

import pytest
import torch
from torch import nn

from graft.engine.compile import compile_network
from graft.ops.import_graph import ImportFailed
from graft.ops.import_onnx import onnx_to_graft
from graft.ops.import_torch import from_torch
from graft.spec.analyze import analyze

X = torch.randn(4, 6, 5, 5, generator=torch.Generator().manual_seed(0))


class ChannelsLastBlock(nn.Module):
    """ConvNeXt's block tail: permute, LayerNorm, Linear, GELU, layer scale, permute back; then a GELU (tanh)."""

    def __init__(self, c: int = 6):
        super().__init__()
        self.norm, self.fc = nn.LayerNorm(c, eps=1e-6), nn.Linear(c, c)
        self.gamma = nn.Parameter(torch.randn(c))
        self.act, self.act2 = nn.GELU(), nn.GELU(approximate="tanh")

    def forward(self, x):
        y = self.gamma * self.act(self.fc(self.norm(x.permute(0, 2, 3, 1))))
        return self.act2(x + y.permute(0, 3, 1, 2))


class ManualChannelNorm(nn.Module):
    """The original ConvNeXt / timm LayerNorm2d arithmetic over the channels of (N, C, H, W)."""

    def __init__(self, c: int = 6):
        super().__init__()
        self.weight, self.bias = nn.Parameter(torch.randn(c)), nn.Parameter(torch.randn(c))

    def forward(self, x):
        u = x.mean(1, keepdim=True)
        s = (x - u).pow(2).mean(1, keepdim=True)
        x = (x - u) / torch.sqrt(s + 1e-6)
        return self.weight[:, None, None] * x + self.bias[:, None, None]


def export(model, path, opset):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model.eval(), (X[:2],), str(path), dynamo=False, opset_version=opset,
                          dynamic_axes={"input": {0: "batch"}}, input_names=["input"])


def run(doc, weights):
    module = compile_network(doc).eval()
    module.load_state_dict({k: torch.as_tensor(v) for k, v in weights.items()}, strict=True)
    with torch.no_grad():
        return module(X)


@pytest.mark.parametrize("opset", [13, 16, 17])
def test_layer_norm_and_gelu_import_as_one_node_each(opset, tmp_path):
    model = ChannelsLastBlock().eval()
    export(model, tmp_path / "m.onnx", opset)
    doc, weights, info = onnx_to_graft(tmp_path / "m.onnx")
    kinds = Counter(n["type"] for n in doc["nodes"])
    assert kinds == {"Permute": 2, "LayerNorm": 1, "Linear": 1, "GELU": 2, "Scale": 1, "Add": 1}
    assert {n["params"]["approximate"] for n in doc["nodes"] if n["type"] == "GELU"} == {"none", "tanh"}
    assert info["fused"].get("Gelu") == 2 and info["fused"].get("LayerNormalization", 0) == (opset < 17)
    with torch.no_grad():
        assert float((run(doc, weights) - model(X)).abs().max()) <= 1e-5
    assert analyze(doc).total_params == sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("source", ["torch", "onnx"])
def test_a_channels_first_layer_norm_is_one_node_over_the_channels(source, tmp_path):
    from transformers.models.convnext.modeling_convnext import ConvNextLayerNorm
    models = [ConvNextLayerNorm(6, eps=1e-6, data_format="channels_first")]
    if source == "onnx":   # torch.export keeps the arithmetic as ATen ops; the ONNX importer fuses its pattern
        models.append(ManualChannelNorm())
    for model in models:
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(torch.randn(p.shape))
        model.eval()
        if source == "torch":
            doc, weights, _ = from_torch(model, X[:2])
        else:
            export(model, tmp_path / "n.onnx", 13)
            doc, weights, _ = onnx_to_graft(tmp_path / "n.onnx")
        assert [(n["type"], n["params"]["dim"]) for n in doc["nodes"]] == [("LayerNorm", 0)], doc["nodes"]
        assert sorted(weights) == [f"{doc['nodes'][0]['id']}.bias", f"{doc['nodes'][0]['id']}.weight"]
        with torch.no_grad():
            assert float((run(doc, weights) - model(X)).abs().max()) <= 1e-5


class LeakyGelu(nn.Module):
    """A GELU whose inner erf value is also used elsewhere: not a pattern graft may fuse."""

    def forward(self, x):
        e = torch.erf(x / 2 ** 0.5)
        return 0.5 * x * (1 + e) + e


def test_a_pattern_whose_inner_value_escapes_is_not_fused(tmp_path):
    export(LeakyGelu(), tmp_path / "g.onnx", 17)
    with pytest.raises(ImportFailed, match=r"op type (Div|Erf) is not supported"):
        onnx_to_graft(tmp_path / "g.onnx")
