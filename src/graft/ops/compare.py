"""Two evaluations side by side: accuracy, hit/total, per class, and the samples whose prediction changed.

Samples are matched by the row of the stored data behind them, followed back through edited versions to the
data set they were made from (data.edit.parent_rows), so an evaluation on a fixed version lines up with one on
its parent even when rows were left out. A sample is `fixed` when it was wrong in `a` and is right in `b`
(each judged by its own labels: a relabelled image counts as right when it gets its new label), `broken` the
other way round.
"""
from __future__ import annotations

import numpy as np

CHANGED_MAX = 2000   # the list of changed samples; the counts are always whole


def sample_keys(ws, ev: dict) -> tuple[str, str, np.ndarray] | None:
    """(root data set, split, root row of each sample), or None when the data cannot be followed back."""
    from ..data.edit import parent_rows, row_indices
    from ..data.errors import DataError

    ref = dict(ev.get("data") or {})
    split = ref.pop("split", None) or "test"
    try:
        source, rows = row_indices(ref, split, ws.root)
        dataset = ref["dataset"]
        for _ in range(100):        # edits of edits: each hop is one parent
            up = parent_rows(dataset, source, ws.root)
            if up is None:
                break
            dataset, rows = up[0], up[1][rows]
    except (DataError, KeyError, OSError, ValueError):
        return None
    return dataset, source, rows


def _figures(ev: dict) -> dict:
    s = ev.get("summary") or {}
    return {"id": ev["id"], "model_id": ev["model_id"], "model_name": s.get("model_name"), "data": ev.get("data"),
            "total": s.get("total"), "hit": s.get("hit"), "accuracy": s.get("accuracy")}


def _per_class(a: dict, b: dict) -> list[dict]:
    rows: dict[str, dict] = {}
    for side, ev in (("a", a), ("b", b)):
        for c in (ev.get("summary") or {}).get("per_class") or []:
            row = rows.setdefault(str(c["class"]), {"class": str(c["class"]), "a": None, "b": None})
            row[side] = {"total": c["total"], "hit": c["hit"], "accuracy": c["accuracy"]}
    return list(rows.values())


def compare_evaluations(ws, a: str, b: str) -> dict:
    """{a, b (figures), per_class: [{class, a, b}], matched, fixed, broken, changed: [samples], note}."""
    ea, eb = ws.evaluations.get(a), ws.evaluations.get(b)
    out = {"a": _figures(ea), "b": _figures(eb), "per_class": _per_class(ea, eb), "matched": 0, "fixed": 0,
           "broken": 0, "changed": [], "changed_more": 0, "note": None}
    ka, kb = sample_keys(ws, ea), sample_keys(ws, eb)
    if ka is None or kb is None or ka[:2] != kb[:2]:
        out["note"] = "the two evaluations ran on different data, so their samples cannot be matched"
        return out
    pa, pb = ws.evaluations.predictions(a), ws.evaluations.predictions(b)
    common, ia, ib = np.intersect1d(ka[2], kb[2], assume_unique=False, return_indices=True)
    hit_a = pa["labels"][ia] == pa["preds"][ia]
    hit_b = pb["labels"][ib] == pb["preds"][ib]
    differ = np.flatnonzero((pa["preds"][ia] != pb["preds"][ib]) | (pa["labels"][ia] != pb["labels"][ib])
                            | (hit_a != hit_b))
    differ = differ[np.argsort(ia[differ], kind="stable")]
    ca = (ea.get("summary") or {}).get("classes") or []
    cb = (eb.get("summary") or {}).get("classes") or []
    name = lambda classes, k: classes[k] if 0 <= k < len(classes) else str(k)   # noqa: E731
    out.update(matched=int(len(common)), fixed=int((~hit_a & hit_b).sum()), broken=int((hit_a & ~hit_b).sum()))
    for j in differ[:CHANGED_MAX]:
        x, y = int(ia[j]), int(ib[j])
        change = "fixed" if hit_b[j] and not hit_a[j] else "broken" if hit_a[j] and not hit_b[j] else "changed"
        out["changed"].append({"row": int(common[j]), "a_index": x, "b_index": y, "change": change,
                               "a_label": name(ca, int(pa["labels"][x])), "a_prediction": name(ca, int(pa["preds"][x])),
                               "b_label": name(cb, int(pb["labels"][y])), "b_prediction": name(cb, int(pb["preds"][y]))})
    out["changed_more"] = max(0, int(len(differ)) - CHANGED_MAX)
    only_a, only_b = len(ka[2]) - len(common), len(kb[2]) - len(common)
    if only_a or only_b:
        out["note"] = (f"not compared: {only_a} image(s) only in {a} and {only_b} only in {b} (left out of a "
                       "fixed version, or outside the other's subset)")
    return out


def format_comparison(c: dict) -> str:
    a, b = c["a"], c["b"]
    pct = lambda v: f"{v * 100:.2f}%" if isinstance(v, (int, float)) else "-"   # noqa: E731
    lines = [f"{'':<10} {a['id']:<16} {b['id']:<16}",
             f"{'model':<10} {str(a['model_name'])[:16]:<16} {str(b['model_name'])[:16]:<16}",
             f"{'total':<10} {a['total']!s:<16} {b['total']!s:<16}", f"{'hit':<10} {a['hit']!s:<16} {b['hit']!s:<16}",
             f"{'accuracy':<10} {pct(a['accuracy']):<16} {pct(b['accuracy']):<16}",
             f"matched {c['matched']}, fixed {c['fixed']}, broken {c['broken']}"]
    for s in c["changed"][:20]:
        lines.append(f"  row {s['row']}: {s['change']:<7} {s['a_label']}->{s['a_prediction']}  then  "
                     f"{s['b_label']}->{s['b_prediction']}")
    if c.get("note"):
        lines.append(f"note: {c['note']}")
    return "\n".join(lines)
