"""The example workflows shipped in the package (graft/workflows/*.yaml): the one place the seed workflow is
written. `graft ui --load-example` stores the same file, and the Workflow page's "New from seed" reads it here."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from ...spec.io import load_document
from ..deps import error_responses
from ..errors import ApiError

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "workflows"

router = APIRouter(tags=["workflows"])


class ExampleWorkflow(BaseModel):
    name: str
    yaml: str
    document: dict[str, Any]


def example_names() -> list[str]:
    return sorted(p.stem for p in EXAMPLES_DIR.glob("*.yaml"))


@router.get("/examples/{name}", response_model=ExampleWorkflow, responses=error_responses(404))
def example(name: str) -> dict:
    """An example workflow as its text (to edit and save) and parsed."""
    if name not in example_names():
        raise ApiError(404, f"there is no example workflow {name!r:.80}; there are {example_names()}")
    text = (EXAMPLES_DIR / f"{name}.yaml").read_text(encoding="utf-8")
    return {"name": name, "yaml": text, "document": load_document(text)}
