"""Lineage of a model: what it came from, what was made from it, and whether frozen foundations stayed frozen.

A foundation's weights hash (`block_sha256["foundation"]`) must reappear unchanged as the block hash of every
Foundation node that grafts it frozen (`block_sha256[<node id>]` of the grafted model). A difference means the
foundation was trained (not frozen) or its weights were swapped.
"""
from __future__ import annotations

from ..spec.network import NetworkSpec


def _summary(record: dict) -> dict:
    out = {"id": record["id"], "name": record["name"], "kind": record["kind"],
           "parent_id": record.get("parent_id"), "foundation_ids": record.get("foundation_ids") or [],
           "weights_sha256": record.get("weights_sha256"), "created_at": record.get("created_at")}
    if record.get("tasks"):
        out["heads"] = heads_of(record)
    return out


def heads_of(record: dict) -> list[dict]:
    """[{name, output, data, accuracy}] of a model trained with several heads (ops.train_tasks)."""
    per_task = (record.get("metrics") or {}).get("tasks") or {}
    return [{"name": t["name"], "output": t["output"], "data": (t.get("data") or {}).get("dataset"),
             "accuracy": (per_task.get(t["name"]) or {}).get("accuracy")} for t in record.get("tasks") or []]


def _foundation_nodes(record: dict) -> list[tuple[str, str | None, bool]]:
    """(node id, foundation id, frozen) of each top-level Foundation node of a model's network (as trained:
    hparams.foundation overrides the node's params)."""
    spec = NetworkSpec.model_validate(record["spec"])
    mode = (record.get("hparams") or {}).get("foundation")
    out = []
    for node in spec.nodes:
        if node.type == "Foundation":
            ref = node.params.get("ref")
            frozen = bool(node.params.get("frozen", True)) if mode is None else mode == "frozen"
            out.append((node.id, ref if isinstance(ref, str) else None, frozen))
    return out


def foundation_checks(ws, records: list[dict]) -> list[dict]:
    """For each Foundation node of each record: the foundation's hash, the hash found, and whether they agree."""
    checks, cache = [], {}
    for record in records:
        for node, fid, frozen in _foundation_nodes(record):
            if fid not in cache:
                try:
                    cache[fid] = (ws.get_model(fid).get("block_sha256") or {}).get("foundation") if fid else None
                except KeyError:   # an imported model whose foundation stayed in another workspace
                    cache[fid] = None
            expected = cache[fid]
            found = (record.get("block_sha256") or {}).get(node)
            checks.append({"descendant": record["id"], "node": node, "foundation_id": fid, "frozen": frozen,
                           "expected_sha256": expected, "found_sha256": found,
                           "unchanged": None if expected is None or found is None else expected == found})
    return checks


def lineage(ws, model_id: str) -> dict:
    """{model, ancestors, descendants, used_by, foundation_checks} of a registered model or foundation."""
    record = ws.get_model(model_id)
    descendants = ws.descendants(record["id"])
    used_by = ws.used_by(record["id"]) if record["kind"] == "foundation" else []
    return {"model": _summary(record),
            "ancestors": [_summary(r) for r in ws.ancestors(record["id"])],
            "descendants": [_summary(r) for r in descendants],
            "used_by": [_summary(r) for r in used_by],
            "foundation_checks": foundation_checks(ws, [record, *descendants]),
            "imported_from": (record.get("imported") or {}).get("original_id")}


def _line(r: dict, checks: dict) -> str:
    text = f"{r['id']}  {r['kind']:<10} {r['name']}"
    if r.get("heads"):
        text += "  heads: " + ", ".join(f"{h['name']} ({h['output']} on {h['data']})" for h in r["heads"])
    for c in checks.get(r["id"], []):
        state = {True: "unchanged", False: "CHANGED", None: "not checked"}[c["unchanged"]]
        frozen = "frozen" if c["frozen"] else "trainable"
        text += f"  [{c['node']}: {frozen} {c['foundation_id'] or '?'} {state}]"
    return text


def format_lineage(result: dict) -> str:
    """The lineage as a text tree: ancestors (nearest last) above the model, descendants below it."""
    checks: dict[str, list[dict]] = {}
    for c in result["foundation_checks"]:
        checks.setdefault(c["descendant"], []).append(c)
    lines = []
    for depth, a in enumerate(reversed(result["ancestors"])):
        lines.append("  " * depth + _line(a, checks))
    depth = len(result["ancestors"])
    model = result["model"]
    lines.append("  " * depth + "* " + _line(model, checks)
                 + (f"  (imported; was {result['imported_from']})" if result.get("imported_from") else ""))
    below: dict[str, list[dict]] = {}
    for d in result["descendants"]:
        for up in [d["parent_id"], *d["foundation_ids"]]:
            if up:
                below.setdefault(up, []).append(d)
    shown: set[str] = set()

    def walk(node_id: str, level: int) -> None:
        for child in below.get(node_id, []):
            again = child["id"] in shown
            lines.append("  " * level + "└─ " + (f"{child['id']} (see above)" if again else _line(child, checks)))
            if not again:
                shown.add(child["id"])
                walk(child["id"], level + 1)
    walk(model["id"], depth + 1)
    changed = [c for c in result["foundation_checks"] if c["unchanged"] is False and c["frozen"]]
    if changed:
        lines.append(f"WARNING: {len(changed)} frozen foundation block(s) differ from their foundation")
    return "\n".join(lines)
