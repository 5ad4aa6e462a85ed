"""The contracts of graft, defined once: hyperparameters, data references, each operation's request and each
record the registry returns. Pure (pydantic only): the workflow schema, the HTTP API, the CLI and the Python
functions derive from these models, so a default or a limit is written here and nowhere else."""
from .base import Record, Strict
from .data import Data, DataRef
from .records import (
    DatasetRecord, EvaluationRecord, FoundationRecord, LineageRecord, ModelRecord, ReportRecord, ReportSummary,
    RunRecord,
)

__all__ = ["Data", "DataRef", "DatasetRecord", "EvaluationRecord", "FoundationRecord", "LineageRecord",
           "ModelRecord", "Record", "ReportRecord", "ReportSummary", "RunRecord", "Strict"]
