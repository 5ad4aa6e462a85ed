"""POST /api/models/import-model: an uploaded ONNX file becomes a model; a file graft cannot import is a 4xx
whose message names the user's file (never the server's temporary path), and nothing is registered."""
from __future__ import annotations

import warnings

import onnx
import pytest
import torch
from torch import nn

URL = "/api/models/import-model"


def onnx_bytes(model: nn.Module, tmp_path, dynamic_size: bool = False) -> bytes:
    axes = {0: "batch", 2: "height", 3: "width"} if dynamic_size else {0: "batch"}
    path = tmp_path / "export.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model.eval(), (torch.randn(2, 3, 16, 16),), str(path), dynamo=False, opset_version=17,
                          input_names=["x"], dynamic_axes={"x": axes})
    return path.read_bytes()


def small() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))


def refused(client, detail, status: int, filename: str, data: bytes, match: str, **fields) -> dict:
    got = client.post(URL, files={"file": (filename, data)}, data={"name": "bad", **fields})
    assert got.status_code == status, got.text
    d = detail(got)
    assert match in d["message"]
    if status == 422 and match.startswith(filename):   # the user's own file name, not the server's temporary path
        assert d["message"].startswith(filename + ":") and str(client.app.state.ws.root) not in d["message"]
    assert client.get("/api/models").json() == []
    return d


def test_an_uploaded_onnx_file_becomes_a_model_on_the_list(client):
    got = client.post(URL, files={"file": ("small.onnx", onnx_bytes(small(), client.app.state.ws.root))},
                      data={"name": "my small net"})
    assert got.status_code == 201, got.text
    rec = got.json()
    assert rec["id"].startswith("mdl-") and rec["name"] == "my small net" and rec["kind"] == "model"
    assert rec["output_shape"] == [2]
    nodes = client.get(f"/api/models/{rec['id']}").json()["spec"]["nodes"]
    assert nodes[-1]["type"] == "Linear"
    assert [m["id"] for m in client.get("/api/models").json()] == [rec["id"]]


def test_a_dynamic_size_asks_for_the_input_shape_then_imports(client, detail, tmp_path):
    data = onnx_bytes(small(), tmp_path, dynamic_size=True)
    d = refused(client, detail, 422, "dyn.onnx", data, "dyn.onnx: input 'x' has a dynamic size")
    assert "give the input shape" in d["message"] and d["issues"][0]["field"] == "file"
    d = refused(client, detail, 422, "dyn.onnx", data, "input_shape: expected positive whole numbers",
                input_shape="3,big,24")
    assert d["issues"][0]["field"] == "input_shape"
    got = client.post(URL, files={"file": ("dyn.onnx", data)}, data={"name": "dyn", "input_shape": "3, 24, 24"})
    assert got.status_code == 201, got.text
    assert got.json()["input_shape"] == [3, 24, 24]


def test_an_unsupported_op_names_the_node_its_type_and_the_supported_ops(client, detail, tmp_path):
    data = onnx_bytes(nn.Sequential(nn.Conv2d(3, 4, 3), nn.Softmax(dim=1)), tmp_path)
    d = refused(client, detail, 422, "soft.onnx", data, "soft.onnx: node /1/Softmax (Softmax): op type Softmax "
                "is not supported; graft imports")
    assert "Conv" in d["message"] and d["issues"][0]["found"] == "soft.onnx"


def test_corrupt_oversized_and_unnamed_uploads_are_refused(client, detail, tmp_path):
    data = onnx_bytes(small(), tmp_path)
    refused(client, detail, 422, "cut.onnx", data[: len(data) // 2], "cut.onnx: not a valid ONNX")
    refused(client, detail, 422, "notes.txt", b"hello", "notes.txt: not a source graft imports")
    refused(client, detail, 413, "big.onnx", b"\0" * (1 << 20) + data, "larger than the server's limit")
    got = client.post(URL, files={"file": ("small.onnx", data)}, data={"name": "  "})
    assert got.status_code == 422 and "name" in detail(got)["message"]
    assert client.get("/api/models").json() == []


def test_external_data_outside_the_folder_is_refused(client, detail, tmp_path):
    """The CVE-2022-25882 family: a real export whose weights are then said to live at ../../etc/passwd."""
    model = onnx.load_model_from_string(onnx_bytes(small(), tmp_path))
    onnx.save(model, str(tmp_path / "evil.onnx"), save_as_external_data=True, location="weights.bin",
              size_threshold=0)
    model = onnx.load(str(tmp_path / "evil.onnx"), load_external_data=False)
    first = next(t for t in model.graph.initializer if t.external_data)
    next(e for e in first.external_data if e.key == "location").value = "../../etc/passwd"
    refused(client, detail, 422, "evil.onnx", model.SerializeToString(), "evil.onnx: initializer "
            f"'{first.name}' keeps its data at '../../etc/passwd', outside the file's folder")


@pytest.mark.parametrize("shape", ["0,3,3", "-1"])
def test_a_bad_input_shape_is_a_422(client, detail, tmp_path, shape):
    got = client.post(URL, files={"file": ("s.onnx", onnx_bytes(small(), tmp_path))},
                      data={"name": "s", "input_shape": shape})
    assert got.status_code == 422 and "input_shape" in detail(got)["message"]


def test_the_model_detail_suggests_a_cut_before_the_classifier(client):
    rec = client.post(URL, files={"file": ("small.onnx", onnx_bytes(small(), client.app.state.ws.root))},
                      data={"name": "small"}).json()
    detail = client.get(f"/api/models/{rec['id']}").json()
    (cut,) = detail["cut_points"]
    assert cut["label"] == "before the classifier" and cut["shape"] == [4] and cut["params"] == 3 * 4 * 9 + 4
    assert cut["node"] == detail["spec"]["nodes"][-1]["inputs"][0]
