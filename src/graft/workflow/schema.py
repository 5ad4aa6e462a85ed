"""The workflow document: an ordered list of steps, validated by one schema (pure: no torch)."""
from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..contracts import hparams as hp
from ..contracts import requests as rq
from ..contracts.base import field_of
from ..contracts import synergy as sy
from ..spec.issues import Issue, SpecError

WORKFLOW_FORMAT = "graft.workflow/v1"
STEP_NAME = r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")   # not strict: a YAML document may write 1e-3 as text


class Lax(Strict):
    """A step built on a contract (graft.contracts): the contract's fields and limits, a document's leniency."""
    model_config = ConfigDict(extra="forbid", strict=False)


class Ref(Strict):
    """A reference to an earlier step's result, or to a registry id. A plain lookup, never evaluated."""
    step: str | None = None
    id: str | None = None

    @model_validator(mode="after")
    def exactly_one(self):
        if (self.step is None) == (self.id is None):
            raise ValueError("a reference names exactly one of `step` or `id`")
        return self


class StepBase(Strict):
    name: str = Field(pattern=STEP_NAME)
    description: str = ""


class SemiSupervised(Lax, hp.SemiSupervised):
    unlabeled: Any = "mnist"   # data references are checked by the data layer, which names the field


class TaskStep(Lax, rq.TaskSpec):
    """One head's task (graft.contracts.TaskSpec); its data may be {step: NAME} (an import_dataset's result)."""
    data: Any = "mnist"


class TrainStep(Lax, StepBase, hp.TrainHparams):
    """Train a network: the train request (graft.contracts) with its hyperparameters as fields of the step."""
    kind: Literal["train"]
    network: dict[str, Any]
    data: Any = "mnist"
    tasks: list[TaskStep] | None = field_of(rq.TrainRequest, "tasks")
    nproc: int = Field(1, ge=1, le=64, description="processes for distributed data-parallel training")
    semi_supervised: SemiSupervised | None = None
    model_name: str | None = None

    def hparams(self) -> dict:
        out = self.model_dump(include=set(hp.TrainHparams.model_fields))
        if not out["augment"]:
            out.pop("augment")      # a step without augmentation records the hyperparameters it always did
        for key in hp.TASK_HPARAMS:   # likewise the multi-head and foundation-tuning ones
            if out[key] == hp.TrainHparams.model_fields[key].default:
                out.pop(key)
        return out


class SliceStep(StepBase):
    kind: Literal["slice"]
    model: Ref
    nodes: list[str] | None = field_of(rq.SliceRequest, "nodes")
    start: str | None = field_of(rq.SliceRequest, "start")
    end: str | None = field_of(rq.SliceRequest, "end")
    model_name: str | None = None


class PretrainStep(StepBase):
    """Train an encoder from the images of `data` alone (labels unused); the result is a foundation."""
    kind: Literal["pretrain"]
    network: dict[str, Any]
    data: Any = "mnist"
    objective: hp.Objective = field_of(rq.PretrainRequest, "objective")
    epochs: int = field_of(hp.PretrainHparams, "epochs")
    lr: float = field_of(hp.PretrainHparams, "lr")
    batch_size: int = field_of(hp.PretrainHparams, "batch_size")
    seed: int = field_of(hp.PretrainHparams, "seed")
    hparams: dict[str, Any] = Field(default_factory=dict, description="more pretraining hyperparameters "
                                    "(temperature, shift, rotate, zoom, aug_noise, erase, noise, ...)")
    model_name: str | None = None

    def all_hparams(self) -> dict:
        return {**self.hparams, **self.model_dump(include={"epochs", "lr", "batch_size", "seed"})}


class ScratchBaseline(Strict):
    """Options of the from-scratch baseline: by default it trains as the evaluated model did."""
    epochs: int | None = Field(None, ge=1, le=1000)
    batch_size: int | None = Field(None, ge=1, le=65536)
    lr: float | None = Field(None, gt=0, le=10)   # the limits of graft.contracts.TrainHparams; None: as trained


class ImportModelStep(StepBase):
    """Import a pretrained network (graft.contracts.ModelImportRequest); the result is a model."""
    kind: Literal["import_model"]
    source: str = Field(min_length=1, max_length=4096, description="an ONNX file: a path relative to the "
                        "workflow file, or absolute")
    input_shape: rq.InputShape = field_of(rq.ModelImportRequest, "input_shape")
    model_name: str | None = None


class ImportDatasetStep(StepBase):
    """Import a data set file (graft.contracts.DatasetImportRequest); the result is a data set that later steps
    read as `data: {step: NAME}` (with `split`, `transforms` as in any data reference) or by its name."""
    kind: Literal["import_dataset"]
    source: str = Field(min_length=1, max_length=4096, description="a zip or folder of class folders, a CSV, an "
                        "NPZ or IDX files: a path relative to the workflow file, or absolute")
    dataset_name: str | None = Field(None, max_length=200, description="default: the step's name")
    label_column: int | str | None = field_of(rq.DatasetImportRequest, "label_column")
    test_fraction: float = field_of(rq.DatasetImportRequest, "test_fraction")
    resize: str | list[int] | None = field_of(rq.DatasetImportRequest, "resize")


class EvaluateStep(StepBase):
    kind: Literal["evaluate"]
    model: Ref
    data: Any = Field({"dataset": "mnist", "split": "test"})   # a plain default: the canvas form shows it
    output: str | None = field_of(rq.EvaluateRequest, "output")
    scratch_baseline: bool | ScratchBaseline = Field(False, description="also train the evaluated network from "
                                                     "scratch on the same data and report scratch_accuracy")


class ViewStep(StepBase):
    kind: Literal["view"]
    source: Ref
    page_size: int = Field(20, ge=1, le=1000)
    pages: int | None = Field(None, ge=1, description="how many pages to show; all when absent")
    wrong: bool = Field(False, description="only the samples the model got wrong")
    label: int | None = Field(None, ge=0, description="only samples with this true label")


class SynergyStep(StepBase):
    """The synergy report (graft.contracts.SynergyRequest): each task alone on the foundation, then all together.
    The result carries, per task, `accuracy` (together) and `alone_accuracy`."""
    kind: Literal["synergy"]
    foundation: Ref
    tasks: list[sy.SynergyTask] = field_of(sy.SynergyRequest, "tasks")
    epochs: int = field_of(sy.SynergyRequest, "epochs")
    foundation_training: Literal["finetune", "frozen"] = field_of(sy.SynergyRequest, "foundation_training")
    foundation_lr_multiplier: float = field_of(sy.SynergyRequest, "foundation_lr_multiplier")
    task_mixing: Literal["alternate", "proportional"] = field_of(sy.SynergyRequest, "task_mixing")
    lr: float = field_of(sy.SynergyRequest, "lr")
    batch_size: int = field_of(sy.SynergyRequest, "batch_size")
    seed: int = field_of(sy.SynergyRequest, "seed")
    threads: int | None = field_of(sy.SynergyRequest, "threads")

    def options(self) -> dict:
        return self.model_dump(include={"epochs", "foundation_training", "foundation_lr_multiplier", "task_mixing",
                                        "lr", "batch_size", "seed", "threads"}, exclude_none=True)


Step = Annotated[Union[TrainStep, PretrainStep, ImportModelStep, ImportDatasetStep, SliceStep,
                       EvaluateStep, ViewStep, SynergyStep],
                 Field(discriminator="kind")]
RESULT_KINDS = {"train": "model", "pretrain": "model", "import_model": "model", "import_dataset": "dataset",
                "slice": "model",
                "evaluate": "evaluation", "view": "view", "synergy": "report"}


class Workflow(Strict):
    format: str = WORKFLOW_FORMAT
    name: str = "workflow"
    description: str = ""
    steps: list[Step] = Field(min_length=1)


def step_refs(step) -> list[tuple[str, Ref]]:
    """(field, reference) pairs of a step, including Foundation refs inside a train step's network."""
    refs = [(f, getattr(step, f)) for f in ("model", "source", "foundation") if isinstance(getattr(step, f, None), Ref)]
    data = getattr(step, "data", None)
    if isinstance(data, dict) and isinstance(data.get("step"), str):   # data: {step: NAME} (an import_dataset)
        refs.append(("data", Ref(step=data["step"])))
    for i, task in enumerate(getattr(step, "tasks", None) or []):
        if isinstance(task.data, dict) and isinstance(task.data.get("step"), str):
            refs.append((f"tasks.{i}.data", Ref(step=task.data["step"])))
    if isinstance(step, TrainStep):
        for node in step.network.get("nodes", []) or []:
            ref = (node.get("params") or {}).get("ref") if isinstance(node, dict) else None
            if isinstance(ref, dict):
                try:
                    refs.append((f"network.{node.get('id')}.params.ref", Ref.model_validate(ref)))
                except ValidationError:
                    pass
    return refs


STEP_KINDS = {cls.model_fields["kind"].annotation.__args__[0]: cls
              for cls in (TrainStep, PretrainStep, ImportModelStep, ImportDatasetStep, SliceStep, EvaluateStep,
                          ViewStep, SynergyStep)}


def _step_name(doc: Any, loc: list) -> str | None:
    """The name of the step an error at `loc` (("steps", 0, ...)) lies in, when the document gives one."""
    if len(loc) < 2 or loc[0] != "steps" or not isinstance(loc[1], int) or not isinstance(doc, dict):
        return None
    steps = doc.get("steps")
    step = steps[loc[1]] if isinstance(steps, list) and loc[1] < len(steps) else None
    name = step.get("name") if isinstance(step, dict) else None
    return name if isinstance(name, str) else None


def _schema_issue(e: dict, doc: Any) -> Issue:
    loc = list(e["loc"])
    name = _step_name(doc, loc)
    if e["type"] == "extra_forbidden" and len(loc) == 4 and loc[0] == "steps" and loc[2] in STEP_KINDS:
        # ("steps", 0, "train", "device"): name the step and list the fields a step of that kind takes
        return Issue("invalid_workflow", f"a {loc[2]} step has no field '{loc[3]}'", node=name,
                     field=f"steps.{loc[1]}.{loc[3]}", expected=sorted(STEP_KINDS[loc[2]].model_fields),
                     found=_short(e.get("input")))
    found = None if e["type"] == "missing" else _short(e.get("input"))   # a missing field's input is its whole step
    return Issue("invalid_workflow", e["msg"], node=name, field=".".join(str(p) for p in loc), found=found)


def parse_workflow(doc: Any) -> Workflow:
    """Validate a workflow document; every problem is reported at once as an Issue."""
    try:
        wf = Workflow.model_validate(doc)
    except ValidationError as err:
        raise SpecError([_schema_issue(e, doc) for e in err.errors()]) from None
    issues, seen = [], {}
    for step in wf.steps:
        if step.name in seen:
            issues.append(Issue("duplicate_step", "step names must be unique", node=step.name))
        for field, ref in step_refs(step):
            if ref.step is not None and ref.step not in seen:
                issues.append(Issue("unknown_step", "refers to a step that does not come before it",
                                    node=step.name, field=field, expected=list(seen), found=ref.step))
        seen[step.name] = step
    if issues:
        raise SpecError(issues)
    return wf


def _short(value: Any) -> Any:
    text = repr(value)
    return value if len(text) <= 80 else text[:77] + "..."
