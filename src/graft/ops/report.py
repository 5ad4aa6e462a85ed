"""What a foundation buys: a new head on the frozen foundation against the same network trained from scratch.

`transfer_report` trains both on the same labelled samples for each label budget (samples per class) and
evaluates both on the same test set. `scratch_baseline` does the same for one registered model (the workflow
evaluate step's `scratch_baseline` option). Reports are stored by the workspace (`ws.reports`: JSON and a PNG
plot), so the API and the workbench can show them later.
"""
from __future__ import annotations

import copy
import math
import platform
import secrets
from datetime import datetime, timezone
from typing import Any, Sequence

from ..contracts.hparams import TrainHparams
from ..contracts.requests import ReportRequest
from ..engine.cancel import check
from ..spec.network import INPUT, NetworkSpec
from ..store.reports import REPORT_ID  # noqa: F401  (the server's report routes check ids with it)
from .data_refs import data_ref, load_split
from .train import feature_cache, library_versions

HEADS = ("linear", "mlp")
MIN_STEPS = 300            # "auto" epochs: at least this many optimizer steps, so tiny label sets still fit


# -- the from-scratch twin of a network ----------------------------------------------------------------
def scratch_network(spec: NetworkSpec | dict) -> dict:
    """The same layers with every Foundation node replaced by its own (fresh, trainable) nodes.

    Inner node `n` of foundation node `f` becomes `f_n`; what read `f` reads the foundation's output node.
    """
    spec = spec if isinstance(spec, NetworkSpec) else NetworkSpec.model_validate(spec)
    doc = spec.model_dump(mode="json", exclude_none=True)
    return _inline(doc)


def _inline(doc: dict) -> dict:
    nodes, rename, taken = [], {}, {n["id"] for n in doc["nodes"]}
    for node in doc["nodes"]:
        if node["type"] != "Foundation":
            nodes.append(node)
            continue
        inner = _inline(node["network"])
        prefix, source = node["id"], node["inputs"][0]
        ids = {n["id"]: f"{prefix}_{n['id']}" for n in inner["nodes"]}
        for new in ids.values():
            if new in taken or len(new) > 64:
                raise ValueError(f"node {prefix}: cannot inline its foundation: node id {new!r} is taken or "
                                 "longer than 64 characters")
            taken.add(new)
        for n in inner["nodes"]:
            n = copy.deepcopy(n)
            n["inputs"] = [source if i == INPUT else ids[i] for i in n.get("inputs", [])]
            n["id"] = ids[n["id"]]
            nodes.append(n)
        rename[prefix] = ids[_output_of(inner)]
    for n in nodes:
        n["inputs"] = [rename.get(i, i) for i in n.get("inputs", [])]
    out = {k: v for k, v in doc.items() if k not in ("nodes", "outputs")}
    out["nodes"] = nodes
    if doc.get("outputs"):
        out["outputs"] = [rename.get(o, o) for o in doc["outputs"]]
    out["name"] = f"{doc.get('name', 'network')}-scratch"
    return out


def _output_of(doc: dict) -> str:
    if doc.get("outputs"):
        return doc["outputs"][0]
    used = {i for n in doc["nodes"] for i in n.get("inputs", [])}
    sinks = [n["id"] for n in doc["nodes"] if n["id"] not in used]
    return sinks[-1] if sinks else doc["nodes"][-1]["id"]


def scratch_baseline(ws, model_id: str, data: Any, epochs: int | None = None, name: str | None = None,
                     progress_bar: bool = False, batch_size: int | None = None, lr: float | None = None,
                     should_stop=None) -> dict:
    """Train the from-scratch twin of `model_id` on the model's own training data and hyperparameters, and
    evaluate it on `data`; returns {scratch_accuracy, scratch_model_id, scratch_evaluation_id, ...}."""
    from .evaluate import evaluate_model
    from .train import train_model

    record = ws.models.get(model_id)
    if not record.get("dataset"):
        raise ValueError(f"model {model_id}: its record names no training data, so there is no baseline to train")
    hp = {k: v for k, v in (record.get("hparams") or {}).items() if k not in ("normalization", "progress")}
    for key, value in (("epochs", epochs), ("batch_size", batch_size), ("lr", lr)):
        if value is not None:
            hp[key] = value
    twin = train_model(ws, scratch_network(record["spec"]), record["dataset"], hp,
                       name=name or f"{record['name']}-scratch",
                       description=f"from-scratch baseline of {record['id']}", progress_bar=progress_bar,
                       should_stop=should_stop)
    ev = evaluate_model(ws, twin["id"], data, should_stop=should_stop)
    return {"scratch_accuracy": ev["accuracy"], "scratch_hit": ev["hit"], "scratch_model_id": twin["id"],
            "scratch_evaluation_id": ev["id"], "scratch_train_seconds": twin["metrics"].get("seconds"),
            "train_seconds": (record.get("metrics") or {}).get("seconds"), "scratch_epochs": hp.get("epochs"),
            "scratch_batch_size": hp.get("batch_size"), "scratch_lr": hp.get("lr")}


# -- the transfer report ------------------------------------------------------------------------------
SEMI_EPOCHS = 5        # over labelled + pseudo-labelled images (tens of thousands): enough for a head


def head_nodes(head: str | list[dict], n_classes: int) -> list[dict]:
    if isinstance(head, list):
        return copy.deepcopy(head)
    if head == "linear":
        return [{"id": "flat", "type": "Flatten"}, {"id": "out", "type": "Linear", "params": {"out_features": n_classes}}]
    if head == "mlp":
        return [{"id": "flat", "type": "Flatten"}, {"id": "fc1", "type": "Linear", "params": {"out_features": 128}},
                {"id": "relu", "type": "ReLU"}, {"id": "out", "type": "Linear", "params": {"out_features": n_classes}}]
    raise ValueError(f"head: expected {' or '.join(HEADS)} or a list of nodes, found {head!r}")


def auto_epochs(n: int, batch_size: int) -> int:
    return max(1, min(200, math.ceil(MIN_STEPS / math.ceil(n / batch_size))))


def _budget_ref(target: dict, budget: int | str, seed: int) -> dict:
    ref = copy.deepcopy(target)
    if budget != "all":
        ref["transforms"] = [*(ref.get("transforms") or []), {"per_class": int(budget), "seed": seed}]
    return ref


def _fit(ws, doc: dict, train_ds, test_ds, hp: dict, unlabeled_ds: Any = None, should_stop=None) -> dict:
    from ..engine.compile import compile_network
    from ..engine.evaluate import evaluate
    from ..engine.freeze import trainable_parameters
    from ..engine.train import train
    from ..spec.analyze import require_valid
    from .weights import load_foundation_weights

    spec, _ = require_valid(doc)
    model = compile_network(spec)
    foundations = load_foundation_weights(ws, model, spec)
    if foundations:
        hp = {**hp, "normalization": (foundations[0].get("hparams") or {}).get("normalization")}
    result = train(model, train_ds, None, {**hp, "progress": False}, feature_cache=feature_cache(ws),
                   unlabeled_ds=unlabeled_ds, should_stop=should_stop)
    ev = evaluate(model, test_ds, should_stop=should_stop)
    return {"accuracy": ev["accuracy"], "hit": ev["hit"], "train_seconds": round(result.seconds, 3),
            "train_loss": result.history[-1]["train_loss"] if result.history else None,
            "trainable_params": trainable_parameters(model), "feature_cache": result.feature_cache}


_DEFAULT = {k: f.get_default(call_default_factory=True) for k, f in ReportRequest.model_fields.items()}


def transfer_report(ws, foundation_id: str, target_data: Any = _DEFAULT["target"],
                    budgets: Sequence[int | str] = tuple(_DEFAULT["budgets"]),
                    head: str | list[dict] = _DEFAULT["head"],
                    epochs: int | str = _DEFAULT["epochs"], test_data: Any = None, hparams: dict | None = None,
                    seed: int = 0, store: bool = True, unlabeled: Any = None, should_stop=None) -> dict:
    """Per label budget (samples per class, or "all"): accuracy and training time of a new head on the frozen
    foundation and of the same network trained from scratch, on the same samples and the same test set.

    With `unlabeled` (a data set whose labels are never read), each budget short of "all" also trains the head
    semi-supervised: those images join with labels propagated from the budget's (row key `semi_supervised`).
    `should_stop` (engine.cancel) is checked per batch of every training and evaluation: a cancel raises
    Cancelled within a batch and stores nothing.
    """
    from ..spec.graph import graft_network

    foundation = ws.models.get(foundation_id)
    target = data_ref(target_data)
    test_ref = data_ref(test_data) if test_data is not None else {**target, "split": "test"}
    test_ds = load_split(ws, test_ref, test_ref.get("split", "test"))
    for b in budgets:
        if b != "all" and (isinstance(b, bool) or not isinstance(b, int) or b < 1):
            raise ValueError(f"budgets: expected whole numbers >= 1 or 'all', found {b!r}")
    nodes = head_nodes(head, len(test_ds.classes))
    grafted = graft_network(foundation["spec"], foundation["id"], nodes, frozen=True,
                            name=f"{foundation['name']}-head").model_dump(mode="json", exclude_none=True)
    scratch = scratch_network(grafted)
    trained = TrainHparams.defaults()
    base_hp = {"lr": trained["lr"], "batch_size": trained["batch_size"], "seed": seed,
               "schedule": trained["schedule"], **(hparams or {})}
    unlabeled_ref = data_ref(unlabeled) if unlabeled is not None else None
    unlabeled_ds = load_split(ws, unlabeled_ref, "train") if unlabeled_ref else None
    rows = []
    for budget in budgets:
        check(should_stop)          # loading a data set is not cancellable: check before and after it
        train_ds = load_split(ws, _budget_ref(target, budget, seed), "train")
        check(should_stop)
        n_epochs = auto_epochs(len(train_ds), base_hp["batch_size"]) if epochs == "auto" else int(epochs)
        hp = {**base_hp, "epochs": n_epochs}
        with_f = _fit(ws, grafted, train_ds, test_ds, hp, should_stop=should_stop)
        from_scratch = _fit(ws, scratch, train_ds, test_ds, hp, should_stop=should_stop)
        row = {"budget": budget, "train_size": len(train_ds), "epochs": n_epochs,
               "foundation": with_f, "scratch": from_scratch,
               "gain": round(with_f["accuracy"] - from_scratch["accuracy"], 6)}
        if unlabeled_ds is not None and budget != "all":
            semi_hp = {**hp, "epochs": SEMI_EPOCHS, "batch_size": max(hp["batch_size"], 256)}
            row["semi_supervised"] = {**_fit(ws, grafted, train_ds, test_ds, semi_hp, unlabeled_ds, should_stop),
                                      "epochs": SEMI_EPOCHS, "unlabeled_size": len(unlabeled_ds)}
        rows.append(row)
    report = {"id": f"rep-{secrets.token_hex(6)}", "kind": "transfer", "foundation_id": foundation["id"],
              "foundation_name": foundation["name"], "target": target, "test": test_ref,
              "test_size": len(test_ds), "head": nodes, "hparams": base_hp, "rows": rows,
              **({"unlabeled": unlabeled_ref} if unlabeled_ref else {}),
              "machine": machine(), "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    if store:
        save_report(ws, report)
    return report


def machine() -> dict:
    import os

    import torch

    return {"platform": platform.platform(), "cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "device": "cuda" if torch.cuda.is_available() else "cpu", "versions": library_versions()}


# -- storage (the workspace's reports repository) and the plot ----------------------------------------
def save_report(ws, report: dict):
    """Store a report and its plot (store.reports); returns the JSON's path."""
    return ws.reports.save(report, png=report_png(report))


def load_report(ws, report_id: str) -> dict:
    return ws.reports.get(report_id)


def list_reports(ws) -> list[dict]:
    return ws.reports.list()


def reports_dir(ws):
    return ws.layout.reports_dir()


def report_png(report: dict, size: tuple[int, int] = (640, 400), theme: str = "light") -> bytes:
    """Accuracy against label budget: the foundation's head (blue) and from scratch (orange); a synergy report
    draws its own (ops.synergy_plot). `theme`: light or dark (PALETTES), the background and the text."""
    import io

    from .synergy_plot import PALETTES, synergy_png

    if theme not in PALETTES:
        raise ValueError(f"theme: expected one of {', '.join(PALETTES)}, found {theme!r}")
    if report.get("kind") == "synergy":
        return synergy_png(report, size, PALETTES[theme])
    fg = PALETTES[theme]["fg"]

    from PIL import Image, ImageDraw

    w, h = size
    left, right, top, bottom = 60, 20, 40, 50
    img = Image.new("RGB", size, PALETTES[theme]["bg"])
    d = ImageDraw.Draw(img)
    rows = report["rows"]
    accs = [r[k]["accuracy"] or 0.0 for r in rows for k in ("foundation", "scratch", "semi_supervised") if r.get(k)]
    lo = max(0.0, math.floor(min(accs, default=0.0) * 10) / 10)
    span_x, span_y = max(len(rows) - 1, 1), max(1.0 - lo, 1e-6)

    def xy(i: int, acc: float) -> tuple[float, float]:
        return (left + (w - left - right) * (i / span_x if len(rows) > 1 else 0.5),
                h - bottom - (h - top - bottom) * (acc - lo) / span_y)

    d.rectangle([left, top, w - right, h - bottom], outline=fg)
    for k in range(11):
        acc = lo + span_y * k / 10
        y = xy(0, acc)[1]
        d.line([left - 4, y, left, y], fill=fg)
        d.text((4, y - 6), f"{acc:.0%}", fill=fg)
    for i, r in enumerate(rows):
        x = xy(i, lo)[0]
        d.text((x - 20, h - bottom + 8), f"{r['budget']}/class" if r["budget"] != "all" else "all", fill=fg)
    for key, colour in (("foundation", (31, 119, 180)), ("scratch", (255, 127, 14)),
                        ("semi_supervised", (44, 160, 44))):
        pts = [xy(i, r[key]["accuracy"] or 0.0) for i, r in enumerate(rows) if r.get(key)]
        if len(pts) > 1:
            d.line(pts, fill=colour, width=3)
        for x, y in pts:
            d.ellipse([x - 4, y - 4, x + 4, y + 4], fill=colour)
    d.text((left, 10), f"{report.get('foundation_name', '')} -> {report['target'].get('dataset')}: "
                       "test accuracy by labels per class", fill=fg)
    legend = [("blue: frozen foundation + head", (31, 119, 180)), ("orange: from scratch", (255, 127, 14))]
    if any(r.get("semi_supervised") for r in rows):
        legend.append(("green: + unlabeled images", (44, 160, 44)))
    x = left
    for text, colour in legend:          # one line under the title, clear of the curves and the axis labels
        d.text((x, h - 22), text, fill=colour)
        x += int(d.textlength(text)) + 24
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()
