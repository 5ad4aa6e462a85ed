"""Both importers record the module path each node came from as its `group` (the canvas draws them as blocks)."""
import warnings

import torch
from torch import nn

from graft.ops.import_onnx import onnx_to_graft
from graft.ops.import_torch import from_torch
from graft.spec.analyze import analyze


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv, self.act = nn.Conv2d(4, 4, 3, padding=1), nn.ReLU()

    def forward(self, x):
        return self.act(self.conv(x) + x)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 4, 3, padding=1)
        self.stages = nn.ModuleList([nn.Sequential(Block(), Block())])
        self.head = nn.Linear(4 * 8 * 8, 10)

    def forward(self, x):
        x = self.stages[0](self.stem(x))
        return self.head(x.flatten(1))


def groups(doc: dict) -> dict[str, str | None]:
    assert analyze(doc).ok
    return {n["id"]: n.get("group") for n in doc["nodes"]}


def test_torch_import_groups_nodes_by_their_module_path():
    doc, _, _ = from_torch(Net(), torch.randn(2, 1, 8, 8))
    g = groups(doc)
    assert g["stem"] == "stem" and g["head"] == "head"
    assert g["stages_0_1_conv"] == "stages.0.1.conv"
    assert {v for k, v in g.items() if k.startswith("stages_0_0")} >= {"stages.0.0.conv", "stages.0.0"}


def test_onnx_import_groups_nodes_by_the_exporters_scope(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(Net().eval(), (torch.randn(1, 1, 8, 8),), str(tmp_path / "net.onnx"), dynamo=False,
                          opset_version=17)
    g = groups(onnx_to_graft(tmp_path / "net.onnx")[0])
    assert "stem" in g.values() and "head" in g.values()
    assert {"stages.0.0.conv", "stages.0.0", "stages.0.1.conv"} <= set(g.values()), g   # as the torch import names them
