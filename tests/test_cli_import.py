"""`graft import-model`: an ONNX file in, a registered model out that lists, and slices before its classifier."""
from __future__ import annotations

import json
import warnings

import torch
from torch import nn
from typer.testing import CliRunner

from graft.cli import app


def cli(*args):
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_import_model_lists_and_slices_before_the_classifier(tmp_path):
    net = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2), nn.BatchNorm2d(8), nn.ReLU6(), nn.AdaptiveAvgPool2d(1),
                        nn.Flatten(), nn.Linear(8, 10)).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (torch.randn(1, 3, 32, 32),), str(tmp_path / "net.onnx"), dynamo=False,
                          opset_version=17, input_names=["x"], dynamic_axes={"x": {0: "n", 2: "h", 3: "w"}})
    ws = str(tmp_path / "ws")
    code, out = cli("import-model", str(tmp_path / "net.onnx"), "--name", "net", "-w", ws, "--json")
    assert code == 1 and "give the input shape" in json.loads(out)["error"]
    code, out = cli("import-model", str(tmp_path / "net.onnx"), "--name", "net", "--input-shape", "3,32,32",
                    "-w", ws, "--json")
    assert code == 0, out
    rec = json.loads(out)
    assert rec["id"].startswith("mdl-") and rec["output_shape"] == [10]
    assert [m["id"] for m in json.loads(cli("models", "list", "-w", ws, "--json")[1])] == [rec["id"]]
    classifier = rec["spec"]["nodes"][-1]
    assert classifier["type"] == "Linear"
    code, out = cli("slice", rec["id"], "--to", classifier["inputs"][0], "-w", ws, "--json")
    assert code == 0, out
    foundation = json.loads(out)
    assert foundation["kind"] == "foundation" and foundation["output_shape"] == [8]
    assert foundation["parent_id"] == rec["id"]
