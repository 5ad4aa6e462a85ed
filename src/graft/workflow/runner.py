"""Run a workflow step by step; a step whose inputs did not change is found in the workspace, not re-run.

A step's cache key is the sha256 of its canonical JSON parameters, with every reference replaced by the key of
the step it refers to (or the registry id), plus the fingerprint of the data it reads. Change one step and only
it and the steps that depend on it run again.
"""
from __future__ import annotations

import copy
import hashlib
import json
import time
from typing import Any, Callable

from ..ops.cancel import Cancelled
from pathlib import Path

from ..contracts.hparams import FINE_TUNING, TASK_HPARAMS, SemiSupervised
from .schema import (EvaluateStep, ImportDatasetStep, ImportModelStep, PretrainStep, Ref, ScratchBaseline, SliceStep,
                     SynergyStep, TrainStep, ViewStep, Workflow, parse_workflow, step_refs)


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def workflow_hash(doc: Any) -> str:
    return sha256_text(canonical(doc))


class WorkflowRun:
    def __init__(self, ws, workflow: Workflow, on_event: Callable[[dict], None] | None = None,
                 progress_bar: bool = True, should_stop: Callable[[], bool] | None = None,
                 base_dir: str | Path | None = None):
        self.ws, self.wf = ws, workflow
        self.base_dir = Path(base_dir) if base_dir is not None else Path.cwd()   # where relative sources are
        self.on_event = on_event or (lambda e: None)
        self.progress_bar, self.should_stop = progress_bar, should_stop
        self.keys: dict[str, str] = {}
        self.results: dict[str, dict] = {}
        self.steps = {s.name: s for s in workflow.steps}
        self.hash = workflow_hash(workflow.model_dump(mode="json"))   # recorded with every run it starts

    # -- references -------------------------------------------------------------------------------------
    def ref_id(self, ref: Ref) -> str:
        return ref.id if ref.id is not None else self.results[ref.step]["id"]

    def ref_key(self, ref: Ref) -> str:
        return f"id:{ref.id}" if ref.id is not None else self.keys[ref.step]

    def resolved_network(self, step: TrainStep) -> dict:
        network = copy.deepcopy(step.network)
        for node in network.get("nodes", []) or []:
            ref = (node.get("params") or {}).get("ref")
            if isinstance(ref, dict):
                node["params"]["ref"] = self.ref_id(Ref.model_validate(ref))
        return network

    def source_path(self, step: ImportModelStep | ImportDatasetStep) -> Path:
        return self.base_dir / Path(step.source).expanduser()   # an absolute source stays as it is

    def resolved_data(self, step, data: Any = None) -> Any:
        """The step's data reference (or `data`, a task's), `{step: NAME, ...}` made `{dataset: ID, ...}` (an
        import_dataset's result)."""
        data = step.data if data is None else data
        if not (isinstance(data, dict) and "step" in data):
            return data
        result = self.results[data["step"]]
        if result.get("kind") != "dataset":
            raise ValueError(f"step {step.name!r}: data: step {data['step']!r} gives a {result.get('kind')}, "
                             "expected an import_dataset step (a data set)")
        return {"dataset": result["id"], **{k: v for k, v in data.items() if k != "step"}}

    def cache_key(self, step) -> str:
        from ..ops.data_refs import load_split

        params = step.model_dump(mode="json", exclude={"description"})
        if isinstance(step, EvaluateStep) and not step.scratch_baseline:
            params.pop("scratch_baseline")      # keys of evaluate steps without a baseline stay as they were
        if isinstance(step, EvaluateStep) and step.output is None:
            params.pop("output")
        if isinstance(step, EvaluateStep) and isinstance(step.scratch_baseline, ScratchBaseline):
            params["scratch_baseline"] = step.scratch_baseline.model_dump(exclude_none=True)
        if isinstance(step, TrainStep):
            for field, default in (("semi_supervised", None), ("precision", "auto"), ("device", "auto"),
                                   ("augment", []), ("val_fraction", 0.0), ("tasks", None),
                                   *((k, TrainStep.model_fields[k].default) for k in TASK_HPARAMS)):
                if params[field] == default:    # likewise for train steps that leave these as they were
                    params.pop(field)
            semi = params.get("semi_supervised")
            for key in FINE_TUNING if semi else ():      # self-training off: the key it always had
                if semi[key] == SemiSupervised.model_fields[key].default:
                    semi.pop(key)
        refs = {field: self.ref_key(ref) for field, ref in step_refs(step)}
        data = {}
        if isinstance(step, (ImportModelStep, ImportDatasetStep)):   # the bytes, not the path: new data imports again
            data = source_sha256(step, self.source_path(step))
        if isinstance(step, (TrainStep, PretrainStep, EvaluateStep)):
            split = None if isinstance(step, EvaluateStep) else "train"
            resolved = self.resolved_data(step)
            ref = resolved if isinstance(resolved, dict) else {"dataset": resolved}
            data = load_split(self.ws, ref, split or ref.get("split", "test")).fingerprint
        if isinstance(step, TrainStep) and step.tasks:
            data = ":".join(load_split(self.ws, t["data"], "train").fingerprint for t in self.resolved_tasks(step))
        if isinstance(step, TrainStep) and step.semi_supervised is not None:
            from ..ops.data_refs import data_ref

            data += ":" + load_split(self.ws, data_ref(step.semi_supervised.unlabeled), "train").fingerprint
        return sha256_text(canonical({"step": params, "refs": refs, "data": data}))

    def resolved_tasks(self, step: TrainStep) -> list[dict]:
        """A train step's tasks with their data references resolved (each a {dataset: ..} mapping)."""
        out = []
        for task in step.tasks or []:
            ref = self.resolved_data(step, task.data)
            out.append({**task.model_dump(exclude_none=True), "data": ref if isinstance(ref, dict) else {"dataset": ref}})
        return out

    # -- execution ------------------------------------------------------------------------------------
    def needed(self, only: str | None) -> list[str]:
        names = [s.name for s in self.wf.steps]
        if only is None:
            return names
        if only not in self.steps:
            raise KeyError(f"no step named {only!r}; steps are {names}")
        wanted, stack = set(), [only]
        while stack:
            name = stack.pop()
            if name not in wanted:
                wanted.add(name)
                stack += [r.step for _, r in step_refs(self.steps[name]) if r.step]
        return [n for n in names if n in wanted]

    def run(self, only: str | None = None, force: bool = False) -> dict:
        report = []
        for name in self.needed(only):
            step = self.steps[name]
            key = self.keys[name] = self.cache_key(step)
            started = time.perf_counter()
            cached = None if (force and (only is None or only == name)) else self.cached(key)
            # the wall-clock start lets a page show the step's elapsed time while it runs
            running = {"step": name, "status": "cached" if cached else "running", "started_at": round(time.time(), 3)}
            self.on_event(running)
            try:
                result = cached if cached is not None else self.execute(step, running)
            except Cancelled:
                self.on_event({"step": name, "status": "cancelled"})
                raise
            except Exception as err:
                self.on_event({"step": name, "status": "failed", "error": str(err)})
                report.append({"name": name, "kind": step.kind, "status": "failed",
                               "seconds": round(time.perf_counter() - started, 3), "error": str(err)})
                raise WorkflowFailed(name, err, report) from err
            if cached is None:
                self.ws.put_cached_step(key, result)
            self.results[name] = result
            entry = {"name": name, "kind": step.kind, "status": "cached" if cached is not None else "done",
                     "seconds": round(time.perf_counter() - started, 3), "key": key, "result": result}
            report.append(entry)
            self.on_event({"step": name, "status": entry["status"], "seconds": entry["seconds"]})
        return {"workflow": self.wf.name, "steps": report}

    def cached(self, key: str) -> dict | None:
        result = self.ws.get_cached_step(key)
        if result is None:
            return None
        try:  # the artifact a cached result names must still be in the registry
            if result.get("kind") == "model":
                self.ws.get_model(result["id"])
            elif result.get("kind") == "evaluation":
                self.ws.get_evaluation(result["id"])
            elif result.get("kind") == "dataset":
                self.ws.get_dataset(result["id"])
            elif result.get("kind") == "report":
                self.ws.reports.get(result["id"])
        except KeyError:
            return None
        return result

    def job(self, step) -> tuple[str, dict]:
        """The step as a job for workflow.jobs.run_job: its kind and its request (references resolved to ids)."""
        name = step.model_name if hasattr(step, "model_name") and step.model_name else f"{self.wf.name}/{step.name}"
        if isinstance(step, TrainStep):
            return "train", {"network": self.resolved_network(step), "data": self.resolved_data(step), "hparams": step.hparams(),
                             "name": name, "description": step.description, "nproc": step.nproc,
                             "semi_supervised": step.semi_supervised.model_dump() if step.semi_supervised else None,
                             **({"tasks": self.resolved_tasks(step)} if step.tasks else {})}
        if isinstance(step, PretrainStep):
            return "pretrain", {"network": step.network, "data": self.resolved_data(step), "objective": step.objective,
                                "hparams": step.all_hparams(), "name": name, "description": step.description}
        if isinstance(step, ImportModelStep):
            return "import_model", {"path": str(self.source_path(step)), "name": name,
                                    "input_shape": step.input_shape}
        if isinstance(step, ImportDatasetStep):
            return "import_dataset", {"path": str(self.source_path(step)), "name": step.dataset_name or step.name,
                                      "label_column": step.label_column, "test_fraction": step.test_fraction,
                                      "resize": step.resize, "filename": step.source}
        if isinstance(step, SliceStep):
            return "slice", {"model": self.ref_id(step.model), "nodes": step.nodes, "start": step.start,
                             "end": step.end, "name": name}
        if isinstance(step, EvaluateStep):
            baseline = step.scratch_baseline
            if isinstance(baseline, ScratchBaseline):
                baseline = baseline.model_dump(exclude_none=True) or True
            return "evaluate", {"model": self.ref_id(step.model), "data": self.resolved_data(step), "scratch_baseline": baseline,
                                **({"output": step.output} if step.output is not None else {})}
        if isinstance(step, ViewStep):
            source_step = self.steps.get(step.source.step) if step.source.step else None
            if source_step is not None and not isinstance(source_step, EvaluateStep):
                raise ValueError(f"view {step.name}: source must be an evaluate step, "
                                 f"found {source_step.kind} step {source_step.name!r}")
            return "view", {"source": {"evaluation": self.ref_id(step.source)}, "page_size": step.page_size,
                            "pages": step.pages, "wrong": step.wrong, "label": step.label}
        if isinstance(step, SynergyStep):
            return "synergy", {"foundation": self.ref_id(step.foundation),
                               "tasks": [t.model_dump(exclude_none=True) for t in step.tasks], **step.options()}
        raise TypeError(step.kind)

    def step_progress(self, running: dict, epochs: int, every_s: float = 1.0) -> Callable:
        """An on_step callback for a training step: its fraction done as a `running` event, at most once a second."""
        last = [0.0]

        def on_step(info: dict, *_args, **_kw) -> None:
            epoch, step, per = (info.get(k) for k in ("epoch", "step", "steps_per_epoch"))
            now = time.monotonic()
            if not all(isinstance(v, (int, float)) for v in (epoch, step, per)) or not per or now - last[0] < every_s:
                return
            last[0] = now
            fraction = min(1.0, ((epoch - 1) + step / per) / max(1, epochs))
            self.on_event({**running, "fraction": round(fraction, 4), "epoch": epoch, "epochs": epochs})
        return on_step

    def execute(self, step, running: dict | None = None) -> dict:
        from .jobs import run_job

        kind, request = self.job(step)
        on_step = None
        if kind in ("train", "pretrain") and running is not None:
            on_step = self.step_progress(running, int((request.get("hparams") or {}).get("epochs") or 1))
        record = run_job(self.ws, kind, request, should_stop=self.should_stop, progress_bar=self.progress_bar,
                         workflow_hash=self.hash, on_step=on_step)
        if kind in ("train", "pretrain", "import_model", "slice"):
            return model_result(record)
        if kind == "import_dataset":
            return {"kind": "dataset", **{k: record.get(k) for k in ("id", "name", "classes", "sizes", "shape",
                                                                      "fingerprint")}}
        if kind == "evaluate":
            return {"kind": "evaluation", **{k: record[k] for k in ("id", "model_id", "total", "hit", "accuracy",
                                                                    "per_class", "confusion")},
                    **({"output": record["output"]} if record.get("output") else {}),
                    **record.get("baseline", {})}
        if kind == "synergy":
            return synergy_result(record)
        return record


def synergy_result(report: dict) -> dict:
    """A synergy step's result: per task `accuracy` (trained together) and `alone_accuracy`, and the times."""
    return {"kind": "report", "id": report["id"], "report_kind": "synergy", "foundation_id": report["foundation_id"],
            "tasks": {r["name"]: {"accuracy": r["together"]["accuracy"], "alone_accuracy": r["alone"]["accuracy"],
                                  "difference": r["difference"], "train_size": r["train_size"],
                                  "test_size": r["test_size"], "alone_seconds": r["alone_seconds"],
                                  "alone_model_id": r["alone"]["model_id"]} for r in report["rows"]},
            "mean_difference": report["mean_difference"], "alone_seconds": report["alone_seconds"],
            "together_seconds": report["together_seconds"], "together_model_id": report["together_model_id"]}


def source_sha256(step, path: Path) -> str:
    """A file's sha256, or a folder's (over its files' relative paths and bytes)."""
    if path.is_file():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    if isinstance(step, ImportDatasetStep) and path.is_dir():
        h = hashlib.sha256()
        for f in sorted(p for p in path.rglob("*") if p.is_file()):
            h.update(f.relative_to(path).as_posix().encode() + b"\0" + hashlib.sha256(f.read_bytes()).digest())
        return h.hexdigest()
    raise FileNotFoundError(f"step {step.name!r}: source {step.source!r}: no such file ({path})")


def model_result(rec: dict) -> dict:
    return {"kind": "model", "id": rec["id"], "name": rec["name"], "model_kind": rec["kind"],
            "block_sha256": rec.get("block_sha256") or {}, "params": rec.get("params"),
            "metrics": {k: v for k, v in (rec.get("metrics") or {}).items() if k != "history"}}


class WorkflowFailed(RuntimeError):
    def __init__(self, step: str, error: Exception, report: list[dict]):
        super().__init__(f"step {step!r} failed: {error}")
        self.step, self.error, self.report = step, error, report


def run_workflow(ws, doc: Any, only: str | None = None, force: bool = False, **kwargs) -> dict:
    return WorkflowRun(ws, parse_workflow(doc), **kwargs).run(only=only, force=force)
