"""The synergy report: does training tasks together on one foundation help or hurt each of them?

Each task is trained alone (the foundation + its own head) and then all together (the foundation + one head
per task, one network with several outputs), with the same budget: the same epochs over each task's data, the
same seed, the same learning rate and the same foundation training. With `foundation_training: finetune` the
foundation's weights move, so tasks can help (or hurt) each other through it; with `frozen` only the heads
train and joint training cannot change what a task learns (the report then measures noise and time only).
Every training is registered (so the foundations catalogue lists the models and their evaluations).
"""
from __future__ import annotations

import copy
import secrets
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Callable

from ..contracts.synergy import SynergyRequest, SynergyTask
from ..engine.cancel import check
from .data_refs import data_ref, load_split
from .report import head_nodes, machine, save_report

_DEFAULT = {k: f.get_default(call_default_factory=True) for k, f in SynergyRequest.model_fields.items()
            if not f.is_required()}
BASE = "base"


def _tasks(tasks: Any) -> list[SynergyTask]:
    if isinstance(tasks, dict) and "tasks" in tasks:          # a tasks file may be {tasks: [...]}
        tasks = tasks["tasks"]
    if not isinstance(tasks, list) or len(tasks) < 2:
        raise ValueError(f"tasks: expected a list of at least two tasks ({{name, data, per_class}}), found "
                         f"{tasks!r:.80}")
    out = []
    for i, t in enumerate(tasks):
        try:
            out.append(t if isinstance(t, SynergyTask) else SynergyTask.model_validate(t, strict=False))
        except Exception as err:            # pydantic's message, with the task's place in the list
            first = err.errors()[0] if hasattr(err, "errors") else {"loc": (), "msg": str(err)}
            where = ".".join(str(p) for p in first["loc"])
            raise ValueError(f"tasks.{i}{'.' + where if where else ''}: {first['msg']}") from None
    names = [t.name for t in out]
    for i, name in enumerate(names):
        if names.index(name) != i:
            raise ValueError(f"tasks.{i}.name: expected distinct task names, found {name!r} twice")
    return out


def _refs(task: SynergyTask, seed: int) -> tuple[dict, dict]:
    """(training reference: the data with `per_class` drawn, test reference: the data's test split)."""
    base = data_ref(task.data.model_dump(exclude_none=True) if hasattr(task.data, "model_dump") else task.data)
    base.pop("split", None)
    train = copy.deepcopy(base)
    if task.per_class is not None:
        train["transforms"] = [*(train.get("transforms") or []), {"per_class": task.per_class, "seed": seed}]
    return train, {**base, "split": "test"}


def _head(task: SynergyTask, n_classes: int) -> list[dict]:
    """The task's head nodes, named <task>_<node>, reading the foundation node."""
    nodes = head_nodes(task.head, n_classes)
    ids = {n["id"]: f"{task.name}_{n['id']}" for n in nodes}
    out, prev = [], BASE
    for n in nodes:
        n = {**n, "id": ids[n["id"]], "inputs": [ids.get(i, i) for i in n.get("inputs", [])] or [prev]}
        out.append(n)
        prev = n["id"]
    return out


def _network(foundation: dict, heads: list[list[dict]], frozen: bool, lr_multiplier: float, name: str) -> dict:
    from ..spec.graph import graft_network

    nodes = [n for head in heads for n in head]
    doc = graft_network(foundation["spec"], foundation["id"], nodes, node_id=BASE, frozen=frozen,
                        lr_multiplier=lr_multiplier, name=name, validate=False).model_dump(mode="json",
                                                                                           exclude_none=True)
    if len(heads) > 1:
        doc["outputs"] = [head[-1]["id"] for head in heads]
    return doc


def synergy_report(ws, foundation: str, tasks: Any, epochs: int = _DEFAULT["epochs"],
                   foundation_training: str = _DEFAULT["foundation_training"],
                   foundation_lr_multiplier: float = _DEFAULT["foundation_lr_multiplier"],
                   task_mixing: str = _DEFAULT["task_mixing"], lr: float = _DEFAULT["lr"],
                   batch_size: int = _DEFAULT["batch_size"], seed: int = _DEFAULT["seed"],
                   threads: int | None = _DEFAULT["threads"], store: bool = True,
                   should_stop: Callable | None = None, on_stage: Callable[[float, str], None] | None = None) -> dict:
    """Per task: test accuracy trained alone and trained together, their difference and the time each took."""
    request = SynergyRequest.model_validate(
        {"foundation": foundation, "tasks": [t.model_dump() if isinstance(t, SynergyTask) else t
                                             for t in _tasks(tasks)],
         "epochs": epochs, "foundation_training": foundation_training,
         "foundation_lr_multiplier": foundation_lr_multiplier, "task_mixing": task_mixing, "lr": lr,
         "batch_size": batch_size, "seed": seed, "threads": threads}, strict=False)
    with torch_threads(request.threads):
        return _synergy(ws, request, store, should_stop, on_stage)


@contextmanager
def torch_threads(n: int | None):
    """torch's intra-op threads set to `n` while the report runs (None: as they are), then put back."""
    import torch

    before = torch.get_num_threads()
    if n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _synergy(ws, request: SynergyRequest, store: bool, should_stop, on_stage) -> dict:
    from .evaluate import evaluate_model
    from .train import train_model

    fnd = ws.models.get(request.foundation)
    if fnd.get("kind") != "foundation":
        raise ValueError(f"foundation: {fnd['id']} is a {fnd.get('kind')}, not a foundation (fnd-...): slice one "
                         "off a trained model first")
    frozen = request.foundation_training == "frozen"
    hp = {"epochs": request.epochs, "lr": request.lr, "batch_size": request.batch_size, "seed": request.seed}
    stage = on_stage or (lambda fraction, text: None)
    plan = []
    for task in request.tasks:
        train_ref, test_ref = _refs(task, request.seed)
        test_ds = load_split(ws, test_ref, "test")
        train_ds = load_split(ws, train_ref, "train")
        plan.append((task, train_ref, test_ref, _head(task, len(test_ds.classes)), len(train_ds), test_ds))
    steps = len(plan) + 1
    rows = []
    for i, (task, train_ref, test_ref, head, train_size, test_ds) in enumerate(plan):
        check(should_stop)
        stage(i / steps, f"{task.name} alone ({i + 1} of {len(plan)})")
        net = _network(fnd, [head], frozen, request.foundation_lr_multiplier, f"{fnd['name']}-{task.name}")
        t0 = time.perf_counter()
        model = train_model(ws, net, train_ref, hp, name=f"{fnd['name']}/{task.name}-alone",
                            description=f"synergy report: {task.name} alone on {fnd['id']}", progress_bar=False,
                            should_stop=should_stop)
        seconds = time.perf_counter() - t0
        ev = evaluate_model(ws, model["id"], test_ref, should_stop=should_stop)
        rows.append({"name": task.name, "data": train_ref, "test": test_ref, "classes": list(test_ds.classes),
                     "train_size": train_size, "test_size": len(test_ds), "alone_seconds": round(seconds, 3),
                     "alone": {"accuracy": ev["accuracy"], "hit": ev["hit"], "model_id": model["id"],
                               "evaluation_id": ev["id"],
                               "train_seconds": (model.get("metrics") or {}).get("seconds")}})
    check(should_stop)
    stage(len(plan) / steps, f"all {len(plan)} tasks together")
    net = _network(fnd, [p[3] for p in plan], frozen, request.foundation_lr_multiplier,
                   f"{fnd['name']}-{'+'.join(t.name for t in request.tasks)}")
    t0 = time.perf_counter()
    joint = train_model(ws, net, hparams={**hp, "task_mixing": request.task_mixing},
                        tasks=[{"name": task.name, "output": head[-1]["id"], "data": train_ref,
                                "weight": task.weight} for task, train_ref, _, head, _, _ in plan],
                        name=f"{fnd['name']}/together", progress_bar=False, should_stop=should_stop,
                        description=f"synergy report: {', '.join(t.name for t in request.tasks)} together on "
                                    f"{fnd['id']}")
    together_seconds = time.perf_counter() - t0
    for row, (task, _, test_ref, head, _, _) in zip(rows, plan):
        ev = evaluate_head(ws, joint["id"], head[-1]["id"], test_ref, should_stop=should_stop)
        row["together"] = {"accuracy": ev["accuracy"], "hit": ev["hit"], "model_id": joint["id"],
                           "evaluation_id": ev["id"]}
        row["difference"] = round(ev["accuracy"] - row["alone"]["accuracy"], 6)
    report = {"id": f"rep-{secrets.token_hex(6)}", "kind": "synergy", "foundation_id": fnd["id"],
              "foundation_name": fnd["name"], "target": {"tasks": [r["name"] for r in rows]}, "rows": rows,
              "epochs": request.epochs,
              "hparams": {**hp, "foundation_training": request.foundation_training,
                          "foundation_lr_multiplier": request.foundation_lr_multiplier,
                          "task_mixing": request.task_mixing,
                          **({"threads": request.threads} if request.threads else {})},
              "alone_seconds": round(sum(r["alone_seconds"] for r in rows), 3),
              "together_seconds": round(together_seconds, 3), "together_model_id": joint["id"],
              "together_train_seconds": (joint.get("metrics") or {}).get("seconds"),
              "mean_difference": round(sum(r["difference"] for r in rows) / len(rows), 6),
              "machine": machine(), "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    stage(1.0, "done")
    if store:
        save_report(ws, report)
    return report


def evaluate_head(ws, model_id: str, output: str, test_ref: dict, should_stop=None) -> dict:
    """One head of a several-headed model on its test set, registered as an evaluation (summary.output)."""
    from .evaluate import evaluate_model

    return evaluate_model(ws, model_id, test_ref, split="test", should_stop=should_stop, output=output)


def format_synergy(report: dict) -> str:
    """The report as a table: per task alone, together and the difference in points (negative: it hurt)."""
    lines = [f"synergy report {report['id']}: {len(report['rows'])} tasks on {report['foundation_name']} "
             f"({report['foundation_id']}), {report['epochs']} epochs over each task's data, foundation "
             f"{report['hparams']['foundation_training']}, seed {report['hparams']['seed']}",
             f"{'task':<16} {'train':>6} {'test':>6} {'alone':>8} {'together':>9} {'difference':>11} {'alone s':>8}"]
    for r in report["rows"]:
        lines.append(f"{r['name']:<16} {r['train_size']:>6} {r['test_size']:>6} {r['alone']['accuracy']:>8.2%} "
                     f"{r['together']['accuracy']:>9.2%} {r['difference'] * 100:>+8.2f} pt {r['alone_seconds']:>8.1f}")
    verdict = ("joint training helped on average" if report["mean_difference"] > 0 else
               "joint training hurt on average" if report["mean_difference"] < 0 else "no difference on average")
    lines.append(f"mean difference {report['mean_difference'] * 100:+.2f} pt ({verdict}); time: alone "
                 f"{report['alone_seconds']:.1f} s in all, together {report['together_seconds']:.1f} s")
    return "\n".join(lines)
