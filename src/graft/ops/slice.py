"""Keep a connected part of a registered model and register it as a foundation."""
from __future__ import annotations

import json

from ..spec.analyze import require_valid
from ..spec.graph import slice_network
from .models import load_state, model_spec
from .weights import state_bytes, tensors_sha256


def slice_model(ws, model_id: str, nodes: list[str] | None = None, start: str | None = None,
                end: str | None = None, name: str | None = None, description: str = "") -> dict:
    """Register the part of `model_id` given by node ids, or from node `start` to node `end`."""
    source = ws.get_model(model_id)
    part = slice_network(model_spec(source), keep=nodes, start=start, end=end,
                         name=name or f"{source['name']}-foundation")
    part, analysis = require_valid(part)
    kept = {n.id for n in part.nodes}
    state = {k: v for k, v in load_state(ws, model_id).items() if k.partition(".")[0] in kept}
    digest = tensors_sha256(state)
    record = {
        "kind": "foundation",
        "name": part.name,
        "description": description or f"nodes {sorted(kept)} of {source['name']} ({source['id']})",
        "spec": part.model_dump(mode="json", exclude_none=True),
        "parent_id": source["id"],
        "foundation_ids": source.get("foundation_ids") or [],
        "dataset": source.get("dataset"),
        "data_fingerprint": source.get("data_fingerprint"),
        "data_stats": source.get("data_stats"),
        "hparams": {"normalization": (source.get("hparams") or {}).get("normalization"),
                                "source_hparams": source.get("hparams")},
        "metrics": {k: v for k, v in (source.get("metrics") or {}).items() if k != "history"},
        "versions": source.get("versions"),
        "block_sha256": {"foundation": digest},
        "weights_sha256": digest,
        "params": analysis.total_params,
        "input_shape": list(part.input.shape),
        "output_shape": analysis.output_shape,
    }
    files = {"weights.safetensors": state_bytes(state),
             "spec.json": json.dumps(record["spec"], indent=1).encode()}
    return ws.register_model(record, files)
