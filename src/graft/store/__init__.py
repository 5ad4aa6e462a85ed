"""The workspace store: artifact folders plus a registry database (SQLite by default, PostgreSQL by URL).

    from graft.store import Workspace, NotFound
    ws = Workspace("graft-workspace")            # or Workspace(root, db_url="postgresql+psycopg://...")
    model = ws.register_model({"name": "cnn", "spec": doc, ...}, {"weights.safetensors": data})
    ws.get_model(model["id"]); ws.list_models(kind="foundation"); ws.model_path(model["id"], "weights.safetensors")
"""
from .db import StoreError
from .ids import ID_PATTERN, NotFound, check_id, new_id
from .runs import STATUSES as RUN_STATUSES
from .workspace import Workspace

__all__ = ["ID_PATTERN", "NotFound", "RUN_STATUSES", "StoreError", "Workspace", "check_id", "new_id"]
