"""Train-time preprocessing on the data reference (`resize` + `fit`, per-channel `mean`/`std`) is recorded with
the model and used identically by training (in memory and streamed), evaluation, the Python and ONNX exports,
`.graft` packages and the evaluation's thumbnails; an imported model with an image processor brings its own."""
from __future__ import annotations

import importlib.util
import json
from types import SimpleNamespace

import numpy as np
import onnx
import pytest
import torch
from PIL import Image
from torch import nn

from graft.data import load_dataset
from graft.data.fit import fit_images
from graft.engine.data import input_tensor
from graft.ops import evaluate_model, slice_model, train_model
from graft.ops.export_onnx import export_onnx
from graft.ops.export_python import export_python
from graft.ops.import_model import IMAGENET, import_model
from graft.ops.package import export_package, import_package
from graft.store import Workspace

SMALL = {"dataset": "mnist", "transforms": [{"per_class": 6, "seed": 0}]}
FITTED = {**SMALL, "convert": "rgb", "resize": [20, 16], "fit": "pad", "mean": [0.1, 0.2, 0.3],
          "std": [0.3, 0.25, 0.2]}
NET = {"name": "small-rgb", "input": {"shape": [3, 20, 16]}, "nodes": [
    {"id": "conv", "type": "Conv2d", "params": {"out_channels": 4, "kernel_size": 3}, "inputs": ["input"]},
    {"id": "flat", "type": "Flatten", "params": {}, "inputs": ["conv"]},
    {"id": "fc", "type": "Linear", "params": {"out_features": 10}, "inputs": ["flat"]}]}
HP = {"epochs": 1, "batch_size": 20}
TEST = {"dataset": "mnist", "transforms": [{"limit": 100}]}


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    return Workspace(tmp_path_factory.mktemp("ws"))


@pytest.fixture(scope="module")
def fitted(ws):
    return train_model(ws, NET, FITTED, HP, name="fitted", progress_bar=False)


def smooth_colour(h: int, w: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    small = rng.integers(0, 256, (h // 4, w // 4, 3), dtype=np.uint8)
    return np.moveaxis(np.asarray(Image.fromarray(small).resize((w, h), Image.BICUBIC)), -1, 0)[None]


def test_crop_resamples_as_pil_and_pad_letterboxes_with_black():
    image = smooth_colour(40, 60)
    for size in [(20, 30), (80, 120)]:       # the same aspect: crop cuts nothing, as PIL's bilinear resize
        pil = np.asarray(Image.fromarray(np.moveaxis(image[0], 0, -1)).resize(size[::-1], Image.BILINEAR))
        assert np.abs(fit_images(image, size, "crop")[0].astype(int) - np.moveaxis(pil, -1, 0)).max() <= 1
    cropped, padded = fit_images(image, (30, 30), "crop"), fit_images(image, (30, 30), "pad")
    assert cropped.shape == padded.shape == (1, 3, 30, 30)
    assert (padded[0, :, :5] == 0).all() and (padded[0, :, 25:] == 0).all()   # 60x40 into 30x30: 30x20, centred
    assert padded[0, :, 5:25].mean() > 50
    whole = fit_images(image, (30, 45), "crop")           # the crop is the centre of the image scaled to cover
    assert np.abs(cropped[0].astype(int) - whole[0, :, :, 7:37]).max() <= 1
    assert fit_images(image, (40, 60)) is image


def test_the_model_keeps_its_preprocessing_and_evaluation_applies_it(ws, fitted):
    assert {k: fitted["dataset"][k] for k in ("resize", "fit", "mean", "std")} == \
        {"resize": [20, 16], "fit": "pad", "mean": [0.1, 0.2, 0.3], "std": [0.3, 0.25, 0.2]}
    assert fitted["hparams"]["normalization"] == {"mean": [0.1, 0.2, 0.3], "std": [0.3, 0.25, 0.2]}
    assert fitted["data_stats"]["shape"] == [3, 20, 16]
    implicit = evaluate_model(ws, fitted["id"], TEST)
    explicit = evaluate_model(ws, fitted["id"], {**TEST, **{k: FITTED[k] for k in ("convert", "resize", "fit",
                                                                                      "mean", "std")}})
    assert implicit["total"] == 100 and implicit["hit"] == explicit["hit"]
    assert implicit["dataset"]["resize"] == [20, 16]
    other = evaluate_model(ws, fitted["id"], {**TEST, "fit": "crop", "resize": [20, 16]})   # told otherwise
    assert other["dataset"]["fit"] == "crop"


def test_wrong_size_without_resize_is_refused_naming_both_shapes_and_the_fix(ws):
    with pytest.raises(ValueError) as err:
        train_model(ws, NET, {**SMALL, "convert": "rgb"}, HP, name="refused", progress_bar=False)
    assert "has images 3x28x28; network input expects 3x20x16; set resize: [20, 16] on the data" in str(err.value)
    with pytest.raises(ValueError, match=r"has images 3x28x28 resized to 3x24x24; network input expects 3x20x16"):
        train_model(ws, NET, {**SMALL, "convert": "rgb", "resize": [24, 24]}, HP, name="refused", progress_bar=False)
    with pytest.raises(ValueError, match=r"data.mean: expected one number or one per channel \(3\), found 2"):
        train_model(ws, NET, {**FITTED, "mean": [0.1, 0.2], "std": [1, 1]}, HP, name="refused", progress_bar=False)
    assert not [m for m in ws.models.list() if m["name"] == "refused"]


def test_streamed_training_fits_each_batch_to_the_same_weights(ws, fitted):
    streamed = train_model(ws, NET, FITTED, {**HP, "stream": True}, name="streamed", progress_bar=False)
    assert streamed["weights_sha256"] == fitted["weights_sha256"]


def test_python_and_onnx_exports_apply_or_state_the_preprocessing(ws, fitted, tmp_path):
    out = export_python(ws, fitted["id"], tmp_path / "fitted_model.py")
    spec = importlib.util.spec_from_file_location("fitted_model", out["path"])
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    raw = load_dataset(TEST, "test")                        # grey 28x28, as a user has them
    engine = load_dataset({**TEST, **{k: FITTED[k] for k in ("convert", "resize", "fit")}}, "test")
    mine = input_tensor(engine, fitted["hparams"]["normalization"], torch.device("cpu"))
    theirs = mod.preprocess(raw.images)
    assert theirs.shape == (100, 3, 20, 16) and torch.equal(theirs, mine)

    onnx_path = tmp_path / "fitted.onnx"
    export_onnx(ws, fitted["id"], onnx_path)
    meta = {p.key: p.value for p in onnx.load(str(onnx_path)).metadata_props}
    assert json.loads(meta["graft.resize"]) == {"resize": [20, 16], "fit": "pad"}
    assert json.loads(meta["graft.normalization"])["mean"] == [0.1, 0.2, 0.3]
    assert json.loads(meta["graft.convert"]) == "rgb"


def test_a_package_keeps_the_preprocessing_and_its_evaluation_applies_it(ws, fitted, tmp_path):
    elsewhere = Workspace(tmp_path / "other")
    copy = import_package(elsewhere, export_package(ws, fitted["id"]), name="copy")
    assert {k: copy["dataset"][k] for k in ("convert", "resize", "fit", "mean", "std")} == \
        {k: FITTED[k] for k in ("convert", "resize", "fit", "mean", "std")}
    assert copy["hparams"]["normalization"] == fitted["hparams"]["normalization"]
    there, here = evaluate_model(elsewhere, copy["id"], TEST), evaluate_model(ws, fitted["id"], TEST)
    assert there["dataset"]["resize"] == [20, 16] and there["confusion"] == here["confusion"]


def test_evaluation_thumbnails_are_what_the_network_saw(ws, fitted):
    from graft.data.render import image_grid_png
    from graft.ops.evaluate import evaluation_samples
    from graft.ops.images import page_png
    from graft.ops.view import view_rows

    ev = evaluate_model(ws, fitted["id"], TEST)
    view = view_rows(ws, {"evaluation": ev["id"]}, 0, 4)
    index = np.asarray(view["indices"])
    seen = load_dataset({**TEST, "convert": "rgb"}, "test")
    preds = evaluation_samples(ws, ev["id"])["preds"][index]
    want = image_grid_png(fit_images(seen.images[index], (20, 16), "pad"), seen.labels[index], preds=preds)
    assert page_png(ws, {"evaluation": ev["id"]}, view) == want


class TinyProcessorModel(nn.Module):
    """A classifier with a transformers-style `config`: imported, it is fed ImageNet-normalised RGB."""
    config = SimpleNamespace(model_type="tiny")

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flat = nn.Flatten()

    def forward(self, x):
        return self.flat(self.pool(self.conv(x)))


def test_a_head_on_an_imported_model_uses_its_preprocessing_by_default(ws):
    torch.manual_seed(0)
    imported = import_model(ws, TinyProcessorModel().eval(), "tiny", input_shape=(3, 12, 12))
    foundation = slice_model(ws, imported["id"], name="tiny-features")
    head = {"name": "head", "input": {"shape": [3, 12, 12]}, "nodes": [
        {"id": "base", "type": "Foundation", "params": {"ref": foundation["id"], "frozen": True},
         "inputs": ["input"]},
        {"id": "fc", "type": "Linear", "params": {"out_features": 10}, "inputs": ["base"]}]}
    model = train_model(ws, head, {**SMALL, "convert": "rgb"}, HP, name="head", progress_bar=False)
    assert model["dataset"]["resize"] == [12, 12] and model["dataset"]["fit"] == "crop"
    assert model["hparams"]["normalization"] == {"mean": IMAGENET["mean"], "std": IMAGENET["std"]}
    assert evaluate_model(ws, model["id"], TEST)["dataset"]["resize"] == [12, 12]
