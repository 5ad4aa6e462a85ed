"""Hugging Face `datasets` data without the `datasets` package: parquet files (as on the Hub) or a
`save_to_disk` folder (dataset_info.json / state.json and Arrow stream files), read with pyarrow.

An image column is a struct with the encoded file's `bytes` (how an Image feature is stored); the label is the
column named label / labels / class / target / y, or the only integer column. Class names come from a
ClassLabel feature when there is one. The split is in the file's path (train-00000-of-00001.parquet,
test/…) or in state.json.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from graft.data.csvfile import LABEL_NAMES
from graft.data.errors import DataError
from graft.data.found import split_from_name
from graft.data.images import Entry, Limits, is_junk, walk_files

HF_MARKERS = ("dataset_info.json", "state.json", "dataset_dict.json")


def is_hf_folder(folder: Path) -> bool:
    if any((folder / m).is_file() for m in HF_MARKERS):
        return True
    return any(p.suffix == ".parquet" for p in folder.rglob("*.parquet"))


def _tables(path: Path, limits: Limits, display: str) -> list[tuple[str, str, Any, dict]]:
    """(name for messages, split, pyarrow table, features) for every parquet or arrow file."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    files = [(path, path.name, display)] if path.is_file() else \
        [(p, rel.as_posix(), where) for p, rel, where in walk_files(path, display)
         if not is_junk(rel.parts) and p.suffix in (".parquet", ".arrow")]
    if not files:
        raise DataError(display, "no .parquet or .arrow files found")
    if sum(p.stat().st_size for p, _, _ in files) > limits.max_total_bytes:
        raise DataError(display, f"files exceed the limit of {limits.max_total_bytes} bytes")
    out = []
    for p, rel, where in files:
        try:
            if p.suffix == ".arrow":
                with pa.memory_map(str(p)) as src:
                    table = pa.ipc.open_stream(src).read_all()
            else:
                table = pq.read_table(p)
        except (pa.ArrowException, OSError, ValueError) as e:
            raise DataError(where, f"not a readable {p.suffix[1:]} file ({type(e).__name__}: {e})") from None
        features = _features(table.schema.metadata, p.parent, where)
        split = _state_split(p.parent) or split_from_name(rel) or "train"
        out.append((where, split, table, features))
    return out


def _features(metadata: dict | None, folder: Path, where: str) -> dict:
    try:
        if metadata and b"huggingface" in metadata:
            return json.loads(metadata[b"huggingface"]).get("info", {}).get("features", {}) or {}
        info = folder / "dataset_info.json"
        if info.is_file():
            return json.loads(info.read_text(encoding="utf-8")).get("features", {}) or {}
    except (ValueError, AttributeError, OSError) as e:
        raise DataError(where, f"unreadable dataset features ({e})") from None
    return {}


def _state_split(folder: Path) -> str | None:
    state = folder / "state.json"
    if not state.is_file():
        return None
    try:
        name = json.loads(state.read_text(encoding="utf-8")).get("_split")
    except (ValueError, AttributeError, OSError):
        return None
    return split_from_name(name) if isinstance(name, str) else None


def _columns(table: Any, features: dict, where: str, label_column: str | None) -> tuple[str, str]:
    import pyarrow as pa
    images = [f.name for f in table.schema if pa.types.is_struct(f.type) and f.type.get_field_index("bytes") >= 0]
    if len(images) != 1:
        raise DataError(where, f"expected one image column (a struct with bytes, as an Image feature is "
                               f"stored), found {images or 'none'} among {table.column_names}")
    if label_column is not None:
        if label_column not in table.column_names:
            raise DataError(where, f"no column named {label_column!r} (found {table.column_names})")
        return images[0], label_column
    ints = [f.name for f in table.schema if pa.types.is_integer(f.type)]
    named = [n for n in ints if n.lower() in LABEL_NAMES or features.get(n, {}).get("_type") == "ClassLabel"]
    choice = named if named else ints
    if len(choice) != 1:
        raise DataError(where, f"cannot tell the label column among {choice or table.column_names}: pass "
                               f"label_column")
    return images[0], choice[0]


def hf_entries(path: Path, limits: Limits, display: str, label_column: str | None = None
               ) -> tuple[list[Entry], list[str] | None, dict]:
    """(entries to decode, ClassLabel names or None, label info) of a parquet file or an HF folder."""
    entries, names, label_info = [], None, None
    for where, split, table, features in _tables(path, limits, display):
        img_col, lab_col = _columns(table, features, where, label_column)
        names = names or features.get(lab_col, {}).get("names")
        label_info = label_info or {"column": lab_col, "name": lab_col, "by": "given" if label_column else
                                    "header", "evidence": f"the integer column {lab_col!r}"}
        cells = table.column(img_col).to_pylist()
        labels = table.column(lab_col).to_pylist()
        if len(cells) + len(entries) > limits.max_members:
            raise DataError(display, f"too many images (limit {limits.max_members})")
        for i, (cell, label) in enumerate(zip(cells, labels)):
            at = f"{where}[row {i}]"
            data = cell.get("bytes") if isinstance(cell, dict) else None
            if not isinstance(data, bytes):
                raise DataError(at, "image has no bytes (stored by path only, which graft does not follow)")
            if len(data) > limits.max_member_bytes:
                raise DataError(at, f"image is {len(data)} bytes (limit {limits.max_member_bytes})")
            if not isinstance(label, int) or label < 0:
                raise DataError(at, f"label must be a whole number 0 or more, found {label!r}")
            entries.append(Entry(at, split, label, lambda data=data: data))
    return entries, ([str(n) for n in names] if names else None), label_info
