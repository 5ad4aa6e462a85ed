from .runner import WorkflowFailed, run_workflow, workflow_hash
from .schema import Workflow, parse_workflow

__all__ = ["Workflow", "WorkflowFailed", "parse_workflow", "run_workflow", "workflow_hash"]
