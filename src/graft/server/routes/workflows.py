"""Workflows: YAML documents kept in the workspace, run step by step in a worker."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from ...spec.io import load_document
from ...spec.issues import Issue as SpecIssue
from ...spec.issues import SpecError
from ...workflow import parse_workflow
from ...workflow.schema import RESULT_KINDS, STEP_KINDS
from ..deps import error_responses, jobs_of, user_errors, ws_of
from ..errors import ApiError
from ..schemas import Issue, Open, Run, Strict, Workflow, WorkflowRunRequest, WorkflowSave, iso, run_out

router = APIRouter(tags=["workflows"])


def parsed(text: str) -> dict:
    """The document as data, checked (SpecError -> 422 with every issue)."""
    with user_errors():
        doc = load_document(text)
        if not isinstance(doc, dict):
            raise ValueError(f"a workflow document must be a mapping, found {type(doc).__name__}")
        parse_workflow(doc)
    return doc


class WorkflowText(Strict):
    yaml: str = Field(max_length=1_000_000, description="a workflow document (YAML or JSON), saved or not")


class WorkflowCheck(BaseModel):
    ok: bool
    issues: list[Issue]


class StepKind(Open):
    kind: str
    doc: str
    result: str = Field(description="what the step makes: model, dataset, evaluation or view")
    params: dict[str, Any] = Field(description="JSON Schema of the step's fields (graft.workflow.schema)")


def workflow_out(rec: dict, ws) -> dict:
    try:
        doc = load_document(rec["yaml"])
    except Exception:  # stored before a stricter parser: show the text, an empty document
        doc = {}
    runs = [run_out(r) for r in ws.list_runs(kind="workflow", limit=50)
            if (r.get("request") or {}).get("workflow_id") == rec["id"]]
    return {"id": rec["id"], "name": rec["name"], "yaml": rec["yaml"], "document": doc if isinstance(doc, dict) else {},
            "created_at": iso(rec.get("created_at")), "updated_at": iso(rec.get("updated_at")),
            "last_run": runs[0] if runs else None}


@router.get("/workflows", response_model=list[Workflow])
def list_workflows(ws=Depends(ws_of)) -> list[dict]:
    return [workflow_out(r, ws) for r in ws.list_workflows()]


@router.post("/workflows", response_model=Workflow, status_code=201, responses=error_responses(422))
def create_workflow(body: WorkflowSave, ws=Depends(ws_of)) -> dict:
    doc = parsed(body.yaml)
    name = body.name or str(doc.get("name") or "workflow")
    return workflow_out(ws.create_workflow(name[:200], body.yaml), ws)


@router.get("/workflow-steps", response_model=list[StepKind])
def workflow_steps() -> list[dict]:
    """The step kinds a workflow can use, each with its fields and their defaults (the workflow canvas's palette
    and forms)."""
    return [{"kind": kind, "doc": " ".join((cls.__doc__ or "").split()), "result": RESULT_KINDS[kind],
             "params": cls.model_json_schema()} for kind, cls in STEP_KINDS.items()]


@router.post("/workflows/validate", response_model=WorkflowCheck)
def validate_workflow(body: WorkflowText) -> dict:
    """Every issue of a workflow document, each naming its step; never fails on a bad document."""
    try:
        doc = load_document(body.yaml)
        if not isinstance(doc, dict):
            raise SpecError([SpecIssue("invalid_workflow", "a workflow document must be a mapping",
                                       expected="mapping", found=type(doc).__name__)])
        parse_workflow(doc)
    except SpecError as err:
        return {"ok": False, "issues": [i.to_dict() for i in err.issues]}
    return {"ok": True, "issues": []}


@router.get("/workflows/{id}", response_model=Workflow, responses=error_responses(404))
def get_workflow(id: str, ws=Depends(ws_of)) -> dict:
    return workflow_out(ws.get_workflow(id), ws)


@router.put("/workflows/{id}", response_model=Workflow, responses=error_responses(404, 422))
def put_workflow(id: str, body: WorkflowSave, ws=Depends(ws_of)) -> dict:
    ws.get_workflow(id)
    doc = parsed(body.yaml)
    name = body.name or str(doc.get("name") or "workflow")
    return workflow_out(ws.update_workflow(id, name=name[:200], yaml=body.yaml), ws)


@router.post("/workflows/{id}/run", response_model=Run, status_code=202, responses=error_responses(404, 422))
def run_workflow(id: str, body: WorkflowRunRequest, ws=Depends(ws_of), jobs=Depends(jobs_of)) -> dict:
    """Queue the workflow (or one step and what it needs); the run's `steps` shows each step's status."""
    rec = ws.get_workflow(id)
    doc = parsed(rec["yaml"])
    names = [s.get("name") for s in doc.get("steps") or [] if isinstance(s, dict)]
    if body.step is not None and body.step not in names:
        raise ApiError(422, f"workflow {rec['name']!r} has no step {body.step!r}; its steps are {names}")
    return run_out(jobs.submit("workflow", {"workflow_id": id, "step": body.step, "force": body.force},
                               name=f"{rec['name']}" + (f" / {body.step}" if body.step else "")))
