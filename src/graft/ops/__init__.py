"""The operations every face of graft (CLI, HTTP API, workflows, Python) calls."""
from .evaluate import evaluate_model, evaluation_samples, get_evaluation
from .models import load_model
from .networks import prepare_network, resolve_foundations
from .slice import slice_model
from .train import train_model
from .view import format_per_class, format_rows, format_summary, view_rows

__all__ = ["evaluate_model", "evaluation_samples", "get_evaluation", "format_per_class", "format_rows", "format_summary",
           "load_model", "prepare_network", "resolve_foundations", "slice_model", "train_model", "view_rows"]
