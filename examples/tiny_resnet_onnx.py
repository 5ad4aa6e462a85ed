"""Write a small ResNet-18-shaped CNN for 1x28x28 images as an ONNX file, for examples/onnx_transfer.yaml.

    python examples/tiny_resnet_onnx.py examples/tiny-resnet.onnx

Four stages of two basic blocks (the second to fourth open with a strided 1x1 projection shortcut), global
average pooling and a 10-way classifier `fc`, exported by torch's legacy exporter. It stands in for a network
someone else pretrained: a few hundred steps on MNIST's digits 0-4 only (seed 0, about half a minute on a
laptop CPU), so that a head grafted onto it has features worth learning from, and nothing is downloaded
beyond the MNIST files graft reads anyway.
"""
from __future__ import annotations

import sys
import warnings

import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(y)) + self.shortcut(x))


class TinyResNet(nn.Module):
    def __init__(self, widths=(8, 16, 32, 64), blocks=(2, 2, 2, 2), classes: int = 10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU())
        stages, cin = [], widths[0]
        for i, (w, n) in enumerate(zip(widths, blocks)):
            stages.append(nn.Sequential(Block(cin, w, 1 if i == 0 else 2), *(Block(w, w, 1) for _ in range(n - 1))))
            cin = w
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.stages(self.stem(x))), 1))


def pretrain(net: nn.Module, steps: int, batch: int = 64) -> None:
    """Adam on MNIST digits 0-4, normalised as graft normalises MNIST (its training mean and std)."""
    import numpy as np

    from graft.data import load_dataset

    ds = load_dataset({"dataset": "mnist"}, "train")
    keep = np.flatnonzero(ds.labels < 5)[: steps * batch]
    x = (torch.tensor(np.asarray(ds.images[keep]), dtype=torch.float32).reshape(-1, 1, 28, 28) / 255 - ds.mean) / ds.std
    y = torch.tensor(ds.labels[keep], dtype=torch.long)
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    net.train()
    for i in range(0, len(keep) - batch + 1, batch):
        opt.zero_grad()
        nn.functional.cross_entropy(net(x[i:i + batch]), y[i:i + batch]).backward()
        opt.step()


def write(path: str, blocks=(2, 2, 2, 2), steps: int = 150) -> None:
    """`blocks` per stage: (2, 2, 2, 2) is ResNet-18's layout, (3, 4, 6, 3) ResNet-34's."""
    torch.manual_seed(0)
    net = TinyResNet(blocks=blocks)
    pretrain(net, steps)
    net.eval()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (torch.zeros(1, 1, 28, 28),), str(path), dynamo=False, opset_version=17,
                          input_names=["image"], output_names=["logits"], dynamic_axes={"image": {0: "batch"}})


if __name__ == "__main__":
    write(sys.argv[1] if len(sys.argv) > 1 else "tiny-resnet.onnx")
