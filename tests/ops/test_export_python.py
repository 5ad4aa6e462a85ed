"""Canvas to code: the generated PyTorch module runs without graft and computes what graft computes."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file
from typer.testing import CliRunner

from graft.cli import app
from graft.data import load_dataset
from graft.engine.compile import compile_network
from graft.engine.data import input_tensor
from graft.engine.modules_vit import MODULES
from graft.ops import slice_model, train_model
from graft.ops.export_python import HELPERS, INLINE, _helper_source, export_python, lit, python_source
from graft.ops.models import load_model
from graft.spec.issues import SpecError
from graft.spec.layers import OPS
from graft.spec.registry import REGISTRY
from graft.store import Workspace

DATA = {"dataset": "mnist", "transforms": [{"per_class": 10, "seed": 0}]}


def chain(name, layers, first="input"):
    nodes, prev = [], first
    for node_id, kind, params, *inputs in layers:
        nodes.append({"id": node_id, "type": kind, "params": params, "inputs": inputs[0] if inputs else [prev]})
        prev = node_id
    return {"name": name, "input": {"shape": [1, 28, 28]}, "nodes": nodes}


# every registry layer type, with branches merged by Add and Concat
ZOO = chain("zoo", [
    ("c2", "Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": "same"}),
    ("bn2", "BatchNorm2d", {}), ("perm", "Permute", {"dims": [1, 2, 0]}), ("sc", "Scale", {"dim": -1}),
    ("back", "Permute", {"dims": [2, 0, 1]}), ("pad", "Pad2d", {"padding": [1, 0, 0, 1]}), ("ct", "ConvTranspose2d", {"out_channels": 4, "kernel_size": 2, "stride": 2}),
    ("mp", "MaxPool2d", {"kernel_size": 2}), ("ap", "AvgPool2d", {"kernel_size": 2, "padding": 1}),
    ("up", "Upsample", {"scale_factor": 2, "mode": "bilinear"}), ("aap", "AdaptiveAvgPool2d", {"output_size": 7}),
    ("pt", "PatchTokens", {}), ("cls", "ClassToken", {}), ("pos", "PositionEmbedding", {}),
    ("mha", "MultiHeadAttention", {"num_heads": 2}), ("ls", "LayerScale", {}),
    ("tsel", "TokenSelect", {"index": 1}, ["ls"]), ("tmean", "TokenMean", {"start": 1}, ["ls"]),
    ("tadd", "Add", {}, ["tsel", "tmean"]), ("trs", "Reshape", {"shape": [4, 1, 1]}),
    ("r6", "ReLU6", {}), ("hsw", "Hardswish", {}), ("hsig", "Hardsigmoid", {}), ("mul", "Mul", {}, ["hsw", "hsig"]),
    ("gelu", "GELU", {"approximate": "tanh"}), ("rs", "Reshape", {"shape": [4, -1]}),
    ("c1", "Conv1d", {"out_channels": 6, "kernel_size": 3, "padding": 1}), ("bn1", "BatchNorm1d", {}),
    ("ln", "LayerNorm", {}), ("lrelu", "LeakyReLU", {"negative_slope": 0.2}), ("silu", "SiLU", {}),
    ("add", "Add", {}, ["lrelu", "silu"]), ("cat", "Concat", {"dim": -1}, ["ln", "add"]),
    ("up1", "Upsample", {"scale_factor": 2}), ("sig", "Sigmoid", {}), ("tanh", "Tanh", {}),
    ("flat", "Flatten", {}), ("drop", "Dropout", {"p": 0.1}), ("fc", "Linear", {"out_features": 10, "bias": False}),
    ("relu", "ReLU", {})])
# ids that are Python keywords or names the generated forward uses
AWKWARD = chain("awkward", [("torch", "Flatten", {}), ("x", "Linear", {"out_features": 8}),
                            ("class", "ReLU", {}), ("nn", "Linear", {"out_features": 10})])


def test_every_recipe_op_has_python_source():
    from graft.engine import modules
    assert INLINE <= OPS and all(isinstance(getattr(torch.nn, op, None), type) for op in OPS - INLINE - set(HELPERS))
    assert all(isinstance(getattr(modules, op, None) or MODULES[op], type) for op in HELPERS)
    assert {n["type"] for n in ZOO["nodes"]} == set(REGISTRY)


def exec_source(source: str) -> dict:
    namespace: dict = {"__name__": "exported"}
    exec(compile(source, "exported.py", "exec"), namespace)
    return namespace


# ConvNeXt's pieces: a channels-first LayerNorm, a Linear on a channels-last map, layer scale with an offset
CHANNELS = chain("channels", [("c", "Conv2d", {"out_channels": 4, "kernel_size": 3}), ("lnc", "LayerNorm", {"dim": 0}),
                              ("perm", "Permute", {"dims": [1, 2, 0]}),
                              ("pl", "Linear", {"out_features": 6, "per_position": True}),
                              ("sc", "Scale", {"dim": -1, "bias": True}), ("back", "Permute", {"dims": [2, 0, 1]})])


@pytest.mark.parametrize("doc", [ZOO, AWKWARD, CHANNELS], ids=["zoo", "awkward", "channels"])
def test_generated_modules_are_configured_like_graft(doc):
    graft_module = compile_network(doc).eval()
    model = exec_source(python_source(doc))["Model"]().eval()
    for node in doc["nodes"]:
        if node["type"] not in INLINE:
            assert repr(model.get_submodule(node["id"])) == repr(graft_module.get_submodule(node["id"])), node["id"]
    assert {k: v.shape for k, v in model.state_dict().items()} == \
        {k: v.shape for k, v in graft_module.state_dict().items()}
    model.load_state_dict(graft_module.state_dict(), strict=True)
    x = torch.randn(3, 1, 28, 28)
    with torch.no_grad():
        assert torch.allclose(model(x), graft_module(x), atol=1e-6)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """example-cnn, a head grafted on its foundation, and the zoo, each exported to its own folder."""
    ws = Workspace(tmp_path_factory.mktemp("ws"))
    cnn = train_model(ws, {"template": "example-cnn"}, DATA, {"epochs": 1}, progress_bar=False)
    fnd = slice_model(ws, cnn["id"], end="flatten")
    head = {"name": "head", "input": {"shape": [1, 28, 28]}, "nodes": [
        {"id": "base", "type": "Foundation", "params": {"ref": fnd["id"]}, "inputs": ["input"]},
        {"id": "fc", "type": "Linear", "params": {"out_features": 10}, "inputs": ["base"]}]}
    grafted = train_model(ws, head, DATA, {"epochs": 1}, progress_bar=False)
    zoo = train_model(ws, ZOO, DATA, {"epochs": 1}, progress_bar=False)
    out = {}
    for model in (cnn, grafted, zoo):
        folder = tmp_path_factory.mktemp(model["name"])
        export_python(ws, model["id"], folder / "model.py")
        out[model["id"]] = folder
    return ws, out


CLEAN_RUN = """
import importlib.util, json, sys
sys.path.insert(0, {site!r})
assert importlib.util.find_spec("graft") is None, "graft is importable"
from safetensors.torch import load_file, save_file
for folder in {folders!r}:
    spec = importlib.util.spec_from_file_location("model_" + str(len(sys.modules)), folder + "/model.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    images = load_file(folder + "/images.safetensors")["images"]
    save_file({{"y": mod.load()(mod.preprocess(images)).detach().contiguous()}}, folder + "/y.safetensors")
print("ran", len({folders!r}))
"""


def test_exported_code_runs_without_graft_and_matches(exported, tmp_path):
    ws, folders = exported
    ds = load_dataset({"dataset": "mnist", "transforms": [{"limit": 32}]}, "test")
    images = torch.from_numpy(np.array(ds.images))
    expected = {}
    for model_id, folder in folders.items():
        save_file({"images": images}, folder / "images.safetensors")
        _, _, module = load_model(ws, model_id)
        with torch.no_grad():
            expected[model_id] = module(input_tensor(ds, module.normalization, torch.device("cpu")))
    site = str(Path(torch.__file__).parent.parent)
    script = CLEAN_RUN.format(site=site, folders=[str(f) for f in folders.values()])
    res = subprocess.run([sys.executable, "-I", "-S", "-c", script], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    for model_id, folder in folders.items():
        got = load_file(folder / "y.safetensors")["y"]
        assert got.shape == (32, 10)
        assert (got - expected[model_id]).abs().max() < 1e-5, model_id


def test_exported_file_is_short_and_names_modules_after_nodes(exported):
    ws, folders = exported
    for model_id, folder in folders.items():
        text = (folder / "model.py").read_text()
        imports = [line for line in text.splitlines() if line.startswith(("import ", "from "))]
        assert imports == ["from pathlib import Path", "import torch", "from safetensors.torch import load_file",
                           "from torch import nn"]
        assert f"MODEL_ID = '{model_id}'" in text
        assert (folder / "model.safetensors").is_file()
        copied = sum(_helper_source(op).count("\n") for op in HELPERS if f"class {op}(" in text)
        # the zoo: two lines a layer type; graft classes copied as they are; 3 lines resize and per-channel stats
        assert text.count("\n") - copied < 143
    grafted = next(f for f in folders.values() if "head" in str(f))
    text = (grafted / "model.py").read_text()
    assert "self.base = Model_base()" in text and "self.fc = nn.Linear(9216, 10, bias=True)" in text


def test_malicious_names_and_params_cannot_inject_code(tmp_path):
    marker = tmp_path / "injected"
    name = f"x'''\n__import__('pathlib').Path({str(marker)!r}).touch()\n'''"
    ns = exec_source(python_source(chain("n", [("flatten", "Flatten", {}), ("fc", "Linear", {"out_features": 2})]),
                                   model_id="mdl-000000000000", name=name))
    assert ns["MODEL_NAME"] == name and not marker.exists()
    bad_id = chain("n", [("fc(x)\nimport os", "Flatten", {})])
    bad_param = chain("n", [("flatten", "Flatten", {}), ("fc", "Linear", {"out_features": "2); import os; ("})])
    bad_mode = chain("n", [("up", "Upsample", {"scale_factor": 2, "mode": "nearest'); import os; ('"})])
    for doc in (bad_id, bad_param, bad_mode):
        with pytest.raises(SpecError):
            python_source(doc)
    for value in ("a'b", "nearest); import os", float("nan"), object(), b"x"):
        with pytest.raises(ValueError, match="cannot emit"):
            lit(value)


def test_cli_export_python(exported, tmp_path):
    ws, folders = exported
    model_id = next(iter(folders))
    res = CliRunner().invoke(app, ["export", model_id, "-o", str(tmp_path / "net.py"), "-w", str(ws.root), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["weights"] == str(tmp_path / "net.safetensors")
    assert "WEIGHTS = 'net.safetensors'" in (tmp_path / "net.py").read_text()
