"""A grey data set fed to an RGB network converts only when asked, and the model keeps the conversion: its
evaluation, its Python export and its ONNX metadata apply or state it; otherwise the error names both shapes."""
from __future__ import annotations

import importlib.util
import json

import numpy as np
import onnx
import pytest
import torch
from PIL import Image

from graft.data import load_dataset
from graft.data.dataset import convert_channels
from graft.engine.data import input_tensor
from graft.ops import evaluate_model, train_model
from graft.ops.export_onnx import export_onnx
from graft.ops.export_python import export_python
from graft.store import Workspace

GREY = {"dataset": "mnist", "transforms": [{"per_class": 6, "seed": 0}]}
RGB_NET = {"name": "rgb-mlp", "input": {"shape": [3, 28, 28]}, "nodes": [
    {"id": "flat", "type": "Flatten", "params": {}, "inputs": ["input"]},
    {"id": "fc", "type": "Linear", "params": {"out_features": 10}, "inputs": ["flat"]}]}
HP = {"epochs": 1, "batch_size": 20}


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    return Workspace(tmp_path_factory.mktemp("ws"))


@pytest.fixture(scope="module")
def converted(ws):
    return train_model(ws, RGB_NET, {**GREY, "convert": "rgb"}, HP, name="rgb", progress_bar=False)


def test_grey_data_on_an_rgb_network_is_refused_naming_both_shapes(ws):
    with pytest.raises(ValueError) as err:
        train_model(ws, RGB_NET, GREY, HP, name="refused", progress_bar=False)
    message = str(err.value)
    assert "has images 1x28x28; network input expects 3x28x28" in message
    assert "convert: rgb" in message
    assert not [m for m in ws.models.list() if m["name"] == "refused"]


def test_size_mismatch_names_the_resize_to_import_with(ws):
    small = {**RGB_NET, "input": {"shape": [1, 32, 32]}}
    with pytest.raises(ValueError, match=r"has images 1x28x28; network input expects 1x32x32; "
                                         r"set resize: \[32, 32\] on the data"):
        train_model(ws, small, GREY, HP, name="small", progress_bar=False)


def test_the_conversion_is_kept_by_evaluation_and_exports(ws, converted, tmp_path):
    assert converted["dataset"]["convert"] == "rgb"
    implicit = evaluate_model(ws, converted["id"], {"dataset": "mnist", "transforms": [{"limit": 200}]})
    explicit = evaluate_model(ws, converted["id"], {"dataset": "mnist", "transforms": [{"limit": 200}],
                                                    "convert": "rgb"})
    assert implicit["total"] == 200 and implicit["hit"] == explicit["hit"]

    out = export_python(ws, converted["id"], tmp_path / "rgb_model.py")
    spec = importlib.util.spec_from_file_location("rgb_model", out["path"])
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    grey = load_dataset({"dataset": "mnist", "transforms": [{"limit": 8}]}, "test")
    model = mod.load()
    with torch.no_grad():
        exported = model(mod.preprocess(grey.images)).argmax(1)
    rgb = load_dataset({"dataset": "mnist", "transforms": [{"limit": 8}], "convert": "rgb"}, "test")
    norm = converted["hparams"]["normalization"]
    with torch.no_grad():
        mine = model(input_tensor(rgb, norm, torch.device("cpu"))).argmax(1)
    assert exported.tolist() == mine.tolist()

    onnx_path = tmp_path / "rgb.onnx"
    export_onnx(ws, converted["id"], onnx_path)
    meta = {p.key: p.value for p in onnx.load(str(onnx_path)).metadata_props}
    assert json.loads(meta["graft.convert"]) == "rgb"


def test_gray_conversion_is_the_luminance_pil_computes():
    rng = np.random.default_rng(0)
    colour = rng.integers(0, 256, (4, 3, 9, 7), dtype=np.uint8)
    grey = convert_channels(colour, "gray")
    pil = np.stack([np.asarray(Image.fromarray(np.moveaxis(c, 0, -1)).convert("L")) for c in colour])[:, None]
    assert grey.shape == (4, 1, 9, 7)
    assert np.abs(grey.astype(int) - pil).max() <= 1      # PIL rounds in fixed point
    assert convert_channels(grey, "gray") is grey and convert_channels(colour, "rgb") is colour
