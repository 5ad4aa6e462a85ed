"""Experiment tracking outside graft (MLflow), switched on by GRAFT_MLFLOW_URI; graft works without it."""
from .mlflow import ENV, log_if_enabled, log_run, tracking_uri

__all__ = ["ENV", "log_if_enabled", "log_run", "tracking_uri"]
