import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
GRAFT = [sys.executable, "-m", "graft"]


def graft(*args, cwd=None, check=True):
    proc = subprocess.run([*GRAFT, *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    if check and proc.returncode != 0:
        raise AssertionError(f"graft {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def test_help_does_not_import_torch():
    code = "import sys; from graft.cli import app; import graft.workflow, graft.spec.analyze; " \
           "print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
    assert "Usage" in graft("--help").stdout


def test_validate_reports_every_issue_and_exits_nonzero(tmp_path):
    bad = {"input": {"shape": [1, 28, 28]}, "nodes": [
        {"id": "a", "type": "Conv2d", "params": {"out_channels": 8, "kernel_size": 3}, "inputs": ["input"]},
        {"id": "b", "type": "Linear", "params": {"out_features": 10}, "inputs": ["a"]},
        {"id": "c", "type": "Teleport", "inputs": ["b"]},
        {"id": "d", "type": "ReLU", "inputs": ["ghost"]},
    ]}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    proc = graft("validate", str(path), "--json", check=False)
    assert proc.returncode == 1
    issues = json.loads(proc.stdout)["issues"]
    nodes = {i.get("node") for i in issues if i.get("severity", "error") == "error"}
    assert {"b", "c", "d"} <= nodes


def test_run_json_contract_and_view_eof(tmp_path, tiny_cnn, tiny_data):
    wf = {"name": "cli", "steps": [
        {"name": "base", "kind": "train", "network": tiny_cnn, "data": tiny_data, "epochs": 1},
        {"name": "test", "kind": "evaluate", "model": {"step": "base"},
         "data": {"dataset": "mnist", "split": "test", "transforms": [{"limit": 100}]}},
    ]}
    path = tmp_path / "wf.yaml"
    path.write_text(yaml.safe_dump(wf))
    ws = str(tmp_path / "ws")
    report = json.loads(graft("run", str(path), "--workspace", ws, "--json").stdout)
    ev = report["steps"][1]["result"]
    assert (ev["total"], type(ev["hit"])) == (100, int)
    models = json.loads(graft("models", "list", "--workspace", ws, "--json").stdout)
    assert [m["id"] for m in models] == [report["steps"][0]["result"]["id"]]
    text = graft("view", ev["id"], "--workspace", ws, "--page-size", "30").stdout
    assert text.rstrip().endswith("[EOF]") and text.count("[EOF]") == 1
    assert len([l for l in text.splitlines() if l[:1].isdigit()]) == 100
    again = graft("evaluate", report["steps"][0]["result"]["id"], "--workspace", ws).stdout
    assert "total 10000" in again


def test_train_takes_precision_and_device_and_refuses_a_device_this_machine_lacks(tmp_path, tiny_cnn):
    net = tmp_path / "net.yaml"
    net.write_text(yaml.safe_dump(tiny_cnn))
    ws = str(tmp_path / "ws")
    rec = json.loads(graft("train", str(net), "--limit", "256", "--precision", "fp32", "--device", "cpu",
                           "--label-smoothing", "0.1", "--workspace", ws, "--json").stdout)
    assert (rec["hparams"]["precision"], rec["hparams"]["label_smoothing"]) == ("fp32", 0.1)
    import torch
    if not torch.cuda.is_available():
        proc = graft("train", str(net), "--limit", "256", "--device", "cuda", "--workspace", ws, "--json",
                     check=False)
        assert proc.returncode != 0 and "no CUDA" in proc.stdout + proc.stderr
        assert len(json.loads(graft("models", "list", "--workspace", ws, "--json").stdout)) == 1


def test_graft_embed_prints_a_map_writes_its_picture_and_reopens_it(tmp_path, tiny_cnn):
    net = tmp_path / "net.yaml"
    net.write_text(yaml.safe_dump(tiny_cnn))
    ws = str(tmp_path / "ws")
    model = json.loads(graft("train", str(net), "--limit", "256", "--workspace", ws, "--json").stdout)["id"]
    done = graft("embed", model, "--dataset", "mnist", "--limit", "50", "--method", "tsne", "--png",
                 str(tmp_path / "map.png"), "--workspace", ws, "--json")
    doc = json.loads(done.stdout)
    assert doc["method"] == "tsne" and len(doc["points"]) == 50 and len(doc["preds"]) == 50
    assert (tmp_path / "map.png").read_bytes()[:4] == b"\x89PNG"
    text = graft("embed", model, "--limit", "50", "--method", "tsne", "--workspace", ws).stdout
    assert text.startswith(f"embedding {doc['id']}: TSNE of 50 of 10000 images of mnist (test)")
    assert "right " in text
    refused = graft("embed", model, "--limit", "100000", "--workspace", ws, check=False)
    assert refused.returncode == 1 and "limit: expected" in refused.stderr and "Traceback" not in refused.stderr
