"""Train an encoder from unlabeled images and register it as a foundation (decoder/projection discarded)."""
from __future__ import annotations

import json
from typing import Any, Callable

from ..contracts.requests import PretrainRequest
from ..engine.cancel import Cancelled
from .data_refs import data_ref, load_split
from .networks import network_document, prepare_network
from .train import library_versions
from .progress import RunProgress, recording
from .weights import state_bytes, tensors_sha256


_DEFAULT = PretrainRequest.model_fields


def pretrain_foundation(ws, network: Any, data: Any = _DEFAULT["data"].default,
                        objective: str = _DEFAULT["objective"].default,
                        hparams: dict | None = None, name: str | None = None, description: str = "",
                        on_epoch: Callable | None = None, should_stop: Callable | None = None,
                        workflow_hash: str | None = None, run_id: str | None = None,
                        on_step: Callable | None = None, progress: RunProgress | None = None,
                        progress_bar: bool = False) -> dict:
    """Pretrain `network` (the encoder) with a self-supervised `objective`; returns the foundation record.

    A run of kind `pretrain` records it (created here unless `run_id` names one, as a server job does).
    The labels of `data` are never read. The record's `block_sha256` is {"foundation": sha256 of the encoder
    tensors}, the same digest a graft of it reports for its Foundation node.
    """
    import torch

    from ..engine.compile import compile_network
    from ..engine.objectives import pretrain, resolve

    h = resolve(objective, hparams)
    ref = data_ref(data)
    doc = network_document(network)
    request = {"network": doc, "data": ref, "objective": objective, "hparams": h, "name": name,
               "description": description}
    if run_id is None:
        run_id = ws.runs.create("pretrain", request, name=name or "", status="running", seed=h["seed"],
                               workflow_hash=workflow_hash)["id"]
    on_step, on_epoch = recording(progress or RunProgress(ws, run_id, int(h["epochs"])), on_step, on_epoch)

    try:
        spec, analysis = prepare_network(ws, doc)
        if any(n.type == "Foundation" for n in spec.nodes):
            raise ValueError(f"network {spec.name!r}: pretraining takes a plain encoder; Foundation nodes "
                             "are not supported here")
        ds = load_split(ws, ref, "train")
        torch.manual_seed(int(h["seed"]))      # the encoder's initial weights are part of the run too
        encoder = compile_network(spec)
        result = pretrain(encoder, ds, objective, h, on_epoch=on_epoch, on_step=on_step, should_stop=should_stop,
                          progress=progress_bar)
        state = {k: v.detach().cpu().contiguous() for k, v in encoder.state_dict().items()}
        digest = tensors_sha256(state)
        final = result.history[-1] if result.history else {}
        record = {
            "kind": "foundation",
            "name": name or f"{spec.name}-{objective}",
            "description": description or f"{spec.name} pretrained with {objective} on {ref['dataset']} "
                                          "(no labels used)",
            "spec": spec.model_dump(mode="json", exclude_none=True),
            "parent_id": None,
            "foundation_ids": [],
            "dataset": ref,
            "data_fingerprint": ds.fingerprint,
            "data_stats": {k: v for k, v in ds.stats().items() if k != "counts"},
            "hparams": {**h, "objective": objective, "normalization": result.normalization},
            "metrics": {"pretrain_loss": final.get("loss"), "objective": objective, "history": result.history,
                        "seconds": round(result.seconds, 3), "samples_per_s": round(result.samples_per_s, 1),
                        "device": result.device},
            "versions": library_versions(),
            "block_sha256": {"foundation": digest},
            "weights_sha256": digest,
            "params": analysis.total_params,
            "input_shape": list(spec.input.shape),
            "output_shape": analysis.output_shape,
            "run_id": run_id,
            "pretraining": {"objective": objective, "labels_used": False},
        }
        files = {"weights.safetensors": state_bytes(state),
                 "spec.json": json.dumps(record["spec"], indent=1).encode()}
        registered = ws.models.register(record, files)
    except BaseException as err:
        ws.runs.update(run_id, status="cancelled" if isinstance(err, Cancelled) else "failed",
                      error=str(err) or type(err).__name__)
        raise
    ws.runs.update(run_id, status="done", model_id=registered["id"])
    return registered
