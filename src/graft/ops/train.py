"""Train a network on a data set and register the result (the one path used by CLI, API, workflows, Python)."""
from __future__ import annotations

import json
import platform
from typing import Any, Callable

from .data_refs import data_ref, load_split
from .networks import prepare_network
from .weights import block_sha256, load_foundation_weights, state_bytes

DEFAULT_HPARAMS = {"optimizer": "adam", "lr": 1e-3, "epochs": 1, "batch_size": 128, "seed": 0}


def library_versions() -> dict[str, str]:
    import numpy
    import torch

    from .. import __version__

    return {"graft": __version__, "torch": torch.__version__, "numpy": numpy.__version__,
            "python": platform.python_version()}


def train_model(ws, network: Any, data: Any, hparams: dict | None = None, name: str | None = None,
                description: str = "", run_id: str | None = None, on_epoch: Callable | None = None,
                on_step: Callable | None = None, should_stop: Callable | None = None,
                progress_bar: bool = True, extra: dict | None = None, nproc: int = 1) -> dict:
    """Train `network` on `data` and register the model; returns its registry record."""
    from ..engine.compile import compile_network
    from ..engine.train import train

    hp = {**DEFAULT_HPARAMS, **(hparams or {})}
    if nproc > 1:
        from .distributed import train_distributed

        return train_distributed(ws, network, data, hp, name=name, description=description, nproc=nproc)
    spec, analysis = prepare_network(ws, network)
    ref = data_ref(data)
    train_ds = load_split(ws, ref, "train")
    val_ds = load_split(ws, ref, "val") if ref.get("val_fraction") else None

    model = compile_network(spec)
    foundations = load_foundation_weights(ws, model, spec)
    checkpoint_dir = ws.run_dir(run_id) / "checkpoints" if run_id else None
    result = train(model, train_ds, val_ds, hp, on_epoch=on_epoch, on_step=on_step,
                   checkpoint_dir=checkpoint_dir, should_stop=should_stop, progress_bar=progress_bar,
                   cache_dir=ws.cache_dir)

    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    blocks = block_sha256(state, spec)
    record = {
        "kind": "model",
        "name": name or spec.name,
        "description": description,
        "spec": spec.model_dump(mode="json", exclude_none=True),
        "parent_id": foundations[0]["id"] if foundations else None,
        "foundation_ids": [f["id"] for f in foundations],
        "dataset": ref,
        "data_fingerprint": train_ds.fingerprint,
        "data_stats": train_ds.stats(),
        "hparams": hp,
        "metrics": {"history": result.history, **result.final_metrics(), "seconds": result.seconds},
        "versions": library_versions(),
        "block_sha256": blocks,
        "params": analysis.total_params,
        "input_shape": list(spec.input.shape),
        "output_shape": analysis.output_shape,
        "run_id": run_id,
        **(extra or {}),
    }
    files = {"weights.safetensors": state_bytes(state),
             "spec.json": json.dumps(record["spec"], indent=1).encode()}
    return ws.register_model(record, files)
