"""Import a data set file into the workspace's registry (the one path used by CLI, API and Python)."""
from __future__ import annotations

from pathlib import Path
from functools import partial
from typing import Any, Callable

from ..contracts.requests import DatasetImportRequest as Request
from .cancel import check

_DEFAULT = {k: f.get_default() for k, f in Request.model_fields.items() if k != "path"}


def column_of(text: Any) -> int | str | None:
    """A label column as typed (CLI option, form field): digits are an index, anything else a header name."""
    if not isinstance(text, str):
        return text
    text = text.strip()
    return int(text) if text.isdigit() else (text or None)


def import_dataset(ws, path: Any, name: str | None = _DEFAULT["name"], kind: str | None = _DEFAULT["kind"],
                   test_fraction: float = _DEFAULT["test_fraction"], label_column: int | str | None =
                   _DEFAULT["label_column"], resize: str | list[int] | None = _DEFAULT["resize"],
                   dry_run: bool = _DEFAULT["dry_run"], *, filename: str | None = None,
                   should_stop: Callable[[], bool] | None = None) -> dict:
    """Read `path` (a zip or folder of class folders, a CSV, an NPZ, IDX files or a `datasets` folder; `kind`
    sniffed when None), store it in graft's form and register it; returns the dataset record. With `dry_run`,
    registers nothing and returns what the import would find (graft.data.inspect_dataset). `filename` is the
    name the user knows the file by (an upload's): messages, the default name and the record's source use it.
    Raises Cancelled (before each image file, and before registering) when `should_stop` says so."""
    from ..data import import_to, inspect_dataset

    display = filename or str(path)     # as the user called it: the upload's name, or the path as typed
    filename = filename or Path(path).name
    label_column = column_of(label_column)
    if dry_run:   # a zipped HF folder is unpacked for the look in the workspace's tmp/, removed after
        with ws.scratch("preview") as scratch:
            return inspect_dataset(path, display_name=display, label_column=label_column, resize=resize,
                                   kind=kind, scratch_dir=scratch)
    with ws.scratch("dataset") as staging:
        meta = import_to(path, staging, kind=kind, name=name or filename.rsplit(".", 1)[0],
                         test_fraction=test_fraction, label_column=label_column, resize=resize,
                         display_name=display, each=partial(check, should_stop))
        files = {p.name: p for p in staging.iterdir() if p.is_file()}
        record = {"name": meta["name"], "kind": meta["kind"], "classes": meta["classes"],
                  "sizes": {k: v.get("count") for k, v in meta["splits"].items()},
                  "shape": meta["shape"], "fingerprint": meta["sha256"], "source": {"file": filename}}
        check(should_stop)
        return ws.add_dataset(record, files)
