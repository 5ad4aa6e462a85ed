"""Bad ONNX input is refused with a message naming the file as given, and nothing reaches the registry."""
from __future__ import annotations

import warnings

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, helper, numpy_helper
from torch import nn

from graft.ops.import_graph import ImportFailed
from graft.ops.import_model import import_model
from graft.ops.import_onnx import Limits, onnx_to_graft
from graft.store import Workspace


def export(model: nn.Module, path, dynamic_size: bool = False) -> None:
    axes = {0: "batch", 2: "height", 3: "width"} if dynamic_size else {0: "batch"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model.eval(), (torch.randn(2, 3, 16, 16),), str(path), dynamo=False, opset_version=17,
                          input_names=["x"], dynamic_axes={"x": axes})


def small() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))


@pytest.fixture
def ws(tmp_path):
    return Workspace(tmp_path / "ws")


def refused(ws, path, match: str, **kw) -> None:
    with pytest.raises(ImportFailed, match=match):
        import_model(ws, path, "bad", **kw)
    assert ws.list_models() == []


def test_an_unsupported_op_names_the_node_its_type_and_what_is_supported(ws, tmp_path):
    export(nn.Sequential(nn.Conv2d(3, 4, 3), nn.Softmax(dim=1)), tmp_path / "soft.onnx")
    refused(ws, tmp_path / "soft.onnx", r"soft\.onnx: node /1/Softmax \(Softmax\): op type Softmax is not "
                                        r"supported; graft imports .*Conv.*MaxPool")


def test_a_dynamic_input_size_needs_input_shape(ws, tmp_path):
    export(small(), tmp_path / "dyn.onnx", dynamic_size=True)
    refused(ws, tmp_path / "dyn.onnx", r"dyn\.onnx: input 'x' has a dynamic size \['batch', 3, 'height', 'width'\];"
                                       r" give the input shape")
    rec = import_model(ws, tmp_path / "dyn.onnx", "dyn", input_shape=(3, 24, 24))
    assert rec["input_shape"] == [3, 24, 24] and rec["output_shape"] == [2]


def test_corrupt_truncated_and_oversized_files_are_refused(ws, tmp_path):
    export(small(), tmp_path / "ok.onnx")
    data = (tmp_path / "ok.onnx").read_bytes()
    (tmp_path / "cut.onnx").write_bytes(data[: len(data) // 2])
    (tmp_path / "junk.onnx").write_bytes(b"\x08\x07not protobuf at all" * 50)
    refused(ws, str(tmp_path / "cut.onnx"), r"cut\.onnx: not a valid ONNX")
    refused(ws, str(tmp_path / "junk.onnx"), r"junk\.onnx: not a valid ONNX")
    refused(ws, tmp_path / "ok.onnx", r"ok\.onnx: \d+ bytes is over the import limit of 100 bytes",
            limits=Limits(max_bytes=100))


def test_external_data_outside_the_folder_is_refused(ws, tmp_path):
    """The CVE-2022-25882 family: an initializer whose data 'lives' at ../../etc/passwd."""
    w = numpy_helper.from_array(np.ones((4, 3, 1, 1), np.float32), "w")
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    entry = w.external_data.add()
    entry.key, entry.value = "location", "../../etc/passwd"
    graph = helper.make_graph([helper.make_node("Conv", ["x", "w"], ["y"], name="conv")], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8])], [w])
    folder = tmp_path / "models"
    folder.mkdir()
    onnx.save(helper.make_model(graph), str(folder / "evil.onnx"))
    refused(ws, folder / "evil.onnx", r"evil\.onnx: initializer 'w' keeps its data at '\.\./\.\./etc/passwd', "
                                      r"outside the file's folder")


def test_folded_shape_arithmetic_leaves_no_trace(tmp_path):
    """x.view(x.size(0), -1) exports as Shape -> Gather -> Unsqueeze -> Concat -> Reshape: one Flatten in graft."""
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.fc = nn.Conv2d(3, 2, 3), nn.Linear(2 * 14 * 14, 5)

        def forward(self, x):
            y = self.conv(x)
            return self.fc(y.view(y.size(0), -1))

    export(Net(), tmp_path / "view.onnx")
    doc, _, info = onnx_to_graft(tmp_path / "view.onnx")
    assert [n["type"] for n in doc["nodes"]] == ["Conv2d", "Flatten", "Linear"]
    assert info["folded"] >= 3
