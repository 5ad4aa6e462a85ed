"""The foundations catalogue: each foundation, the models grafted on it, and whether their weights held."""
from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, Depends, Query

from ...contracts.foundations import FoundationEntry
from ...ops.faces import foundations
from ..deps import error_responses, user_errors, ws_of

router = APIRouter(tags=["models"])


@router.get("/foundations", response_model=list[FoundationEntry], responses=error_responses(404, 422))
def get_foundations(foundation: Optional[str] = Query(None, min_length=1, max_length=64,
                                                      description="only this foundation (fnd-...)"),
                    ws=Depends(ws_of)) -> list[dict]:
    """Newest first; for each foundation the models that use it, their tasks, test accuracies and whether each
    runs on the foundation's exact weights."""
    with user_errors():
        return foundations(ws, foundation)
