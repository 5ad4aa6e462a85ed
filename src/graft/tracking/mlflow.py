"""Log graft training runs to an MLflow tracking server and register the models in its model registry.

When GRAFT_MLFLOW_URI (or a `uri` argument) names a tracking server, each trained model becomes an MLflow run
(the hyperparameters as params, per-epoch metrics with the epoch as step, the weights and the network as
artifacts) and a new version of a registered model named after it, tagged with the graft model id and the
parent (foundation) id. mlflow is imported only when tracking is on.
"""
from __future__ import annotations

import json
import os
import re
import time
import warnings
from pathlib import Path
from typing import Any

ENV = "GRAFT_MLFLOW_URI"
EXPERIMENT = "graft"
MAX_PARAM_CHARS = 6000   # MLflow's limit on a param value


def tracking_uri(uri: str | None = None) -> str | None:
    return uri or os.environ.get(ENV) or None


def registered_name(name: str) -> str:
    """A registry name MLflow accepts from any graft model name."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "graft-model"


def _params(record: dict) -> dict[str, str]:
    params = {f"hparams.{k}": v for k, v in (record.get("hparams") or {}).items()}
    params.update({"dataset": record.get("dataset"), "data_fingerprint": record.get("data_fingerprint"),
                   "params": record.get("params"), "kind": record.get("kind")})
    return {k: (v if isinstance(v, str) else json.dumps(v))[:MAX_PARAM_CHARS] for k, v in params.items()}


def _metrics(history: list[dict]) -> list[Any]:
    from mlflow.entities import Metric

    now = int(time.time() * 1000)
    out = []
    for row in history or []:
        step = int(row.get("epoch", len(out)))
        for key, value in row.items():
            if key != "epoch" and isinstance(value, (int, float)) and not isinstance(value, bool):
                out.append(Metric(key, float(value), now, step))
    return out


def log_run(record: dict, history: list[dict], weights_path: str | Path, uri: str | None = None,
            experiment: str = EXPERIMENT) -> dict | None:
    """Log one registered model's training to MLflow; None when no tracking URI is set.

    Returns {run_id, experiment_id, registered_model, version}.
    """
    uri = tracking_uri(uri)
    if not uri:
        return None
    from mlflow.entities import Param
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    found = client.get_experiment_by_name(experiment)
    experiment_id = found.experiment_id if found else client.create_experiment(experiment)
    parent = record.get("parent_id") or "none"
    tags = {"graft.model_id": record["id"], "graft.kind": record.get("kind", "model"), "graft.parent_id": parent,
            "graft.run_id": record.get("run_id") or "none", "graft.weights_sha256": record.get("weights_sha256") or ""}
    run = client.create_run(experiment_id, run_name=record["name"], tags=tags)
    run_id = run.info.run_id
    try:
        params = [Param(k, v) for k, v in _params(record).items()]
        metrics = _metrics(history)
        for i in range(0, max(len(params), len(metrics), 1), 100):   # MLflow takes at most 100 params per batch
            client.log_batch(run_id, metrics=metrics[i:i + 100], params=params[i:i + 100])
        client.log_artifact(run_id, str(weights_path), artifact_path="weights")
        client.log_dict(run_id, record["spec"], "network/spec.json")
    except BaseException:
        client.set_terminated(run_id, "FAILED")
        raise
    client.set_terminated(run_id, "FINISHED")
    name = registered_name(record["name"])
    try:
        client.create_registered_model(name, description=record.get("description") or None)
    except MlflowException as err:
        if err.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
    version = client.create_model_version(name, f"{run.info.artifact_uri}/weights", run_id=run_id,
                                          tags={"graft.model_id": record["id"], "graft.parent_id": parent},
                                          description=record.get("description") or None)
    client.set_registered_model_tag(name, "graft.parent_id", parent)
    client.set_registered_model_tag(name, "graft.model_id", record["id"])
    return {"run_id": run_id, "experiment_id": experiment_id, "registered_model": name, "version": version.version}


def log_if_enabled(record: dict, history: list[dict], weights_path: str | Path, uri: str | None = None) -> dict | None:
    """`log_run` for the training path: a tracking server that is down must not fail a finished training."""
    if not tracking_uri(uri):
        return None
    try:
        return log_run(record, history, weights_path, uri)
    except Exception as err:  # noqa: BLE001 - reported, the model is registered in graft either way
        warnings.warn(f"MLflow tracking at {tracking_uri(uri)} failed for {record['id']}: {err}", stacklevel=2)
        return None
