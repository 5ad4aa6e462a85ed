"""Hugging Face `datasets` data without the `datasets` package: parquet files (as on the Hub) or a
`save_to_disk` folder (dataset_info.json / state.json and Arrow stream files), read with pyarrow.

An image column is a struct with the encoded file's `bytes` (how an Image feature is stored); the label is the
column named label / labels / class / target / y, or the only integer column. Class names come from a
ClassLabel feature when there is one. The split is in the file's path (train-00000-of-00001.parquet,
test/…) or in state.json.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from graft.data.csvfile import LABEL_NAMES
from graft.data.errors import DataError
from graft.data.found import split_from_name
from graft.data.images import Entry, Limits, is_junk, walk_files

HF_MARKERS = ("dataset_info.json", "state.json", "dataset_dict.json")


def is_hf_folder(folder: Path) -> bool:
    if any((folder / m).is_file() for m in HF_MARKERS):
        return True
    return any(p.suffix == ".parquet" for p in folder.rglob("*.parquet"))


BATCH_ROWS = 64   # image rows read at a time


@dataclass(frozen=True)
class _Source:
    file: Path
    where: str                    # the file as messages call it
    split: str
    image: str                    # column names
    label: str
    rows: int | None              # None for an Arrow stream (not known before it is read)


def _files(path: Path, limits: Limits, display: str, where_prefix: str | None = None
           ) -> list[tuple[Path, str, str]]:
    files = [(path, path.name, display)] if path.is_file() else \
        [(p, rel.as_posix(), where if where_prefix is None else where_prefix + rel.as_posix())
         for p, rel, where in walk_files(path, display)
         if not is_junk(rel.parts) and p.suffix in (".parquet", ".arrow")]
    if not files:
        raise DataError(display, "no .parquet or .arrow files found")
    if sum(p.stat().st_size for p, _, _ in files) > limits.max_total_bytes:
        raise DataError(display, f"files exceed the limit of {limits.max_total_bytes} bytes")
    return files


def _schema(p: Path, where: str) -> tuple[Any, int | None]:
    """(pyarrow schema, row count or None) of a parquet file or Arrow stream, read from its metadata only."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    try:
        if p.suffix == ".arrow":
            with pa.OSFile(str(p)) as src:
                return pa.ipc.open_stream(src).schema, None
        meta = pq.ParquetFile(p)
        return meta.schema_arrow, meta.metadata.num_rows
    except (pa.ArrowException, OSError, ValueError) as e:
        raise DataError(where, f"not a readable {p.suffix[1:]} file ({type(e).__name__}: {e})") from None


def _batches(src: _Source) -> Iterator[Any]:
    """The file's image and label columns, BATCH_ROWS rows at a time (a parquet row group is read as needed,
    an Arrow stream one record batch at a time, never the whole table)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    try:
        if src.file.suffix == ".arrow":
            with pa.OSFile(str(src.file)) as fh:
                for batch in pa.ipc.open_stream(fh):
                    for start in range(0, batch.num_rows, BATCH_ROWS):
                        yield batch.slice(start, BATCH_ROWS).select([src.image, src.label])
        else:
            with pq.ParquetFile(src.file, pre_buffer=False) as pf:   # pre_buffer would read the whole file
                yield from pf.iter_batches(batch_size=BATCH_ROWS, columns=[src.image, src.label])
    except (pa.ArrowException, OSError, ValueError) as e:
        raise DataError(src.where, f"not a readable {src.file.suffix[1:]} file ({type(e).__name__}: {e})") from None


class HFEntries:
    """The rows of every file as Entries, read a batch at a time each time they are iterated."""

    def __init__(self, sources: list[_Source], limits: Limits, display: str):
        self.sources, self.limits, self.display = sources, limits, display

    def __bool__(self) -> bool:
        return any(s.rows is None or s.rows > 0 for s in self.sources)

    def __iter__(self) -> Iterator[Entry]:
        count = 0
        for src in self.sources:
            row = 0
            for batch in _batches(src):
                cells, labels = batch.column(src.image).to_pylist(), batch.column(src.label).to_pylist()
                count += len(cells)
                if count > self.limits.max_members:
                    raise DataError(self.display, f"too many images (limit {self.limits.max_members})")
                for cell, label in zip(cells, labels):
                    yield self._entry(src, row, cell, label)
                    row += 1

    def _entry(self, src: _Source, row: int, cell: Any, label: Any) -> Entry:
        at = f"{src.where}[row {row}]"
        data = cell.get("bytes") if isinstance(cell, dict) else None
        if not isinstance(data, bytes):
            raise DataError(at, "image has no bytes (stored by path only, which graft does not follow)")
        if len(data) > self.limits.max_member_bytes:
            raise DataError(at, f"image is {len(data)} bytes (limit {self.limits.max_member_bytes})")
        if not isinstance(label, int) or label < 0:
            raise DataError(at, f"label must be a whole number 0 or more, found {label!r}")
        return Entry(at, src.split, label, lambda data=data: data)


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


def _columns(schema: Any, features: dict, where: str, label_column: str | None) -> tuple[str, str]:
    import pyarrow as pa
    images = [f.name for f in schema if pa.types.is_struct(f.type) and f.type.get_field_index("bytes") >= 0]
    if len(images) != 1:
        raise DataError(where, f"expected one image column (a struct with bytes, as an Image feature is "
                               f"stored), found {images or 'none'} among {schema.names}")
    if label_column is not None:
        if label_column not in schema.names:
            raise DataError(where, f"no column named {label_column!r} (found {schema.names})")
        return images[0], label_column
    ints = [f.name for f in schema if pa.types.is_integer(f.type)]
    named = [n for n in ints if n.lower() in LABEL_NAMES or features.get(n, {}).get("_type") == "ClassLabel"]
    choice = named if named else ints
    if len(choice) != 1:
        raise DataError(where, f"cannot tell the label column among {choice or schema.names}: pass "
                               f"label_column")
    return images[0], choice[0]


def hf_entries(path: Path, limits: Limits, display: str, label_column: str | None = None,
               where_prefix: str | None = None) -> tuple[HFEntries, list[str] | None, dict]:
    """(entries to decode, ClassLabel names or None, label info) of a parquet file or an HF folder. Only the
    files' metadata is read here; the rows are read a batch at a time as the entries are iterated.
    `where_prefix` names the folder's files in messages (`pets.zip:` for a zip's copy; default `display/`)."""
    sources, names, label_info = [], None, None
    for p, rel, where in _files(path, limits, display, where_prefix):
        schema, rows = _schema(p, where)
        features = _features(schema.metadata, p.parent, where)
        img_col, lab_col = _columns(schema, features, where, label_column)
        names = names or features.get(lab_col, {}).get("names")
        label_info = label_info or {"column": lab_col, "name": lab_col, "by": "given" if label_column else
                                    "header", "evidence": f"the integer column {lab_col!r}"}
        split = _state_split(p.parent) or split_from_name(rel) or "train"
        sources.append(_Source(p, where, split, img_col, lab_col, rows))
    if sum(s.rows or 0 for s in sources) > limits.max_members:
        raise DataError(display, f"too many images (limit {limits.max_members})")
    return HFEntries(sources, limits, display), ([str(n) for n in names] if names else None), label_info
