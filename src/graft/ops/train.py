"""Train a network on a data set and register the result (the one path used by CLI, API, workflows, Python)."""
from __future__ import annotations

import json
import platform
from typing import Any, Callable

from ..contracts.hparams import TASK_HPARAMS, TrainHparams
from ..engine.cancel import Cancelled
from .data_refs import check_input, data_ref, load_split
from .models import normalization_from, with_preprocessing
from .networks import network_document, prepare_network
from .progress import RunProgress, recording
from .weights import block_sha256, load_foundation_weights, state_bytes, tensors_sha256

# The hyperparameters a run records even when its request leaves them out (the rest: engine.train.DEFAULTS);
# their values are the contract's (graft.contracts.TrainHparams).
_TRAIN_DEFAULTS = TrainHparams.defaults()
DEFAULT_HPARAMS = {k: _TRAIN_DEFAULTS[k] for k in ("optimizer", "lr", "epochs", "batch_size", "seed")}
_FEATURE_CACHES: dict[str, Any] = {}


def library_versions() -> dict[str, str]:
    import numpy
    import torch

    from .. import __version__

    return {"graft": __version__, "torch": torch.__version__, "numpy": numpy.__version__,
            "python": platform.python_version()}


def feature_cache(ws):
    """One feature cache per workspace and process: frozen-foundation outputs are computed once."""
    from ..engine.features import FeatureCache

    key = str(ws.root)
    if key not in _FEATURE_CACHES:
        _FEATURE_CACHES[key] = FeatureCache(cache_dir=ws.layout.feature_cache())
    return _FEATURE_CACHES[key]


def train_model(ws, network: Any, data: Any = "mnist", hparams: dict | None = None, name: str | None = None,
                description: str = "", run_id: str | None = None, on_epoch: Callable | None = None,
                on_step: Callable | None = None, should_stop: Callable | None = None,
                progress_bar: bool = True, nproc: int = 1, resume: bool = False,
                workflow_hash: str | None = None, semi_supervised: dict | None = None,
                progress: RunProgress | None = None, tasks: list | None = None) -> dict:
    """Train `network` on `data` and register the model; returns its registry record.

    `semi_supervised` ({"unlabeled": DATA, "k": .., "alpha": ..}) adds the images of DATA (their labels unread)
    with labels propagated from `data` through the network's frozen foundations (engine.propagate).

    Every call is a run in the registry (created here unless `run_id` is given) recording its request, so
    that `rerun` can repeat it and a killed run can resume from its last checkpoint. `progress` records the
    run's progress and epoch rows (ops.progress; a worker passes its own, else one is made here).

    `tasks` ([{output, data, weight, name}], ops.train_tasks) trains several heads, one per network output,
    each on its own data; `data` is then unused (the record's `dataset` is the first task's).
    """
    hp = {**DEFAULT_HPARAMS, **(hparams or {})}
    for key in TASK_HPARAMS:    # absent at their defaults: a run records the hyperparameters it always did
        if key in hp and hp[key] == _TRAIN_DEFAULTS[key]:
            hp.pop(key)
    val_fraction = hp.pop("val_fraction", 0.0)
    if tasks:
        from .train_tasks import task_requests

        tasks = task_requests(tasks, lambda ref: with_validation(data_ref(ref), val_fraction))
        data = tasks[0]["data"]
    ref = with_validation(data_ref(data), val_fraction)
    request = {"network": network_document(network), "data": ref, "hparams": hp, "name": name,
               "description": description, **({"tasks": tasks} if tasks else {})}
    if tasks and (nproc > 1 or semi_supervised):
        raise ValueError("tasks: several heads train in one process without semi_supervised; use nproc 1")
    if semi_supervised:
        request["semi_supervised"] = semi_supervised_request(semi_supervised)
        if nproc > 1:
            raise ValueError("semi_supervised: label propagation runs in one process; use nproc 1")
    if run_id is None:
        run_id = ws.runs.create("train", request, name=name or "", status="running", seed=hp.get("seed"),
                               workflow_hash=workflow_hash)["id"]
    else:
        ws.runs.update(run_id, status="running")
    if progress is None:
        earlier = _checkpointed_history(ws, run_id) if resume else []
        progress = RunProgress(ws, run_id, int(hp.get("epochs", 1)), earlier)
    on_step, on_epoch = recording(progress, on_step, on_epoch)
    try:
        if nproc > 1:
            from .distributed import train_distributed

            record = train_distributed(ws, request, run_id, nproc, should_stop=should_stop)
        elif tasks:
            from .train_tasks import train_heads

            record = train_heads(ws, request, run_id, on_epoch, on_step, should_stop, progress_bar, resume)
        else:
            record = _train(ws, request, run_id, on_epoch, on_step, should_stop, progress_bar, resume)
    except BaseException as err:
        # a Cancelled says why: the user's cancel, or the process being stopped ("interrupted": resumable)
        status = (("interrupted" if str(err) == "interrupted" else "cancelled") if isinstance(err, Cancelled)
                  else "failed")
        ws.runs.update(run_id, status=status, error=str(err) or type(err).__name__)
        raise
    ws.runs.update(run_id, status="done", model_id=record["id"])
    return record


def with_validation(ref: dict, val_fraction) -> dict:
    """The data reference a run trains on: hparams.val_fraction carves its validation split (engine: val_ds)."""
    if not val_fraction:
        return ref
    if isinstance(val_fraction, bool) or not isinstance(val_fraction, (int, float)) or not 0 < val_fraction < 1:
        raise ValueError(f"hparams.val_fraction: expected a fraction from 0 up to (not including) 1, "
                         f"found {val_fraction!r}")
    return {**ref, "val_fraction": float(val_fraction)}


def _checkpointed_history(ws, run_id: str) -> list[dict]:
    """The epoch rows of a run's last checkpoint: where a resumed run's rows carry on from."""
    from ..engine.checkpoint import SIDECAR

    path = ws.runs.checkpoints(run_id) / SIDECAR
    return json.loads(path.read_text()).get("history", []) if path.exists() else []


def semi_supervised_request(options: dict) -> dict:
    """The recorded form of semi-supervised options: the unlabeled data as a full data reference."""
    from ..contracts.hparams import FINE_TUNING, SemiSupervised
    from ..engine.propagate import resolve

    if not isinstance(options, dict):
        raise ValueError(f"semi_supervised: expected a mapping with `unlabeled`, found {options!r}")
    opts = {k: v for k, v in options.items() if k not in ("unlabeled", "method")}
    method = options.get("method", "label_propagation")
    if method != "label_propagation":
        raise ValueError(f"semi_supervised.method: expected label_propagation, found {method!r}")
    fine = {k: opts.pop(k) for k in FINE_TUNING if k in opts}
    if fine:    # checked by the contract; recorded only when fine-tuning is asked for (older runs read the same)
        fine = SemiSupervised(**fine).model_dump(include=set(FINE_TUNING))
    return {"unlabeled": data_ref(options.get("unlabeled", "mnist")), "method": method, **resolve(opts),
            **(fine if fine.get("finetune_epochs") else {})}


def prepare_training(ws, request: dict):
    """Everything a training process needs from a request: spec, data, the compiled model with its
    foundations' weights loaded, and the hyperparameters (shared by one process and every DDP rank)."""
    import torch

    from ..engine.compile import compile_network

    spec, analysis = prepare_network(ws, request["network"])
    if len(analysis.outputs) > 1:
        raise ValueError(f"tasks: the network has {len(analysis.outputs)} outputs ({', '.join(analysis.outputs)}); "
                         "expected one task per output (tasks: [{output, data}, ...]), found none")
    ref, hp = request["data"], dict(request["hparams"])
    torch.manual_seed(int(hp.get("seed", 0)))   # the initial weights are part of the run: seed them too
    model = compile_network(spec)
    foundations = load_foundation_weights(ws, model, spec)
    if foundations:   # a foundation sees its inputs sized and normalized as when it was trained or imported
        ref = with_preprocessing(ref, foundations[0], groups=(("resize", "fit"), ("mean", "std")))
    train_ds = load_split(ws, ref, "train")
    check_input(train_ds, spec.input.shape, ref)
    val_ds = load_split(ws, ref, "val") if ref.get("val_fraction") else None
    if normalization_from(ref):
        hp["normalization"] = normalization_from(ref)
    elif foundations and not hp.get("normalization"):
        hp["normalization"] = (foundations[0].get("hparams") or {}).get("normalization")
    return spec, analysis, ref, hp, train_ds, val_ds, model, foundations


def _train(ws, request, run_id, on_epoch, on_step, should_stop, progress_bar, resume) -> dict:
    from ..engine.train import train
    from ..engine.checkpoint import SIDECAR

    spec, analysis, ref, hp, train_ds, val_ds, model, foundations = prepare_training(ws, request)
    checkpoints = ws.runs.checkpoints(run_id)

    def epoch_done(entry: dict) -> None:
        ws.runs.update(run_id, checkpoint=ws.layout.relative(checkpoints))   # its epoch row: on_epoch
        on_epoch(entry)

    semi = request.get("semi_supervised")
    unlabeled = load_split(ws, semi["unlabeled"], "train") if semi else None
    options = {k: v for k, v in (semi or {}).items() if k not in ("unlabeled", "method")}
    resume_from = checkpoints if resume and (checkpoints / SIDECAR).exists() else None
    result = train(model, train_ds, val_ds, {**hp, "progress": progress_bar}, on_epoch=epoch_done,
                   on_step=on_step, checkpoint_dir=checkpoints, resume_from=resume_from,
                   should_stop=should_stop, feature_cache=feature_cache(ws), unlabeled_ds=unlabeled,
                   semi_supervised=options)
    hp["normalization"] = result.normalization
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    final = dict(result.history[-1]) if result.history else {}
    record = {
        "kind": "model",
        "name": request.get("name") or spec.name,
        "description": request.get("description") or "",
        "spec": spec.model_dump(mode="json", exclude_none=True),
        "parent_id": foundations[0]["id"] if foundations else None,
        "foundation_ids": [f["id"] for f in foundations],
        "dataset": ref,
        "data_fingerprint": train_ds.fingerprint,
        **({"semi_supervised": {**semi, "data_fingerprint": unlabeled.fingerprint}} if semi else {}),
        "data_stats": train_ds.stats(),
        "hparams": hp,
        "metrics": {**final, "history": result.history, "seconds": round(result.seconds, 3),
                    "samples_per_s": round(result.samples_per_s, 1), "device": result.device,
                    "precision": result.precision,
                    "feature_cache": result.feature_cache,
                    **({"pseudo_labels": result.pseudo_labels} if result.pseudo_labels else {}),
                    **({"self_training": result.self_training} if result.self_training else {})},
        "versions": library_versions(),
        "block_sha256": block_sha256(state, spec),
        "weights_sha256": tensors_sha256(state),
        "params": analysis.total_params,
        "input_shape": list(spec.input.shape),
        "output_shape": analysis.output_shape,
        "run_id": run_id,
    }
    files = {"weights.safetensors": state_bytes(state),
             "spec.json": json.dumps(record["spec"], indent=1).encode()}
    registered = ws.models.register(record, files)
    from ..tracking import log_if_enabled  # MLflow, only when GRAFT_MLFLOW_URI is set

    log_if_enabled(registered, result.history, ws.models.path(registered["id"], "weights.safetensors"))
    return registered
