"""Three equal faces: every operation of graft.contracts.OPERATIONS exists in the CLI, in Python (`import graft`)
and in the HTTP API, each offering exactly the contract's parameters."""
from __future__ import annotations

import csv
import inspect
import json
import subprocess
import sys

import pytest
import typer.main

import graft
from graft.cli import app
from graft.contracts.operations import OPERATIONS

# Parameters a face has and the contract does not, and why. Anything else a face adds, or lacks, fails.
CLI_ONLY = {"workspace", "db_url", "as_json"}            # every command: which registry, how to print
CLI_EXTRA = {
    "train": {"deterministic", "limit", "per_class", "nproc"},   # CPU bit-exactness, data shorthands, torchrun
    "pretrain": {"limit"},                                       # data shorthand: the first N images
    "transfer_report": {"png"},                                  # also write the plot
    "embed": {"png"},                                            # also write the map as a picture
    "synergy_report": {"png"},
}
# --unlabeled D is semi_supervised {unlabeled: D}; the other semi-supervised options are its fields
CLI_NAMES = {"train": {n: "semi_supervised" for n in ("unlabeled", "neighbours", "finetune_epochs", "rounds",
                                                       "threshold", "finetune_lr", "finetune_flip")}}
PY_ONLY = {"ws"}                                                 # the workspace, first argument of every function
PY_EXTRA = {
    # how the call runs, not what it does: run bookkeeping, callbacks, processes
    "train": {"run_id", "on_epoch", "on_step", "should_stop", "progress_bar", "nproc", "resume", "workflow_hash",
              "progress"},
    "import_dataset": {"filename", "should_stop"},   # the name an upload had (the server's temporary file has
    "import_model": {"filename", "should_stop"},     # another); the job's cancellation
}
HTTP_LACKS = {"export": {"output"}}                              # HTTP: the response is the file
HTTP_NAMES = {"file": "path"}                                    # an upload's file is the path the others read
HTTP_ID = {"slice": "model", "export": "model", "lineage": "model", "cancel": "run", "resume": "run",
           "edit_dataset": "dataset"}   # /{id} in the path
FLATTENED = ("hparams",)                                         # the CLI offers each hyperparameter as an option
# defaults a face states differently on purpose (the CLI's evaluate has always read the test split)
CLI_DEFAULTS_DIFFER = {("evaluate", "split")}


def contract_fields(op: str) -> set[str]:
    return set(OPERATIONS[op].request.model_fields)


def cli_command(path: tuple[str, ...]):
    command = typer.main.get_command(app)
    for part in path:
        command = command.commands[part]
    return command


def cli_fields(op: str) -> tuple[set[str], dict]:
    params = {p.name: p for p in cli_command(OPERATIONS[op].cli).params if p.name != "help"}
    names = CLI_NAMES.get(op, {})
    return {names.get(n, n) for n in params} - CLI_ONLY - CLI_EXTRA.get(op, set()), params


def cli_expected(op: str) -> set[str]:
    model = OPERATIONS[op].request
    out = set()
    for name, info in model.model_fields.items():
        out |= set(info.annotation.model_fields) if name in FLATTENED else {name}
    return out


def python_fields(op: str) -> set[str]:
    params = inspect.signature(getattr(graft, OPERATIONS[op].python)).parameters.values()
    return {p.name for p in params if p.kind is not inspect.Parameter.VAR_KEYWORD} - PY_ONLY - PY_EXTRA.get(op, set())


@pytest.fixture(scope="module")
def openapi() -> dict:
    from graft.server.openapi import openapi_document

    return openapi_document()


def schema_properties(doc: dict, schema: dict) -> set[str]:
    if "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return set(schema.get("properties", {}))


def http_fields(doc: dict, op: str) -> set[str]:
    method, path = OPERATIONS[op].http
    route = doc["paths"][path][method]
    names = {p["name"] for p in route.get("parameters", [])}
    for body in route.get("requestBody", {}).get("content", {}).values():
        names |= schema_properties(doc, body["schema"])
    return {HTTP_ID[op] if n == "id" and op in HTTP_ID else HTTP_NAMES.get(n, n) for n in names}


@pytest.mark.parametrize("op", OPERATIONS)
def test_the_cli_offers_the_contract(op):
    found, params = cli_fields(op)
    assert found == cli_expected(op), f"graft {' '.join(OPERATIONS[op].cli)}"
    model = OPERATIONS[op].request
    fields = {**model.model_fields, **{k: v for f in FLATTENED if f in model.model_fields
                                       for k, v in model.model_fields[f].annotation.model_fields.items()}}
    for name, param in params.items():   # a default the contract states is the CLI's default too
        info = fields.get(name)
        if info is None or info.is_required() or (op, name) in CLI_DEFAULTS_DIFFER:
            continue
        default = info.get_default(call_default_factory=True)
        if isinstance(default, (int, float, str, type(None))):
            assert param.default == default, f"graft {' '.join(OPERATIONS[op].cli)} --{name}"


@pytest.mark.parametrize("op", OPERATIONS)
def test_python_offers_the_contract(op):
    assert python_fields(op) == contract_fields(op), f"graft.{OPERATIONS[op].python}"


@pytest.mark.parametrize("op", OPERATIONS)
def test_http_offers_the_contract(openapi, op):
    method, path = OPERATIONS[op].http
    assert method in openapi["paths"].get(path, {}), f"{method.upper()} {path}"
    assert http_fields(openapi, op) == contract_fields(op) - HTTP_LACKS.get(op, set()), f"{method.upper()} {path}"


def test_a_face_with_a_parameter_the_contract_lacks_fails(monkeypatch):
    from graft.contracts.base import Strict

    class Fewer(Strict):
        """A lineage contract without `model`: every face now offers one parameter too many."""
    monkeypatch.setitem(OPERATIONS, "lineage", OPERATIONS["lineage"]._replace(request=Fewer))
    assert python_fields("lineage") != contract_fields("lineage")
    assert cli_fields("lineage")[0] != cli_expected("lineage")


# -- behaviour: a data set imported by the CLI and by Python is in the registry -------------------------------
def small_csv(path) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["label", *(f"p{i}" for i in range(16))])
        for i in range(20):
            writer.writerow([i % 2, *((i * 7 + j * 13) % 256 for j in range(16))])


def graft_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "graft.cli", *args], capture_output=True, text=True, timeout=120)


def test_graft_datasets_import_registers_what_datasets_list_shows(tmp_path):
    small_csv(tmp_path / "tiny.csv")
    ws = str(tmp_path / "ws")
    done = graft_cli("datasets", "import", str(tmp_path / "tiny.csv"), "--name", "tiny", "--test-fraction", "0.25",
                     "--workspace", ws, "--json")
    assert done.returncode == 0, done.stderr
    rec = json.loads(done.stdout)
    assert rec["id"].startswith("ds-") and rec["name"] == "tiny" and rec["classes"] == ["0", "1"]
    assert rec["sizes"] == {"train": 15, "test": 5}
    listed = json.loads(graft_cli("datasets", "list", "--workspace", ws, "--json").stdout)
    assert any(r.get("id") == rec["id"] and r["name"] == "tiny" for r in listed)


def test_graft_datasets_import_names_a_bad_file(tmp_path):
    (tmp_path / "bad.csv").write_text("label,a\n1,x\n")
    done = graft_cli("datasets", "import", str(tmp_path / "bad.csv"), "--workspace", str(tmp_path / "ws"))
    assert done.returncode == 1 and "bad.csv" in done.stderr and "Traceback" not in done.stderr


def test_graft_import_dataset_from_python(tmp_path):
    small_csv(tmp_path / "tiny.csv")
    ws = graft.Workspace(tmp_path / "ws")
    try:
        rec = graft.import_dataset(ws, tmp_path / "tiny.csv", name="tiny")
        assert [d["id"] for d in ws.list_datasets()] == [rec["id"]]
        assert rec["sizes"]["train"] == 20 and rec["source"] == {"file": "tiny.csv"}
    finally:
        ws.close()


def test_the_contracts_are_pure():
    code = ("import sys, graft.contracts, graft.contracts.operations; "
            "print(sorted(m for m in ('torch', 'numpy', 'fastapi', 'sqlalchemy') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr
