"""Portable .graft packages: a grafted model travels to an empty workspace; hostile packages are refused."""
from __future__ import annotations

import hashlib
import io
import json
import pickle
import zipfile

import pytest
from typer.testing import CliRunner

from graft.cli import app
from graft.engine.weights import WeightsError
from graft.ops import evaluate_model, slice_model, train_model
from graft.ops.package import MEMBERS, PackageError, export_package, import_package
from graft.store import Workspace

HEAD = [{"id": "fc", "type": "Linear", "params": {"out_features": 10}, "inputs": ["base"]}]


@pytest.fixture(scope="module")
def shared(tmp_path_factory, request):
    """A base model, its foundation, and a head grafted onto the frozen foundation."""
    data = {"dataset": "mnist", "transforms": [{"per_class": 20, "seed": 0}]}
    net = {"name": "tiny-cnn", "input": {"shape": [1, 28, 28]}, "nodes": [
        {"id": "conv1", "type": "Conv2d", "params": {"out_channels": 4, "kernel_size": 3}, "inputs": ["input"]},
        {"id": "relu1", "type": "ReLU", "inputs": ["conv1"]},
        {"id": "pool", "type": "MaxPool2d", "params": {"kernel_size": 4}, "inputs": ["relu1"]},
        {"id": "flatten", "type": "Flatten", "inputs": ["pool"]},
        {"id": "out", "type": "Linear", "params": {"out_features": 10}, "inputs": ["flatten"]}]}
    ws = Workspace(tmp_path_factory.mktemp("src"))
    base = train_model(ws, net, data, {"epochs": 1}, name="base", progress_bar=False)
    fnd = slice_model(ws, base["id"], end="flatten", name="features")
    grafted = {"name": "grafted", "input": {"shape": [1, 28, 28]}, "nodes": [
        {"id": "base", "type": "Foundation", "params": {"ref": fnd["id"], "frozen": True}, "inputs": ["input"]},
        *HEAD]}
    model = train_model(ws, grafted, data, {"epochs": 1}, name="grafted-head", description="digits on features",
                        progress_bar=False)
    return {"ws": ws, "base": base, "fnd": fnd, "model": model, "data": {**data, "split": "test"}}


def members_of(package: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(package)) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def rezip(members: dict[str, bytes], fix_manifest: bool = True) -> bytes:
    members = dict(members)
    if fix_manifest:
        files = {n: {"sha256": hashlib.sha256(d).hexdigest(), "size": len(d)}
                 for n, d in members.items() if n != "manifest.json"}
        members["manifest.json"] = json.dumps({"format": "graft.package/v1", "files": files}).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def test_grafted_model_evaluates_the_same_in_an_empty_workspace(shared, tmp_path):
    package = export_package(shared["ws"], shared["model"]["id"])
    empty = Workspace(tmp_path / "empty")
    record = import_package(empty, package)
    assert record["id"] != shared["model"]["id"]
    assert record["imported"]["original_id"] == shared["model"]["id"]
    assert record["block_sha256"] == shared["model"]["block_sha256"]
    assert record["parent_id"] is None and record["foundation_ids"] == []   # the foundation stayed behind
    before = evaluate_model(shared["ws"], shared["model"]["id"], shared["data"])
    after = evaluate_model(empty, record["id"], shared["data"])
    assert (after["total"], after["hit"]) == (before["total"], before["hit"])
    assert after["confusion"] == before["confusion"]


def test_package_holds_exactly_the_five_members_and_a_card_without_data(shared):
    members = members_of(export_package(shared["ws"], shared["model"]["id"]))
    assert sorted(members) == sorted(MEMBERS)
    card = json.loads(members["card.json"])
    assert card["description"] == "digits on features"
    assert card["data_fingerprint"] == shared["model"]["data_fingerprint"]
    assert card["data_stats"]["size"] == 200 and "images" not in card["data_stats"]
    lineage = {e["id"]: e for e in card["lineage"]}
    assert set(lineage) == {shared["fnd"]["id"], shared["base"]["id"]}
    assert lineage[shared["fnd"]["id"]]["weights_sha256"] == shared["fnd"]["weights_sha256"]
    assert card["block_sha256"]["base"] == shared["fnd"]["block_sha256"]["foundation"]
    assert "torch" in card["versions"]
    text = members["MODEL_CARD.md"].decode()
    assert text.startswith("# grafted-head") and shared["model"]["data_fingerprint"] in text
    assert shared["fnd"]["id"] in text
    # the whole package is far smaller than the 200 training images would be
    assert sum(map(len, members.values())) < 200 * 784


def test_reimport_into_the_source_workspace_links_the_lineage_back(shared):
    record = import_package(shared["ws"], export_package(shared["ws"], shared["model"]["id"]), name="again")
    assert record["name"] == "again"
    assert record["foundation_ids"] == [shared["fnd"]["id"]]


@pytest.mark.parametrize("extra, message", [
    ("notes.txt", "unknown member"),
    ("../evil.py", "refused: a path"),
    ("/etc/cron.d/x", "refused: a path"),
])
def test_unknown_and_path_members_are_refused(shared, tmp_path, extra, message):
    members = members_of(export_package(shared["ws"], shared["model"]["id"]))
    members[extra] = b"x"
    with pytest.raises(PackageError, match=message):
        import_package(Workspace(tmp_path), rezip(members, fix_manifest=False))
    assert not (tmp_path.parent / "evil.py").exists()


def test_missing_member_is_refused(shared, tmp_path):
    members = members_of(export_package(shared["ws"], shared["model"]["id"]))
    del members["MODEL_CARD.md"]
    with pytest.raises(PackageError, match="missing member.*MODEL_CARD.md"):
        import_package(Workspace(tmp_path), rezip(members))


def test_oversized_member_is_refused_before_it_is_read(shared, tmp_path, monkeypatch):
    members = members_of(export_package(shared["ws"], shared["model"]["id"]))
    members["spec.json"] = b" " * (17 << 20)   # compresses to almost nothing
    package = rezip(members)
    assert len(package) < 1 << 20

    def no_reading(*args, **kwargs):
        raise AssertionError("a member was read before the sizes were checked")
    monkeypatch.setattr(zipfile.ZipFile, "open", no_reading)
    with pytest.raises(PackageError, match="spec.json: .* exceeds the limit"):
        import_package(Workspace(tmp_path), package)


def test_tampered_weights_fail_the_hash_check(shared, tmp_path):
    members = members_of(export_package(shared["ws"], shared["model"]["id"]))
    w = bytearray(members["weights.safetensors"])
    w[-1] ^= 0xFF
    members["weights.safetensors"] = bytes(w)
    with pytest.raises(PackageError, match="weights.safetensors: sha256 mismatch"):
        import_package(Workspace(tmp_path), rezip(members, fix_manifest=False))
    # with a matching manifest the card's block hashes still catch it
    with pytest.raises(PackageError, match="card.json: block 'head'"):
        import_package(Workspace(tmp_path), rezip(members))


class Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_pickled_weights_are_never_unpickled(shared, tmp_path):
    marker = tmp_path / "pwned"
    members = members_of(export_package(shared["ws"], shared["model"]["id"]))
    members["weights.safetensors"] = pickle.dumps(Payload(marker))
    with pytest.raises(WeightsError):
        import_package(Workspace(tmp_path / "ws"), rezip(members))
    assert not marker.exists()
    pickle.loads(members["weights.safetensors"])   # the payload is live: unpickling it would have run it
    assert marker.exists()


def test_invalid_spec_is_refused_with_the_node(shared, tmp_path):
    members = members_of(export_package(shared["ws"], shared["model"]["id"]))
    spec = json.loads(members["spec.json"])
    spec["nodes"][1]["type"] = "os.system"
    members["spec.json"] = json.dumps(spec).encode()
    with pytest.raises(PackageError, match=r"spec.json: the network is not valid: .*fc.*os.system"):
        import_package(Workspace(tmp_path), rezip(members))


def test_card_with_unknown_fields_is_refused(shared, tmp_path):
    members = members_of(export_package(shared["ws"], shared["model"]["id"]))
    card = json.loads(members["card.json"])
    card["loader"] = "pickle"
    members["card.json"] = json.dumps(card).encode()
    with pytest.raises(PackageError, match="card.json: loader"):
        import_package(Workspace(tmp_path), rezip(members))


def test_not_a_zip_is_refused(tmp_path):
    with pytest.raises(PackageError, match="not a readable zip"):
        import_package(Workspace(tmp_path), b"PK\x03\x04 broken")


def test_cli_export_import_and_card(shared, tmp_path):
    runner = CliRunner()
    src, dst = str(shared["ws"].root), str(tmp_path / "team")
    out = tmp_path / "m.graft"
    res = runner.invoke(app, ["export", shared["model"]["id"], "-o", str(out), "-w", src])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["import", str(out), "-w", dst])
    assert res.exit_code == 0, res.output
    new_id = res.output.strip().split()[-1]
    assert Workspace(dst).get_model(new_id)["imported"]["original_id"] == shared["model"]["id"]
    res = runner.invoke(app, ["models", "card", new_id, "-w", dst])
    assert res.exit_code == 0 and res.output.startswith("# grafted-head")
    res = runner.invoke(app, ["import", str(tmp_path / "none.graft"), "-w", dst])
    assert res.exit_code == 1 and "no such file" in res.output
