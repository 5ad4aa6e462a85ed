"""Hugging Face sources: folders written here by save_pretrained import through the CLI and Python and compute the
original's logits; unsupported architectures, pickle-only folders and an offline hub reference are refused with
nothing registered. Nothing is downloaded."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest
import torch
from typer.testing import CliRunner

import graft
from graft.cli import app
from graft.ops import load_model
from graft.ops.import_graph import ImportFailed
from graft.ops.import_hf import git_blob_sha1, verify
from graft.store import Workspace

transformers = pytest.importorskip("transformers")
from tests.ops.test_import_model import randomize  # noqa: E402

TOLERANCE = 1e-4


def cli(*args):
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def resnet():
    return randomize(transformers.ResNetForImageClassification(transformers.ResNetConfig(
        embedding_size=8, hidden_sizes=[8, 16, 24, 32], depths=[1, 1, 1, 1], layer_type="basic", num_labels=5)))


def mobilenet():
    return randomize(transformers.MobileNetV2ForImageClassification(transformers.MobileNetV2Config(
        depth_multiplier=0.25, image_size=32, num_labels=5)))


def saved(model, folder):
    model.save_pretrained(folder)
    return folder


def assert_same_logits(ws, rec, model, shape):
    batch = torch.randn(4, *shape, generator=torch.Generator().manual_seed(3))
    _, _, net = load_model(ws, rec["id"])
    with torch.no_grad():
        diff = float((net.float().eval()(batch) - model(batch).logits).abs().max())
    assert diff <= TOLERANCE


def test_resnet_folder_imports_through_the_cli_with_an_input_shape(tmp_path):
    model = resnet()
    folder = saved(model, tmp_path / "resnet-tiny")
    (folder / "README.md").write_text("---\nlicense: apache-2.0\ntags: [vision]\n---\n# tiny\n")
    ws = tmp_path / "ws"
    code, out = cli("import-model", str(folder), "--name", "tiny-resnet", "--input-shape", "3,48,48",
                    "-w", str(ws), "--json")
    assert code == 0, out
    rec = json.loads(out)
    assert rec["id"].startswith("mdl-") and rec["input_shape"] == [3, 48, 48] and rec["output_shape"] == [5]
    prov = rec["hparams"]["provenance"]
    assert prov["architecture"] == "ResNetForImageClassification" and prov["license"] == "apache-2.0"
    weights = (folder / "model.safetensors").read_bytes()
    assert prov["files"]["model.safetensors"] == hashlib.sha256(weights).hexdigest()
    prep = rec["hparams"]["preprocessing"]
    assert prep["mean"] == [0.485, 0.456, 0.406] and prep["channels"] == 3
    assert_same_logits(Workspace(ws), rec, model, (3, 48, 48))


def test_mobilenet_folder_imports_in_python_at_the_configs_size_with_its_preprocessor(tmp_path):
    model = mobilenet()
    folder = saved(model, tmp_path / "mnv2")
    (folder / "preprocessor_config.json").write_text(json.dumps(
        {"image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5], "size": {"shortest_edge": 36},
         "crop_size": {"height": 32, "width": 32}}))
    ws = Workspace(tmp_path / "ws")
    rec = graft.import_model(ws, folder, "mnv2")
    assert rec["input_shape"] == [3, 32, 32]
    prep = rec["hparams"]["preprocessing"]
    assert prep["mean"] == [0.5, 0.5, 0.5] and prep["size"] == {"shortest_edge": 36}
    from graft.ops.package import model_card
    assert "preprocessor_config.json" in model_card(ws, rec["id"])["hparams"]["provenance"]["files"]
    assert_same_logits(ws, rec, model, (3, 32, 32))


@pytest.mark.parametrize("arch", ["ConvNextForImageClassification", "ConvNextModel"])
def test_convnext_folder_imports_with_its_layer_norms_and_layer_scale(arch, tmp_path):
    config = transformers.ConvNextConfig(hidden_sizes=[8, 16], depths=[1, 2], num_stages=2, num_labels=5,
                                         image_size=32)
    model = randomize(getattr(transformers, arch)(config))
    folder = saved(model, tmp_path / "convnext")
    ws = Workspace(tmp_path / "ws")
    rec = graft.import_model(ws, folder, "cnx")
    assert rec["input_shape"] == [3, 32, 32] and rec["output_shape"] == [5 if arch.endswith("Classification") else 16]
    assert rec["hparams"]["provenance"]["architecture"] == arch
    kinds = {n["type"] for n in ws.get_model(rec["id"])["spec"]["nodes"]}
    assert {"LayerNorm", "Permute", "Scale", "GELU", "Linear"} <= kinds
    batch = torch.randn(4, 3, 32, 32, generator=torch.Generator().manual_seed(3))
    _, _, net = load_model(ws, rec["id"])
    with torch.no_grad():
        out = model(batch)
        want = out.logits if arch.endswith("Classification") else out.pooler_output
        assert float((net.float().eval()(batch) - want).abs().max()) <= TOLERANCE


def test_unsupported_architecture_and_pickle_only_folders_register_nothing(tmp_path):
    ws = Workspace(tmp_path / "ws")
    bert = tmp_path / "bert"
    bert.mkdir()
    (bert / "config.json").write_text(json.dumps({"architectures": ["BertModel"], "model_type": "bert"}))
    (bert / "model.safetensors").write_bytes(b"")
    with pytest.raises(ImportFailed, match="BertModel is not one graft imports; supported: ResNetFor"):
        graft.import_model(ws, bert, "bert")
    pickled = tmp_path / "pickled"
    resnet().save_pretrained(pickled)
    (pickled / "model.safetensors").unlink()
    torch.save({}, pickled / "pytorch_model.bin")
    code, out = cli("import-model", str(pickled), "--name", "p", "-w", str(tmp_path / "ws"), "--json")
    assert code == 1 and "pytorch_model.bin" in json.loads(out)["error"]
    assert "safetensors only" in json.loads(out)["error"]
    assert ws.list_models() == []


def test_hub_reference_offline_says_to_import_a_downloaded_folder(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_ENDPOINT": "http://127.0.0.1:9", "HF_HOME": str(tmp_path / "hf"),
           "PYTHONPATH": os.pathsep.join(p for p in ["src", os.environ.get("PYTHONPATH", "")] if p)}
    for offline in ("1", "0"):
        env["HF_HUB_OFFLINE"] = offline
        out = subprocess.run([sys.executable, "-m", "graft.cli", "import-model", "hf:microsoft/resnet-50@main",
                              "--name", "r50", "-w", str(tmp_path / "ws"), "--json"],
                             capture_output=True, text=True, env=env, timeout=120)
        assert out.returncode == 1, out.stderr
        error = json.loads(out.stdout)["error"]
        assert error.startswith("hf:microsoft/resnet-50@main: cannot download it here")
        assert "import the folder: graft import-model DIR --name r50" in error
    assert Workspace(tmp_path / "ws").list_models() == []


def test_downloaded_weights_must_match_the_hubs_checksums(tmp_path):
    folder = saved(resnet(), tmp_path / "snap")
    path = folder / "model.safetensors"
    good = hashlib.sha256(path.read_bytes()).hexdigest()
    verify(folder, [SimpleNamespace(rfilename=path.name, lfs=SimpleNamespace(sha256=good))], "hf:a/b")
    verify(folder, [SimpleNamespace(rfilename=path.name, lfs=None, blob_id=git_blob_sha1(path))], "hf:a/b")
    with pytest.raises(ImportFailed, match="does not match the hub's 00"):
        verify(folder, [SimpleNamespace(rfilename=path.name, lfs=SimpleNamespace(sha256="00" * 32))], "hf:a/b")
