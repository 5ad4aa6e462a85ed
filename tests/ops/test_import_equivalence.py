"""Equivalence at the issue's sizes: randomly initialised transformers ResNet-50, ConvNeXt-Tiny and MobileNetV2
(their configs' defaults, 1000 classes; no download), each imported from the module (torch.export) and from its
ONNX export (torch's legacy exporter, opset 17), give the original's outputs on the same batch, have its
parameter count, and export back to ONNX (onnxruntime) and to Python code with the same outputs.

Each model is built and exported to ONNX once (module-scoped fixture); inputs are 64x64, batch 2."""
from __future__ import annotations

import time

import pytest
import torch
from torch import nn

from graft.ops.import_onnx import onnx_to_graft
from graft.ops.import_torch import from_torch
from graft.spec.analyze import analyze
from tests.ops.test_import_model import Logits, assert_exports_back, bn_channels, compiled, randomize

transformers = pytest.importorskip("transformers")

TOLERANCE = 1e-4
BATCH = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
FAMILIES = {
    "resnet50": lambda t: t.ResNetForImageClassification(t.ResNetConfig(num_labels=1000)),
    "convnext-tiny": lambda t: t.ConvNextForImageClassification(t.ConvNextConfig(num_labels=1000)),
    "mobilenetv2": lambda t: t.MobileNetV2ForImageClassification(t.MobileNetV2Config(num_labels=1000)),
}
# what the importers must express in one node each (not as primitives)
KINDS = {"resnet50": {"Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d", "Add", "AdaptiveAvgPool2d", "Linear"},
         "convnext-tiny": {"Conv2d", "LayerNorm", "Permute", "Linear", "GELU", "Scale", "Add"},
         "mobilenetv2": {"Conv2d", "BatchNorm2d", "ReLU6", "Pad2d", "Add", "Linear"}}


def calibrated(model: nn.Module) -> nn.Module:
    """randomize()'s values, with batch-norm statistics measured on a batch and scales in [0.25, 0.75]: at
    ResNet-50's depth random statistics compound into outputs of 1e4, and scales above 1 amplify rounding so much
    that onnxruntime and torch disagree by 3e-4 on the same file; these keep outputs of order one and rounding
    small, as a trained network's are."""
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None   # a cumulative average: the statistics of the calibration batch
    model.train()
    with torch.no_grad():
        model(torch.randn(8, 3, 64, 64, generator=torch.Generator().manual_seed(2)))
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for m in norms:
            m.momentum = 0.1
            m.weight.copy_(torch.rand(m.weight.shape, generator=g) * 0.5 + 0.25)
    return model.eval()


def diff(module, want) -> float:
    with torch.no_grad():
        return float((module(BATCH) - want).abs().max())


@pytest.fixture(scope="module", params=list(FAMILIES))
def family(request, tmp_path_factory):
    name = request.param
    start = time.perf_counter()
    model = calibrated(Logits(randomize(FAMILIES[name](transformers))))
    with torch.no_grad():
        want = model(BATCH)
    folder = tmp_path_factory.mktemp(name)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (BATCH,), str(folder / "model.onnx"), dynamo=False, opset_version=17,
                          input_names=["pixel_values"], dynamic_axes={"pixel_values": {0: "batch"}})
    print(f"\n{name}: built and exported to ONNX in {time.perf_counter() - start:.1f} s")
    return name, model, want, folder


def test_module_import_gives_the_originals_outputs_and_exports_back(family, tmp_path):
    name, model, want, _ = family
    doc, weights, info = from_torch(model, BATCH, name=name)
    module = compiled(doc, weights)
    d = diff(module, want)
    params = sum(p.numel() for p in model.parameters())
    print(f"\n{name} from the module: {len(doc['nodes'])} nodes, {params} parameters, max abs diff {d:.3g} "
          f"(outputs up to {float(want.abs().max()):.3g})")
    assert d <= TOLERANCE and float(want.abs().max()) > 10 * TOLERANCE
    assert analyze(doc).total_params == params == info["source_params"]
    assert KINDS[name] <= {n["type"] for n in doc["nodes"]}
    assert_exports_back(doc, module, model, tmp_path)


def test_onnx_import_gives_the_originals_outputs(family):
    name, model, want, folder = family
    doc, weights, info = onnx_to_graft(folder / "model.onnx")
    module = compiled(doc, weights)
    d = diff(module, want)
    print(f"\n{name} from ONNX: {info['onnx_nodes']} ONNX nodes -> {len(doc['nodes'])} graft nodes "
          f"(fused {info['fused']}), max abs diff {d:.3g}")
    assert d <= TOLERANCE
    # the exporter folds every batch norm into the conv before it: 2 numbers per channel become 1 (the bias)
    assert analyze(doc).total_params == info["source_params"] == \
        sum(p.numel() for p in model.parameters()) - bn_channels(model)
    kinds = {n["type"] for n in doc["nodes"]}
    assert KINDS[name] - {"BatchNorm2d"} <= kinds
    if name == "convnext-tiny":   # LayerNorm over the channels and GELU arrive as one node each
        assert info["fused"]["Gelu"] == 18 and sum(n["type"] == "LayerNorm" for n in doc["nodes"]) == 18 + 4 + 1
