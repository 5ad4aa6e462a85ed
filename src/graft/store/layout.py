"""Where a workspace keeps its files: the one place that decides every path under the workspace root.

    artifacts/<id>/        a model's, foundation's, data set's or evaluation's files (written by files.publish)
    tmp/                   folders being written (swept on open), scratch space
    cache/features/        frozen-foundation outputs (engine.features)
    runs/<run-id>/         a run's worker.log and checkpoints/
    reports/<rep-id>.json  transfer reports, with their plot <rep-id>.png
    embeddings/<emb-id>.json  2-D maps of a model's features on a data set
    registry.db            the registry (SQLite, unless a database URL is given)

Operations ask for paths here (ws.layout) and never join workspace paths themselves.
"""
from __future__ import annotations

from pathlib import Path

from . import files as _files
from .ids import NotFound, check_id


class Layout:
    def __init__(self, root: str | Path):
        self.root = Path(root).absolute()
        self.artifacts, self.tmp, self.cache = self.root / "artifacts", self.root / "tmp", self.root / "cache"
        self.registry_db = self.root / "registry.db"

    def make(self) -> None:
        for folder in (self.root, self.artifacts, self.tmp, self.cache):
            folder.mkdir(parents=True, exist_ok=True)

    # -- artifacts: ids are checked before they become paths
    def artifact_dir(self, id: str, prefixes: tuple[str, ...] = ("mdl", "fnd", "ds", "ev")) -> Path:
        return self.artifacts / check_id(id, "artifact", prefixes)

    def artifact_file(self, kind: str, id: str, name: str, prefixes: tuple[str, ...] | None = None) -> Path:
        """artifacts/<id>/<name>, which must exist (NotFound names the file and the record otherwise)."""
        try:
            _files.check_file_name(name)
        except ValueError:
            raise NotFound(f"file {name!r:.80} of {kind}", id) from None
        path = self.artifact_dir(id, prefixes or ("mdl", "fnd", "ds", "ev")) / name
        if not path.is_file():
            raise NotFound(f"file {name!r} of {kind}", id)
        return path

    # -- runs
    def run_dir(self, run_id: str, create: bool = True) -> Path:
        path = self.root / "runs" / check_id(run_id, "run")
        if create:
            path.mkdir(parents=True, exist_ok=True)
        return path

    def checkpoints(self, run_id: str) -> Path:
        """runs/<id>/checkpoints (not created: the training loop writes it at its first epoch)."""
        return self.run_dir(run_id, create=False) / "checkpoints"

    def worker_log(self, run_id: str) -> Path:
        return self.run_dir(run_id) / "worker.log"

    # -- reports
    def reports_dir(self, create: bool = True) -> Path:
        path = self.root / "reports"
        if create:
            path.mkdir(parents=True, exist_ok=True)
        return path

    def report_file(self, report_id: str, suffix: str = ".json") -> Path:
        """reports/<id><suffix> for an id already checked by store.reports."""
        return self.reports_dir(create=False) / f"{report_id}{suffix}"

    # -- embedding maps
    def embeddings_dir(self, create: bool = True) -> Path:
        path = self.root / "embeddings"
        if create:
            path.mkdir(parents=True, exist_ok=True)
        return path

    def embedding_file(self, emb_id: str) -> Path:
        """embeddings/<id>.json for an id already checked by store.embeddings (the folder is made)."""
        return self.embeddings_dir() / f"{emb_id}.json"

    # -- caches
    def feature_cache(self) -> Path:
        return self.cache / "features"

    def relative(self, path: Path) -> str:
        return str(Path(path).relative_to(self.root))
