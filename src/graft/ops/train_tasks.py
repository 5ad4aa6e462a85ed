"""Several heads on one foundation: a training request with `tasks`, one per network output, each with its
own data set and loss weight (engine.multitask trains them; the record carries per-task results)."""
from __future__ import annotations

import json
from typing import Any, Callable

from .data_refs import check_input, load_split
from .networks import prepare_network
from .weights import block_sha256, load_foundation_weights, state_bytes, tensors_sha256


def task_requests(tasks: list, ref_of: Callable[[Any], dict]) -> list[dict]:
    """The recorded form of `tasks`: {name, output, data (a full data reference), weight} each."""
    out = []
    if not isinstance(tasks, list):
        raise ValueError(f"tasks: expected a list of {{output, data, weight, name}}, found {type(tasks).__name__}")
    for i, task in enumerate(tasks):
        if hasattr(task, "model_dump"):
            task = task.model_dump(exclude_none=True)
        if not isinstance(task, dict) or not isinstance(task.get("output"), str):
            raise ValueError(f"tasks.{i}: expected {{output: NODE, data: DATA, weight, name}}, found {task!r:.80}")
        unknown = set(task) - {"output", "data", "weight", "name"}
        if unknown:
            raise ValueError(f"tasks.{i}: unknown field(s) {sorted(unknown)}; expected some of data, name, output, "
                             "weight")
        weight = task.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 < weight <= 1000:
            raise ValueError(f"tasks.{i}.weight: expected a number above 0 (at most 1000), found {weight!r}")
        data = task.get("data", "mnist")
        data = data.model_dump(exclude_none=True) if hasattr(data, "model_dump") else data
        out.append({"name": str(task.get("name") or task["output"]), "output": task["output"],
                    "data": ref_of(data), "weight": float(weight)})
    return out


def check_tasks(outputs: list[str], tasks: list[dict]) -> None:
    """Exactly one task per network output; ValueError naming the task's field, what was expected and found."""
    listed = ", ".join(outputs)
    seen: dict[str, int] = {}
    for i, task in enumerate(tasks):
        out = task["output"]
        if out not in outputs:
            raise ValueError(f"tasks.{i}.output: expected one of the network's outputs ({listed}), found {out!r}")
        if out in seen:
            raise ValueError(f"tasks.{i}.output: output {out!r} already has task {seen[out]}; expected exactly one "
                             "task per output")
        seen[out] = i
    for out in outputs:
        if out not in seen:
            raise ValueError(f"tasks: output {out!r} has no task; expected one task per output ({listed}), found "
                             f"tasks for {', '.join(seen) or 'none'}")
    names = [t["name"] for t in tasks]
    for i, name in enumerate(names):
        if names.index(name) != i:
            raise ValueError(f"tasks.{i}.name: expected distinct task names, found {name!r} twice")


def check_request(ws, network: Any, tasks: list) -> None:
    """What the HTTP route checks before queueing: the network is valid and the tasks fit its outputs."""
    from .data_refs import data_ref

    _, analysis = prepare_network(ws, network)
    check_tasks(analysis.outputs, task_requests(tasks, data_ref))


def train_heads(ws, request, run_id, on_epoch, on_step, should_stop, progress_bar, resume) -> dict:
    import torch

    from ..engine.checkpoint import SIDECAR
    from ..engine.compile import compile_network
    from ..engine.multitask import HeadTask, train_tasks
    from .train import feature_cache, library_versions

    spec, analysis = prepare_network(ws, request["network"])
    tasks, hp = request["tasks"], dict(request["hparams"])
    check_tasks(analysis.outputs, tasks)
    heads, loaded = [], []
    for i, task in enumerate(tasks):
        ref = task["data"]
        train_ds = load_split(ws, ref, "train")
        check_input(train_ds, spec.input.shape, ref)
        shape = analysis.shapes.get(task["output"])
        if not shape or len(shape) != 1 or shape[0] < len(train_ds.classes):
            raise ValueError(f"tasks.{i}.output: output {task['output']!r} has shape {shape}; expected one score "
                             f"per class of data set {ref.get('dataset')} ({len(train_ds.classes)} classes)")
        val_ds = load_split(ws, ref, "val") if ref.get("val_fraction") else None
        heads.append(HeadTask(task["name"], task["output"], train_ds, val_ds, task["weight"]))
        loaded.append(train_ds)
    torch.manual_seed(int(hp.get("seed", 0)))
    model = compile_network(spec)
    foundations = load_foundation_weights(ws, model, spec)
    if foundations and not hp.get("normalization"):
        hp["normalization"] = (foundations[0].get("hparams") or {}).get("normalization")
    checkpoints = ws.runs.checkpoints(run_id)

    def epoch_done(entry: dict) -> None:
        ws.runs.update(run_id, checkpoint=ws.layout.relative(checkpoints))
        on_epoch(entry)

    resume_from = checkpoints if resume and (checkpoints / SIDECAR).exists() else None
    result = train_tasks(model, heads, {**hp, "progress": progress_bar}, on_epoch=epoch_done, on_step=on_step,
                         checkpoint_dir=checkpoints, resume_from=resume_from, should_stop=should_stop,
                         feature_cache=feature_cache(ws))
    hp["normalization"] = result.normalization
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    final = dict(result.history[-1]) if result.history else {}
    rows = final.pop("tasks", {})
    per_task = {}
    for task in tasks:
        row = rows.get(task["name"], {})
        per_task[task["name"]] = {"output": task["output"], "data": task["data"],
                                  "accuracy": row.get("train_accuracy"), "loss": row.get("train_loss"),
                                  **({"val_accuracy": row["val_accuracy"]} if "val_accuracy" in row else {}),
                                  "steps": result.tasks[task["name"]]["steps"], "weight": task["weight"]}
    spec_doc = spec.model_dump(mode="json", exclude_none=True)
    record = {
        "kind": "model", "name": request.get("name") or spec.name, "description": request.get("description") or "",
        "spec": spec_doc,
        "parent_id": foundations[0]["id"] if foundations else None,
        "foundation_ids": [f["id"] for f in foundations],
        "dataset": tasks[0]["data"],
        "data_fingerprint": loaded[0].fingerprint,
        "data_stats": loaded[0].stats(),
        "tasks": [{**t, "data_fingerprint": ds.fingerprint, "classes": list(ds.classes)}
                  for t, ds in zip(tasks, loaded)],
        "outputs": list(analysis.outputs),
        "output_shapes": {o: analysis.shapes.get(o) for o in analysis.outputs},
        "hparams": hp,
        "metrics": {**final, "tasks": per_task, "history": result.history, "seconds": round(result.seconds, 3),
                    "samples_per_s": round(result.samples_per_s, 1), "device": result.device,
                    "precision": result.precision, "feature_cache": result.feature_cache},
        "versions": library_versions(),
        "block_sha256": block_sha256(state, spec),
        "weights_sha256": tensors_sha256(state),
        "params": analysis.total_params,
        "input_shape": list(spec.input.shape),
        "output_shape": analysis.output_shape,
        "run_id": run_id,
    }
    files = {"weights.safetensors": state_bytes(state), "spec.json": json.dumps(spec_doc, indent=1).encode()}
    return ws.models.register(record, files)
