"""The operations graft offers, each with its request: the CLI, Python (`import graft`) and HTTP offer every
one of them with these parameters (tests/test_faces.py)."""
from __future__ import annotations

from typing import NamedTuple

from pydantic import BaseModel

from . import edits as e
from . import requests as r
from .foundations import FoundationsRequest
from .synergy import SynergyRequest


class Operation(NamedTuple):
    request: type[BaseModel]
    cli: tuple[str, ...]      # the command's path: ("datasets", "import")
    python: str               # graft.<name>
    http: tuple[str, str]     # method and path of the route


OPERATIONS: dict[str, Operation] = {
    "train": Operation(r.TrainRequest, ("train",), "train", ("post", "/api/runs")),
    "pretrain": Operation(r.PretrainRequest, ("pretrain",), "pretrain", ("post", "/api/pretrain")),
    "slice": Operation(r.SliceRequest, ("slice",), "slice", ("post", "/api/models/{id}/slice")),
    "evaluate": Operation(r.EvaluateRequest, ("evaluate",), "evaluate", ("post", "/api/evaluations")),
    "embed": Operation(r.EmbedRequest, ("embed",), "embed", ("post", "/api/embeddings")),
    "transfer_report": Operation(r.ReportRequest, ("report", "transfer"), "transfer_report",
                                 ("post", "/api/reports")),
    "synergy_report": Operation(SynergyRequest, ("report", "synergy"), "synergy_report",
                                ("post", "/api/reports/synergy")),
    "import_dataset": Operation(r.DatasetImportRequest, ("datasets", "import"), "import_dataset",
                                ("post", "/api/datasets/import")),
    "import_package": Operation(r.PackageImportRequest, ("import",), "import_package",
                                ("post", "/api/models/import")),
    "import_weights": Operation(r.WeightsImportRequest, ("import-weights",), "import_weights",
                                ("post", "/api/models/import-weights")),
    "import_model": Operation(r.ModelImportRequest, ("import-model",), "import_model",
                              ("post", "/api/models/import-model")),
    "export": Operation(r.ExportRequest, ("export",), "export", ("get", "/api/models/{id}/export")),
    "lineage": Operation(r.LineageRequest, ("lineage",), "lineage", ("get", "/api/models/{id}/lineage")),
    "foundations": Operation(FoundationsRequest, ("models", "foundations"), "foundations", ("get", "/api/foundations")),
    "runs": Operation(r.RunsRequest, ("runs",), "runs", ("get", "/api/runs")),
    "cancel": Operation(r.CancelRequest, ("cancel",), "cancel", ("post", "/api/runs/{id}/cancel")),
    "resume": Operation(r.ResumeRequest, ("resume",), "resume", ("post", "/api/runs/{id}/resume")),
    "edit_dataset": Operation(e.DatasetEditRequest, ("datasets", "edit"), "edit_dataset",
                              ("post", "/api/datasets/{id}/edit")),
    "retrain": Operation(e.RetrainRequest, ("retrain",), "retrain", ("post", "/api/retrain")),
    "compare": Operation(e.CompareRequest, ("compare",), "compare", ("get", "/api/evaluations/compare")),
}
