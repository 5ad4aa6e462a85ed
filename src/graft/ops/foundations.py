"""The foundations catalogue: for each foundation, the models grafted on it (their tasks and evaluations), and
whether each still runs on the foundation's exact weights.

"Exact" compares hashes the registry already holds (ops.lineage.foundation_checks): the foundation's
`block_sha256["foundation"]` against the grafted model's `block_sha256[<Foundation node>]`. A frozen graft keeps
them equal; fine-tuning the foundation (frozen: false, or a multi-task finetune) makes them differ.
"""
from __future__ import annotations

from .lineage import foundation_checks


def _made_by(record: dict) -> str:
    if record.get("pretraining"):
        return "pretrained"
    if record.get("imported") or not record.get("parent_id"):
        return "imported"
    return "sliced"


def _evaluation(ev: dict) -> dict:
    summary = ev.get("summary") or {}
    data = ev.get("data") or {}
    return {"id": ev["id"], "data": data, "split": data.get("split"), "accuracy": summary.get("accuracy"),
            "total": summary.get("total"), "output": summary.get("output"), "created_at": _iso(ev.get("created_at"))}


def _iso(value) -> str | None:
    return value.isoformat(timespec="seconds") if hasattr(value, "isoformat") else value


def _tasks(record: dict, evaluations: list[dict]) -> list[dict]:
    """A model with several heads: per task its name, output, data and its newest test accuracy (an evaluation
    whose summary names the output)."""
    out = []
    for task in record.get("tasks") or []:
        if not isinstance(task, dict):
            continue
        tested = next((e["accuracy"] for e in evaluations if e.get("output") == task.get("output")
                       and e["split"] in (None, "test")), None)
        out.append({"name": task.get("name"), "output": task.get("output"), "data": task.get("data"),
                    "accuracy": tested})
    return out


def foundations_catalogue(ws, foundation: str | None = None) -> list[dict]:
    """Every foundation (or the one named), newest first, each with the models that use it."""
    if foundation is not None:
        record = ws.models.get(foundation)
        if record.get("kind") != "foundation":
            raise ValueError(f"foundation: {record['id']} is a {record.get('kind')}, not a foundation (fnd-...)")
        records = [record]
    else:
        records = ws.models.list(kind="foundation")
    evaluations: dict[str, list[dict]] = {}
    for ev in ws.evaluations.list():            # newest first, once for the whole catalogue
        evaluations.setdefault(ev["model_id"], []).append(_evaluation(ev))
    out = []
    for fnd in records:
        uses = []
        for model in ws.used_by(fnd["id"]):
            evs = evaluations.get(model["id"], [])
            tested = next((e["accuracy"] for e in evs if e["split"] in (None, "test") and e["accuracy"] is not None
                           and e["output"] is None), None)
            for check in foundation_checks(ws, [model]):
                if check["foundation_id"] != fnd["id"]:
                    continue
                uses.append({"id": model["id"], "name": model["name"], "created_at": _iso(model.get("created_at")),
                             "node": check["node"], "frozen": check["frozen"], "exact": check["unchanged"],
                             "found_sha256": check["found_sha256"], "task": model.get("dataset"),
                             "tasks": _tasks(model, evs), "accuracy": tested, "evaluations": evs})
        out.append({"id": fnd["id"], "name": fnd["name"], "created_at": _iso(fnd.get("created_at")),
                    "params": fnd.get("params"), "weights_sha256": (fnd.get("block_sha256") or {}).get("foundation"),
                    "made_by": _made_by(fnd), "parent_id": fnd.get("parent_id"), "dataset": fnd.get("dataset"),
                    "models": uses, "exact": sum(u["exact"] is True for u in uses),
                    "changed": sum(u["exact"] is False for u in uses)})
    return out


def format_catalogue(entries: list[dict]) -> str:
    """The catalogue as text: one block per foundation, one line per model."""
    if not entries:
        return "no foundations yet: slice one off a trained model (graft slice) or pretrain one (graft pretrain)"
    lines = []
    for f in entries:
        lines.append(f"{f['id']}  {f['name']}  ({f['made_by']}, {f['params']} params, sha256 "
                     f"{(f['weights_sha256'] or '?')[:12]}): {len(f['models'])} model(s), {f['exact']} on its exact "
                     f"weights, {f['changed']} changed")
        for m in f["models"]:
            state = {True: "exact weights", False: "CHANGED (fine-tuned)", None: "not checked"}[m["exact"]]
            task = (m["task"] or {}).get("dataset", "?") if isinstance(m["task"], dict) else m["task"]
            acc = f"{m['accuracy']:.4f}" if m["accuracy"] is not None else "not evaluated"
            lines.append(f"  └─ {m['id']}  {m['name']:<28} task={task!s:<14} test={acc:<14} "
                         f"{'frozen' if m['frozen'] else 'trainable'}, {state}")
    return "\n".join(lines)
