"""A workflow that imports a data set (an import_dataset step) and trains and evaluates a network on it."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

import graft
from graft.spec.issues import SpecError
from graft.workflow import parse_workflow

ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(graft.__file__).parents[1]),
                                                    *filter(None, [os.environ.get("PYTHONPATH")])])}
NET = {"name": "tiny-rgb", "input": {"shape": [3, 16, 16]}, "nodes": [
    {"id": "conv", "type": "Conv2d", "params": {"out_channels": 4, "kernel_size": 3}, "inputs": ["input"]},
    {"id": "relu", "type": "ReLU", "inputs": ["conv"]},
    {"id": "flat", "type": "Flatten", "inputs": ["relu"]},
    {"id": "fc", "type": "Linear", "params": {"out_features": 2}, "inputs": ["flat"]}]}


def photo_zip(path: Path, per_class: int = 12) -> None:
    """Two classes of colour JPEGs of mixed sizes, as photos come: reddish and bluish."""
    rng = np.random.default_rng(0)
    with zipfile.ZipFile(path, "w") as z:
        for cls, channel in (("red", 0), ("blue", 2)):
            for i in range(per_class):
                h, w = int(rng.integers(18, 40)), int(rng.integers(18, 40))
                img = rng.integers(0, 80, (h, w, 3), dtype=np.uint8)
                img[..., channel] = rng.integers(150, 255, (h, w), dtype=np.uint8)
                buf = io.BytesIO()
                Image.fromarray(img).save(buf, "JPEG")
                z.writestr(f"{cls}/{i}.jpg", buf.getvalue())


def run(folder: Path, ws: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "graft.cli", "run", str(folder / "wf.yaml"), "--workspace",
                           str(ws), "--json", *extra], capture_output=True, text=True, timeout=600, cwd=ws.parent,
                          env=ENV)


def test_a_workflow_imports_a_photo_zip_then_trains_and_evaluates_on_it(tmp_path):
    folder = tmp_path / "project"
    folder.mkdir()
    photo_zip(folder / "photos.zip")
    doc = {"name": "photos", "steps": [
        {"name": "photos", "kind": "import_dataset", "source": "photos.zip", "resize": [16, 16],
         "test_fraction": 0.25},
        {"name": "net", "kind": "train", "network": NET, "data": {"step": "photos"}, "epochs": 1,
         "batch_size": 8, "device": "cpu", "precision": "fp32",
         "augment": [{"random_crop": {"padding": 2}}, {"flip": True}, {"color_jitter": 0.2}]},
        {"name": "test", "kind": "evaluate", "model": {"step": "net"}, "data": {"step": "photos", "split": "test"}},
    ]}
    (folder / "wf.yaml").write_text(yaml.safe_dump(doc))
    done = run(folder, tmp_path / "ws")    # run from elsewhere: the source is relative to the workflow file
    assert done.returncode == 0, done.stderr
    steps = {s["name"]: s for s in json.loads(done.stdout)["steps"]}
    assert [(s["kind"], s["status"]) for s in steps.values()] == [
        ("import_dataset", "done"), ("train", "done"), ("evaluate", "done")]
    data = steps["photos"]["result"]
    assert data["kind"] == "dataset" and data["classes"] == ["blue", "red"]
    assert data["sizes"] == {"train": 18, "test": 6}
    assert steps["test"]["result"]["total"] == 6
    assert steps["net"]["result"]["metrics"]["train_accuracy"] is not None
    # unchanged file and steps: everything comes from the workspace
    again = {s["name"]: s["status"] for s in json.loads(run(folder, tmp_path / "ws").stdout)["steps"]}
    assert again == {"photos": "cached", "net": "cached", "test": "cached"}


def test_data_may_name_only_an_earlier_step():
    doc = {"steps": [{"name": "net", "kind": "train", "network": NET, "data": {"step": "later"}},
                     {"name": "later", "kind": "import_dataset", "source": "x.zip"}]}
    with pytest.raises(SpecError) as err:
        parse_workflow(doc)
    issue = err.value.issues[0]
    assert (issue.code, issue.node, issue.field, issue.found) == ("unknown_step", "net", "data", "later")
