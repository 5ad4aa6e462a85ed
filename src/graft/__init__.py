"""graft: a workbench for foundation models.

    import graft
    ws = graft.Workspace("graft-workspace")
    base = graft.train(ws, {"template": "example-cnn"}, "mnist", {"epochs": 3})
    foundation = graft.slice(ws, base["id"], end="flatten")
    ...

Names are imported on first use so that `import graft` (and `graft --help`) stays fast and torch-free.
"""
__version__ = "0.1.0"

_LAZY = {
    "Workspace": ("graft.store", "Workspace"),
    "analyze": ("graft.spec.analyze", "analyze"),
    "train": ("graft.ops", "train_model"),
    "slice": ("graft.ops.faces", "slice"),
    "evaluate": ("graft.ops.faces", "evaluate"),
    "pretrain": ("graft.ops.faces", "pretrain"),
    "transfer_report": ("graft.ops.faces", "transfer_report"),
    "embed": ("graft.ops.faces", "embed"),
    "synergy_report": ("graft.ops.faces", "synergy_report"),
    "import_dataset": ("graft.ops.faces", "import_dataset"),
    "edit_dataset": ("graft.ops.faces", "edit_dataset"),
    "retrain": ("graft.ops.faces", "retrain"),
    "compare": ("graft.ops.faces", "compare"),
    "import_package": ("graft.ops.faces", "import_package"),
    "import_weights": ("graft.ops.faces", "import_weights"),
    "export": ("graft.ops.faces", "export"),
    "lineage": ("graft.ops.faces", "lineage"),
    "foundations": ("graft.ops.faces", "foundations"),
    "runs": ("graft.ops.faces", "runs"),
    "cancel": ("graft.ops.faces", "cancel"),
    "resume": ("graft.ops.resume", "resume"),
    "view": ("graft.ops", "view_rows"),
    "load_model": ("graft.ops", "load_model"),
    "load_dataset": ("graft.data", "load_dataset"),
    "run_workflow": ("graft.workflow", "run_workflow"),
    "graft_network": ("graft.spec.graph", "graft_network"),
    "import_model": ("graft.ops.faces", "import_model"),
    "from_torch": ("graft.ops.import_torch", "from_torch"),
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'graft' has no attribute {name!r}")


__all__ = ["__version__", *_LAZY]
