"""Equivalence is the proof: randomly initialised transformers CNNs (no download), imported from their ONNX export
and from the module itself, compute the original's outputs in graft, have its parameter count, and export back
to ONNX and to Python code with the same outputs."""
from __future__ import annotations

import hashlib
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from graft.engine.compile import compile_network
from graft.ops.export_onnx import max_abs_diff, write_onnx
from graft.ops.export_python import python_source
from graft.ops.import_model import IMAGENET, import_model
from graft.ops.import_onnx import onnx_to_graft
from graft.ops.import_torch import from_torch
from graft.spec.analyze import analyze
from graft.store import Workspace

transformers = pytest.importorskip("transformers")

TOLERANCE = 1e-4
SHAPE = (3, 64, 64)


class Logits(nn.Module):
    """transformers' models return a ModelOutput; exporters want a tensor."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x).logits


class SqueezeExcite(nn.Module):
    """MobileNetV3's block (not in transformers): depthwise conv, hard swish, x * hardsigmoid(fc(pool(x)))."""

    def __init__(self, c: int = 16):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, c, 3, 2, 1, bias=False), nn.BatchNorm2d(c), nn.Hardswish())
        self.dw = nn.Sequential(nn.Conv2d(c, c, 3, 1, 1, groups=c, bias=False), nn.BatchNorm2d(c), nn.ReLU6())
        self.se = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(c, 4, 1), nn.ReLU(), nn.Conv2d(4, c, 1),
                                nn.Hardsigmoid())
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, 10))

    def forward(self, x):
        x = self.stem(x)
        x = self.dw(x)
        return self.head(x * self.se(x))


def randomize(model: nn.Module) -> nn.Module:
    """Weights and batch-norm statistics of ordinary size (the configs' 0.02-std init gives ~0 logits, which
    would prove nothing), seeded."""
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * (2 / m.weight[0].numel()) ** 0.5)
                if m.bias is not None:
                    m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
            elif isinstance(m, nn.BatchNorm2d):
                for t in (m.weight, m.running_var):
                    t.copy_(torch.rand(t.shape, generator=g) + 0.5)
                for t in (m.bias, m.running_mean):
                    t.copy_(torch.randn(t.shape, generator=g) * 0.1)
            elif isinstance(m, nn.LayerNorm) and m.weight is not None:
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
        for name, p in model.named_parameters():   # ConvNeXt's layer scale starts at 1e-6: its blocks would vanish
            if name.endswith("layer_scale_parameter"):
                p.copy_(torch.rand(p.shape, generator=g) * 0.5 + 0.25)
    return model.eval()


def _models() -> dict[str, nn.Module]:
    t = transformers
    models = {
        # ResNet-50's layout: bottleneck blocks, a stride-1 projection (8 -> 16 channels), strided 1x1 projections
        # and identity shortcuts (depth 2)
        "resnet50-like": Logits(t.ResNetForImageClassification(t.ResNetConfig(
            embedding_size=8, hidden_sizes=[16, 32, 48, 64], depths=[2, 1, 2, 1], layer_type="bottleneck",
            num_labels=10))),
        "resnet18-like": Logits(t.ResNetForImageClassification(t.ResNetConfig(
            embedding_size=8, hidden_sizes=[8, 16, 24, 32], depths=[2, 1, 1, 1], layer_type="basic",
            num_labels=10))),
        "squeeze-excite": SqueezeExcite(),
    }
    if hasattr(t, "MobileNetV2Config"):   # inverted residuals, depthwise convs, ReLU6, TF-style padding
        models["mobilenetv2"] = Logits(t.MobileNetV2ForImageClassification(t.MobileNetV2Config(
            depth_multiplier=0.25, image_size=SHAPE[1], num_labels=10)))
    return {name: randomize(m) for name, m in models.items()}


MODELS = _models()
BATCH = torch.randn(8, *SHAPE, generator=torch.Generator().manual_seed(1))


def scale(model) -> float:
    with torch.no_grad():
        return float(model(BATCH).abs().max())


def bn_channels(model: nn.Module) -> int:
    return sum(m.num_features for m in model.modules() if isinstance(m, nn.BatchNorm2d))


def export_legacy(model, path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (BATCH[:2],), str(path), dynamo=False, opset_version=17,
                          input_names=["pixel_values"], dynamic_axes={"pixel_values": {0: "batch"}})


def compiled(doc: dict, weights: dict) -> nn.Module:
    module = compile_network(doc).eval()
    module.load_state_dict({k: torch.as_tensor(np.asarray(v)) for k, v in weights.items()}, strict=True)
    return module


def graft_diff(module, model) -> float:
    with torch.no_grad():
        return float((module(BATCH) - model(BATCH)).abs().max())


def assert_exports_back(doc, module, model, tmp_path) -> None:
    """graft's own exports of the imported network: ONNX through onnxruntime, Python source run as plain torch."""
    write_onnx(module, BATCH[:2], tmp_path / "back.onnx", {})
    assert max_abs_diff(tmp_path / "back.onnx", module, BATCH) <= TOLERANCE
    namespace: dict = {"__name__": "exported"}
    exec(compile(python_source(doc), "exported.py", "exec"), namespace)
    code = namespace["Model"]().eval()
    code.load_state_dict(module.state_dict(), strict=True)
    assert graft_diff(code, model) <= TOLERANCE


@pytest.mark.parametrize("name", list(MODELS))
def test_onnx_import_computes_the_original(name, tmp_path):
    model = MODELS[name]
    export_legacy(model, tmp_path / "model.onnx")
    doc, weights, info = onnx_to_graft(tmp_path / "model.onnx")
    module = compiled(doc, weights)
    diff = graft_diff(module, model)
    print(f"\n{name} from ONNX (legacy exporter): max abs diff {diff:.3g} (outputs up to {scale(model):.3g})")
    assert diff <= TOLERANCE
    # the exporter folds every batch norm into the conv before it: 2 numbers per channel become 1 (the bias)
    original = sum(p.numel() for p in model.parameters())
    assert analyze(doc).total_params == info["source_params"] == original - bn_channels(model)
    assert info["input_shape"] == list(SHAPE)
    assert_exports_back(doc, module, model, tmp_path)


@pytest.mark.parametrize("name", list(MODELS))
def test_torch_import_computes_the_original_and_exports_back(name, tmp_path):
    model = MODELS[name]
    doc, weights, info = from_torch(model, BATCH[:2], name=name)
    module = compiled(doc, weights)
    diff = graft_diff(module, model)
    print(f"\n{name} from the module (torch.export): max abs diff {diff:.3g} (outputs up to {scale(model):.3g})")
    assert diff <= TOLERANCE
    assert analyze(doc).total_params == sum(p.numel() for p in model.parameters()) == info["source_params"]
    assert_exports_back(doc, module, model, tmp_path)


def test_node_ids_follow_the_module_hierarchy():
    doc, _, _ = from_torch(MODELS["resnet50-like"], BATCH[:2])
    ids = [n["id"] for n in doc["nodes"]]
    assert "model_resnet_embedder_embedder_convolution" in ids
    assert any(i.startswith("model_resnet_encoder_stages_1_layers_0_shortcut") for i in ids)
    assert doc["nodes"][-1]["type"] == "Linear"


@pytest.mark.parametrize("name", ["resnet18-like"])
def test_dynamo_exported_onnx_imports(name, tmp_path):
    model = MODELS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (BATCH[:2],), str(tmp_path / "d.onnx"), dynamo=True, opset_version=18)
    doc, weights, _ = onnx_to_graft(tmp_path / "d.onnx")
    assert graft_diff(compiled(doc, weights), model) <= TOLERANCE


def test_import_model_registers_weights_preprocessing_and_provenance(tmp_path):
    ws = Workspace(tmp_path / "ws")
    model = MODELS["resnet18-like"]
    export_legacy(model, tmp_path / "r18.onnx")
    rec = import_model(ws, tmp_path / "r18.onnx", "r18-onnx")
    assert rec["kind"] == "model" and rec["input_shape"] == list(SHAPE) and rec["output_shape"] == [10]
    prov = rec["hparams"]["provenance"]
    assert prov["sha256"] == hashlib.sha256((tmp_path / "r18.onnx").read_bytes()).hexdigest()
    assert rec["hparams"]["preprocessing"]["channels"] == 3
    from graft.ops import load_model
    _, _, loaded = load_model(ws, rec["id"])
    assert graft_diff(loaded.float().eval(), model) <= TOLERANCE
    from_module = import_model(ws, model.model, "r18-torch", example_input=BATCH[:2])
    assert from_module["hparams"]["preprocessing"]["mean"] == IMAGENET["mean"]
    assert "transformers ResNetForImageClassification" in from_module["hparams"]["provenance"]["source"]
    from graft.ops.package import model_card
    assert model_card(ws, rec["id"])["hparams"]["provenance"]["file"] == "r18.onnx"
