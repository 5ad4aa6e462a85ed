"""Equivalence for Vision Transformers: ViT-S/16 and DINOv2-S from transformers, randomly initialised (no
download), imported from the module and from its ONNX export, compute the original's outputs in graft with its
parameter count, attention arrives as one node per block, and the imported network exports back to ONNX
(onnxruntime) and to Python code with the same outputs."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from torch import nn

from graft.ops.import_onnx import onnx_to_graft
from graft.ops.import_torch import from_torch
from graft.spec.analyze import analyze
from graft.spec.cuts import cut_points
from graft.spec.graph import slice_network

transformers = pytest.importorskip("transformers")
from graft.ops.export_onnx import max_abs_diff, write_onnx  # noqa: E402
from graft.ops.export_python import python_source  # noqa: E402
from tests.ops.test_import_model import TOLERANCE, compiled  # noqa: E402

SHAPE = (3, 224, 224)
BATCH = torch.randn(2, *SHAPE, generator=torch.Generator().manual_seed(1))
LAYERS = 12


class Output(nn.Module):
    def __init__(self, model, field: str):
        super().__init__()
        self.model, self.field = model, field

    def forward(self, x):
        return getattr(self.model(x), self.field)


def randomize(model: nn.Module) -> nn.Module:
    """Every parameter drawn at an ordinary scale, seeded: the configs' init (zero biases, unit LayerNorm and
    layer scale) would hide a weight loaded in the wrong place, and the exporter would merge equal tensors."""
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() >= 2 and "embeddings" not in name.split(".")[-1] and "token" not in name:
                p.copy_(torch.randn(p.shape, generator=g) * p[0].numel() ** -0.5)
            elif name.endswith(("weight", "lambda1")):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.2 * torch.randn(p.shape, generator=g))
    return model.eval()


def vit_s16() -> nn.Module:
    config = transformers.ViTConfig(hidden_size=384, num_hidden_layers=LAYERS, num_attention_heads=6,
                                    intermediate_size=1536, patch_size=16, image_size=224, num_labels=10)
    return randomize(Output(transformers.ViTForImageClassification(config), "logits"))


def dinov2_s() -> nn.Module:
    # image_size 224 (16 x 16 patches of 14): the position table is used as it is, not interpolated
    config = transformers.Dinov2Config(hidden_size=384, num_hidden_layers=LAYERS, num_attention_heads=6,
                                       mlp_ratio=4, patch_size=14, image_size=224)
    return randomize(Output(transformers.Dinov2Model(config), "pooler_output"))


FAMILIES = {"vit-s16": vit_s16, "dinov2-s": dinov2_s}


@pytest.fixture(scope="module", params=list(FAMILIES))
def family(request):
    model = FAMILIES[request.param]()
    with torch.no_grad():
        expected = model(BATCH)
    return request.param, model, expected


@pytest.fixture(scope="module")
def imported(family):
    name, model, _ = family
    return from_torch(model, BATCH, name=name)


def used_params(model: nn.Module) -> int:
    """Parameters the forward pass reads: DINOv2's mask token only replaces masked patches in pretraining."""
    return sum(p.numel() for n, p in model.named_parameters() if not n.endswith("mask_token"))


def assert_exports_back(doc, module, expected, tmp_path) -> None:
    """graft's own exports of the imported network: ONNX through onnxruntime, Python source run as plain torch."""
    write_onnx(module, BATCH, tmp_path / "back.onnx", {})
    assert max_abs_diff(tmp_path / "back.onnx", module, BATCH) <= TOLERANCE
    namespace: dict = {"__name__": "exported"}
    exec(compile(python_source(doc), "exported.py", "exec"), namespace)
    code = namespace["Model"]().eval()
    code.load_state_dict(module.state_dict(), strict=True)
    with torch.no_grad():
        assert float((code(BATCH) - expected).abs().max()) <= TOLERANCE


def check(doc, weights, model, expected, tmp_path, where: str):
    module = compiled(doc, weights)
    with torch.no_grad():
        diff = float((module(BATCH) - expected).abs().max())
    print(f"\n{where}: max abs diff {diff:.3g} (outputs up to {float(expected.abs().max()):.3g}), "
          f"{len(doc['nodes'])} nodes")
    assert diff <= TOLERANCE
    assert analyze(doc).total_params == used_params(model)
    types = [n["type"] for n in doc["nodes"]]
    assert types.count("MultiHeadAttention") == LAYERS and "Softmax" not in types
    assert {"PatchTokens", "ClassToken", "PositionEmbedding", "TokenSelect"} <= set(types)
    assert_exports_back(doc, module, expected, tmp_path)
    return module


def test_torch_import_computes_the_original_and_exports_back(family, imported, tmp_path):
    name, model, expected = family
    doc, weights, info = imported
    check(doc, weights, model, expected, tmp_path, f"{name} from the module")
    assert info["mapped"]["attention"] == LAYERS
    if name == "dinov2-s":
        assert sum(n["type"] == "LayerScale" for n in doc["nodes"]) == 2 * LAYERS


def test_onnx_import_computes_the_original_and_exports_back(family, tmp_path):
    name, model, expected = family
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (BATCH,), str(tmp_path / "m.onnx"), dynamo=False, opset_version=17,
                          input_names=["pixel_values"], dynamic_axes={"pixel_values": {0: "batch"}})
    doc, weights, info = onnx_to_graft(tmp_path / "m.onnx")
    check(doc, weights, model, expected, tmp_path, f"{name} from ONNX")
    assert info["mapped"]["attention"] == LAYERS


def test_graft_reads_its_own_attention_back_from_onnx(tmp_path):
    """graft's MultiHeadAttention exported to ONNX (scaled_dot_product_attention as the exporter writes it)
    imports again as one node with the same weights."""
    from graft.engine.compile import compile_network
    from graft.ops.export_onnx import write_onnx
    doc = {"name": "attn", "input": {"shape": [5, 16]}, "nodes": [
        {"id": "attn", "type": "MultiHeadAttention", "params": {"num_heads": 4}, "inputs": ["input"]},
        {"id": "pool", "type": "TokenMean", "inputs": ["attn"]}]}
    torch.manual_seed(0)
    module = compile_network(doc).eval()
    x = torch.randn(3, 5, 16)
    write_onnx(module, x[:2], tmp_path / "a.onnx", {})
    back, weights, _ = onnx_to_graft(tmp_path / "a.onnx")
    assert [n["type"] for n in back["nodes"]] == ["MultiHeadAttention", "TokenMean"]
    with torch.no_grad():
        assert float((compiled(back, weights)(x) - module(x)).abs().max()) <= 1e-5


def cut_type(doc, cut) -> str:
    return next(n["type"] for n in doc["nodes"] if n["id"] == cut["node"])


def test_a_vit_is_cut_before_its_classifier_and_after_each_block(family, imported):
    name, doc = family[0], imported[0]
    cuts = cut_points(doc)
    tokens = [197 if name == "vit-s16" else 257, 384]
    blocks = [c for c in cuts if c["label"].startswith("end of block")]
    assert [c["label"] for c in blocks] == [f"end of block {k}" for k in range(1, LAYERS + 1)]
    assert all(c["shape"] == tokens and cut_type(doc, c) == "Add" for c in blocks)
    final = next(c for c in cuts if c["label"] == "tokens after the final LayerNorm")
    assert final["shape"] == tokens and cut_type(doc, final) == "LayerNorm"
    if name == "vit-s16":   # the pooled class token feeds the classifier
        assert cuts[0]["label"] == "before the classifier" and cuts[0]["shape"] == [384]
        assert cut_type(doc, cuts[0]) == "TokenSelect"
    for c in cuts:
        part = analyze(slice_network(doc, end=c["node"]))
        assert part.output_shape == c["shape"] and part.total_params == c["params"], c["label"]


def test_node_ids_follow_the_module_hierarchy(imported):
    doc = imported[0]
    attn = [n["id"] for n in doc["nodes"] if n["type"] == "MultiHeadAttention"]
    assert attn[0] in ("model_vit_layers_0_attention", "model_encoder_layer_0_attention")
    assert len(set(attn)) == LAYERS
    assert np.all([len(i) <= 64 for i in attn])


@pytest.mark.parametrize("arch", ["ViTForImageClassification", "ViTModel", "Dinov2Model"])
def test_hugging_face_folder_of_a_vit_imports_at_its_configs_size(arch, tmp_path):
    import graft
    from graft.ops import load_model
    from graft.store import Workspace
    small = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "image_size": 32,
             "patch_size": 8}
    if arch.startswith("ViT"):
        model = getattr(transformers, arch)(transformers.ViTConfig(intermediate_size=64, num_labels=5, **small))
    else:
        model = transformers.Dinov2Model(transformers.Dinov2Config(mlp_ratio=2, **small))
    randomize(model).save_pretrained(tmp_path / "folder")
    ws = Workspace(tmp_path / "ws")
    rec = graft.import_model(ws, tmp_path / "folder", "vit")
    assert rec["input_shape"] == [3, 32, 32] and rec["output_shape"] == [5 if arch.endswith("Classification") else 32]
    assert rec["hparams"]["provenance"]["architecture"] == arch
    types = [n["type"] for n in ws.get_model(rec["id"])["spec"]["nodes"]]
    assert types.count("MultiHeadAttention") == 2
    batch = torch.randn(3, 3, 32, 32, generator=torch.Generator().manual_seed(3))
    _, _, net = load_model(ws, rec["id"])
    with torch.no_grad():
        out = model(batch)
        want = out.logits if arch.endswith("Classification") else out.pooler_output
        assert float((net.float().eval()(batch) - want).abs().max()) <= TOLERANCE
