"""View any data set or evaluation result page by page; the last page ends with [EOF]."""
from __future__ import annotations

import math

import numpy as np

from .data_refs import data_ref, load_split
from .evaluate import evaluation_samples, get_evaluation

EOF_MARK = "[EOF]"


def _select(labels, preds=None, label=None, pred=None, wrong=False):
    keep = np.ones(len(labels), dtype=bool)
    if label is not None:
        keep &= labels == label
    if pred is not None and preds is not None:
        keep &= preds == pred
    if wrong and preds is not None:
        keep &= preds != labels
    return np.flatnonzero(keep)


def view_rows(ws, source: dict, page: int = 0, page_size: int = 20, label: int | None = None,
              pred: int | None = None, wrong: bool = False) -> dict:
    """One page of rows. source: {"evaluation": ID} or {"dataset": ref, "split": "test"}."""
    if page < 0 or page_size < 1:
        raise ValueError(f"page must be >= 0 and page_size >= 1, found page={page}, page_size={page_size}")
    if "evaluation" in source:
        ev = get_evaluation(ws, source["evaluation"])
        s = evaluation_samples(ws, ev["id"])
        index = _select(s["labels"], s["preds"], label, pred, wrong)
        classes = ev.get("classes") or []
        columns = ["index", "label", "prediction", "confidence", "hit"]

        def row(i):
            lab, prd = int(s["labels"][i]), int(s["preds"][i])
            return {"index": int(i), "label": _name(classes, lab), "prediction": _name(classes, prd),
                    "confidence": round(float(s["confidences"][i]), 4), "hit": lab == prd}
        title = f"evaluation {ev['id']} of {ev['model_name']}"
    else:
        ref = data_ref(source)
        ds = load_split(ws, ref, source.get("split", "test"))
        index = _select(ds.labels, label=label)
        columns = ["index", "label"]

        def row(i):
            return {"index": int(i), "label": _name(ds.classes, int(ds.labels[i]))}
        title = f"data set {ref['dataset']} ({source.get('split', 'test')})"
    pages = max(1, math.ceil(len(index) / page_size))
    chosen = index[page * page_size:(page + 1) * page_size]
    return {"title": title, "columns": columns, "rows": [row(i) for i in chosen], "indices": chosen.tolist(),
            "page": page, "pages": pages, "page_size": page_size, "total": int(len(index)),
            "eof": page >= pages - 1}


def _name(classes, label: int) -> str:
    return classes[label] if 0 <= label < len(classes) else str(label)


def format_rows(view: dict) -> str:
    cols = view["columns"]
    cells = [[str(r[c]) for c in cols] for r in view["rows"]]
    widths = [max([len(c)] + [len(row[j]) for row in cells]) for j, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells]
    if view["eof"]:
        lines.append(EOF_MARK)
    return "\n".join(lines)


def format_summary(ev: dict) -> str:
    """The seed's results table: total and hit, then accuracy."""
    lines = [f"total {ev['total']}", f"hit   {ev['hit']}", f"accuracy {ev['accuracy']:.4f}"]
    return "\n".join(lines)


def format_per_class(ev: dict) -> str:
    lines = ["class  total  hit   accuracy"]
    for c in ev["per_class"]:
        lines.append(f"{str(c['class']):<6} {c['total']:<6} {c['hit']:<5} {c['accuracy']:.4f}")
    return "\n".join(lines)
