"""The import rules of docs/design.md ("Layers"), checked on the source: every import statement, including
those inside functions, of every module under src/graft (an import-linter in a few lines of ast).

    core (spec, workflow.schema, contracts)  <-  data, engine, tracking  <-  store  <-  ops  <-  workflow
      <-  faces (server, cli*, the Python API in graft/__init__.py)
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

# module prefix -> layer; the longest matching prefix wins
LAYER_OF = {
    "graft.spec": "core", "graft.workflow.schema": "core", "graft.contracts": "core",
    "graft.data": "data", "graft.engine": "engine", "graft.tracking": "tracking", "graft.store": "store",
    "graft.ops": "ops", "graft.workflow": "workflow",
    "graft.server": "faces", "graft.cli": "faces", "graft.__main__": "faces", "graft": "faces",
}
BELOW_STORE = {"core", "data", "engine", "tracking"}
# layer -> the layers it may import (besides itself)
MAY_IMPORT = {
    "core": set(),
    "data": {"core"}, "engine": {"core"}, "tracking": {"core"},
    "store": BELOW_STORE,
    "ops": BELOW_STORE | {"store"},
    "workflow": {"core", "data", "tracking", "store", "ops"},            # not engine: through ops
    "faces": {"core", "data", "tracking", "store", "ops", "workflow"},   # not engine: through ops
}
HEAVY = {"torch", "numpy", "fastapi", "starlette", "sqlalchemy", "onnx", "onnxruntime", "safetensors", "mlflow",
         "uvicorn"}
WEB = {"fastapi", "starlette", "uvicorn"}
# layer -> third-party packages it must not import
FORBIDDEN = {
    "core": HEAVY,
    "data": {"torch", "sqlalchemy", "mlflow"} | WEB,
    "engine": {"sqlalchemy", "mlflow"} | WEB,
    "tracking": {"torch", "sqlalchemy"} | WEB,
    "store": WEB,
    "ops": WEB,
    "workflow": WEB,
}
# `from .. import __version__` reads a constant of the lazy, import-free package root: allowed everywhere
ANYONE_MAY_IMPORT = {"graft", "graft.__version__"}
# (importing module, imported module) pairs that break a rule today, each with why it is tolerated
EXCEPTIONS: dict[tuple[str, str], str] = {}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module the file imports, anywhere in it; relative imports resolved; the Python API's lazy names too."""
    name = module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else []))
            # `from . import x` may import a submodule x: count base.x
            found |= {base} if node.module else {f"{base}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Constant) and name == "graft" and isinstance(node.value, str) \
                and node.value.startswith("graft."):   # graft/__init__.py's _LAZY table of module names
            found.add(node.value)
    return found


def layer_of(module: str) -> str | None:
    matches = [p for p in LAYER_OF if module == p or module.startswith(p + ".") or
               (p == "graft.cli" and module.startswith("graft.cli"))]
    return LAYER_OF[max(matches, key=len)] if matches else None


MODULES = sorted(SRC.joinpath("graft").rglob("*.py"))


def test_every_module_has_a_layer():
    assert MODULES and all(layer_of(module_name(p)) for p in MODULES)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_imports_follow_the_layers(path):
    me = module_name(path)
    mine = layer_of(me)
    broken = []
    for target in sorted(imports(path)):
        top = target.split(".")[0]
        if top == "graft":
            theirs = layer_of(target)
            if target in ANYONE_MAY_IMPORT or theirs == mine or theirs in MAY_IMPORT[mine]:
                continue
            why = f"{mine} may not import {theirs}"
        elif top in FORBIDDEN.get(mine, ()):
            why = f"{mine} may not import {top}"
        else:
            continue
        if (me, target) not in EXCEPTIONS:
            broken.append(f"{me} imports {target}: {why}")
    assert not broken, "\n".join(broken)


def test_the_core_imports_nothing_by_name():
    """No importlib / __import__ in the pure core: a document can never choose code to load."""
    for path in MODULES:
        if layer_of(module_name(path)) == "core":
            tree = ast.parse(path.read_text(encoding="utf-8"))
            names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | \
                    {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
            assert not names & {"__import__", "import_module"}, module_name(path)
            assert "importlib" not in imports(path), module_name(path)


def test_the_rules_catch_a_torch_import_inside_a_function(tmp_path, monkeypatch):
    fake = tmp_path / "graft" / "spec" / "bad.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("def build():\n    from torch import nn\n    from ..engine import modules\n")
    monkeypatch.setitem(globals(), "SRC", tmp_path)
    with pytest.raises(AssertionError, match=r"(?s)spec.bad imports graft.engine: core may not import engine.*"
                                             r"spec.bad imports torch: core may not import torch"):
        test_imports_follow_the_layers(fake)


def test_exceptions_are_still_needed():
    live = {(module_name(p), t) for p in MODULES for t in imports(p)}
    assert set(EXCEPTIONS) <= live, "an exception no longer happens: delete it"
