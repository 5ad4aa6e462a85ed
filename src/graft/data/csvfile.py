"""CSV of images, one per row: a label column and pixel columns (0-255), with or without a header.

The label column is the one given (`label_column`, a 0-based index or a header name), else the one headed
label / class / target / y, else detected from the values of the first and last columns: a label has few
distinct small whole numbers where pixel columns have many. Two columns that could both be the label are
refused (the message lists them); a column with one value is never taken for one.
"""
from __future__ import annotations

import contextlib
import csv
import math
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from graft.data import idx
from graft.data.errors import DataError
from graft.data.images import Limits

LABEL_NAMES = ("label", "labels", "class", "target", "y", "category")
MAX_LABEL_VALUES = 1000
_CHUNK_CELLS = 1 << 19   # cells parsed at a time: as Python strings a chunk takes ~40 MB, whatever the file's size


class LabelColumnError(DataError):
    """Which column is the label cannot be told: `candidates` lists the columns that could be."""

    def __init__(self, file: object, problem: str, candidates: list[dict]):
        super().__init__(file, problem)
        self.candidates = candidates


def _numeric(c: str) -> bool:
    try:
        float(c)
        return True
    except ValueError:
        return False


def _layout(cells: list[str], label_column: int | str | None, where: str, line: int):
    """(width, header names or None, the label column when known, how it was chosen)."""
    if len(cells) < 2:
        raise DataError(where, f"expected a label column and pixel columns, found {len(cells)} column", line)
    header = None if all(_numeric(c) for c in cells) else [c.strip() for c in cells]
    names = [c.lower() for c in header] if header else []
    if isinstance(label_column, str):
        if header is None or label_column.lower() not in names:
            raise DataError(where, f"no column named {label_column!r} in the header", line)
        return len(cells), header, names.index(label_column.lower()), "given"
    if isinstance(label_column, int):
        if not 0 <= label_column < len(cells):
            raise DataError(where, f"label column {label_column} is outside the {len(cells)} columns", line)
        return len(cells), header, label_column, "given"
    named = [i for i, n in enumerate(names) if n in LABEL_NAMES]
    if len(named) > 1:
        raise LabelColumnError(where, f"columns {[header[i] for i in named]} could each be the label: pass "
                                      f"label_column to choose", [_cand(i, header, "its header") for i in named])
    return len(cells), header, (named[0] if named else None), ("header" if named else None)


def _cand(col: int, header: list[str] | None, evidence: str) -> dict:
    return {"column": col, "name": header[col] if header else None, "evidence": evidence}


def _scan_rows(rows, width: int, label_cols: set[int], known: bool, where: str) -> None:
    """Find the first bad row of a chunk that failed fast conversion, and say what is wrong with it."""
    for line, cells in rows:
        if len(cells) != width:
            raise DataError(where, f"expected {width} columns, found {len(cells)}", line)
        for col, cell in enumerate(cells):
            try:
                v = float(cell)
            except ValueError:
                raise DataError(where, f"column {col + 1} is not a number ({cell[:40]!r})", line) from None
            what = ("label" if known else "value") if col in label_cols else "pixel"
            if not math.isfinite(v) or v != math.floor(v):
                raise DataError(where, f"column {col + 1} {what} {cell[:40]!r} is not a whole number", line)
            if col not in label_cols and not 0 <= v <= 255:
                raise DataError(where, f"column {col + 1} pixel value {cell[:40]} is outside 0-255", line)
            if col in label_cols and not 0 <= v < 2**31:
                name = "label" if known else f"column {col + 1} value"
                raise DataError(where, f"{name} {cell[:40]} is negative or too large", line)


def _convert(rows, width: int, label_cols: list[int], known: bool, where: str):
    """-> (all columns as uint8, the possible label columns as int64) for one chunk of rows."""
    try:
        values = np.array([cells for _, cells in rows], dtype=str).astype(np.float64)
        if values.ndim != 2 or values.shape[1] != width:
            raise ValueError("ragged")
        pixels = np.delete(values, label_cols, axis=1)
        labels = values[:, label_cols]
        ok = (np.isfinite(values).all() and (values == np.floor(values)).all() and pixels.min(initial=0) >= 0
              and pixels.max(initial=0) <= 255 and labels.min() >= 0 and labels.max() < 2**31)
    except (ValueError, OverflowError):
        ok = False
    if not ok:
        _scan_rows(rows, width, set(label_cols), known, where)
        raise DataError(where, "could not read the numbers of this file")  # _scan_rows always finds it first
    return np.minimum(values, 255).astype(np.uint8), labels.astype(np.int64)


def _distinct(col: np.ndarray) -> int:
    return int(len(np.unique(col))) if col.dtype != np.uint8 else int((np.bincount(col, minlength=256) > 0).sum())


def detect_label(distinct, ends: np.ndarray, end_cols: list[int], header, where: str
                 ) -> tuple[int, str, str, list[str]]:
    """(column, how, evidence, warnings) from the values: the first or last column, whichever looks like one.
    `distinct(c)` is how many distinct values (pixel) column c holds."""
    width = max(end_cols) + 1
    inner = [c for c in range(width) if c not in end_cols]
    ref = float(np.median([distinct(c) for c in inner])) if inner else None
    stats = [(c, _distinct(ends[:, k]), int(ends[:, k].max())) for k, c in enumerate(end_cols)]
    pixels = f"the other columns look like pixels (a median of {ref:g} distinct values)" if inner else ""
    cands = [_cand(c, header, f"the {'first' if c == 0 else 'last'} column (index {c}) holds {d} distinct whole "
                              f"numbers 0-{hi}, while {pixels}") for c, d, hi in stats
             if ref is not None and 2 <= d <= MAX_LABEL_VALUES and (2 * d <= ref or hi > 255)]
    if len(cands) == 1:
        return cands[0]["column"], "values", cands[0]["evidence"], []
    if len(cands) > 1:
        listed = "; ".join(c["evidence"].split(", while")[0] for c in cands)
        raise LabelColumnError(where, f"two columns could be the label: {listed}; pass label_column to choose",
                               cands)
    first_d = stats[0][1]
    if first_d >= 2 or all(d <= 1 for _, d, _ in stats):
        note = "no column stood out as the label; took the first (pass label_column to choose another)"
        return end_cols[0], "default", note, [note]
    raise LabelColumnError(where, "no column looks like the label: the first has one value (never a label) and "
                                  "the last looks like pixels; pass label_column to choose", [])


def read_csv(path: Path, limits: Limits, label_column: int | str | None = None,
             shape: Sequence[int] | None = None, display: str | None = None):
    """-> (images uint8 [N, C, H, W], labels int64 [N], label info {column, name, by, evidence}, warnings).
    While an import is spooling (idx.spooling), the pixel rows go a chunk at a time into a file in its staging
    folder and the images come back memory-mapped from it: memory holds a chunk, not the data set."""
    where = display or str(path)
    if path.stat().st_size > limits.max_total_bytes:
        raise DataError(where, f"file is over the limit of {limits.max_total_bytes} bytes")
    rows_made: list[_Rows] = []
    try:
        return _read_rows(path, label_column, shape, where, lambda made: rows_made.append(made))
    except BaseException:
        for made in rows_made:
            made.discard()
        raise


def _read_rows(path, label_column, shape, where, keep):
    rows = None
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            width = None
            chunk: list[tuple[int, list[str]]] = []
            for cells in reader:
                if not cells or all(not c.strip() for c in cells):
                    continue
                if width is None:
                    width, header, col, how = _layout(cells, label_column, where, reader.line_num)
                    end_cols = [col] if col is not None else sorted({0, width - 1})
                    rows = _Rows(width, col)
                    keep(rows)
                    if header is not None:
                        continue
                chunk.append((reader.line_num, cells))
                if len(chunk) * width >= _CHUNK_CELLS:
                    rows.take(chunk, end_cols, where)
                    chunk = []
            if chunk:
                rows.take(chunk, end_cols, where)
    except UnicodeDecodeError as e:
        raise DataError(where, f"not UTF-8 text ({e.reason} at byte {e.start})") from None
    except csv.Error as e:
        raise DataError(where, f"malformed CSV ({e})") from None
    if rows is None or not rows.count:
        raise DataError(where, "no data rows")
    end_values, line_no = np.concatenate(rows.ends), np.concatenate(rows.lines)
    warns: list[str] = []
    if col is None:
        col, how, evidence, warns = detect_label(rows.distinct, end_values, end_cols, header, where)
    else:
        evidence = f"column index {col}, " + ("as given" if how == "given" else f"headed {header[col]!r}")
    for k, c in enumerate(end_cols):
        over = end_values[:, k] > 255
        if c != col and over.any():
            i = int(np.argmax(over))
            raise DataError(where, f"column {c + 1} pixel value {int(end_values[i, k])} is outside 0-255",
                            int(line_no[i]))
    n_ch, h, w = _shape(width - 1, shape, where)
    labels = end_values[:, end_cols.index(col)]
    pixels = rows.pixels(col).reshape(rows.count, n_ch, h, w)
    info = {"column": col, "name": header[col] if header else None, "by": how, "evidence": evidence}
    return pixels, labels, info, warns


class _Rows:
    """The rows read so far: in memory, or (while an import spools) appended to a file in its staging folder.
    Keeps the possible label columns' values, line numbers and which values each column holds (for
    detect_label), so the pixels are never needed whole."""

    def __init__(self, width: int, col: int | None):
        self.width, self.col, self.count = width, col, 0
        self.ends: list[np.ndarray] = []
        self.lines: list[np.ndarray] = []
        self.bodies: list[np.ndarray] = []
        self.seen = np.zeros((width, 256), dtype=bool)
        self.file = self.path = None
        if idx.spool_folder() is not None:
            fd, self.path = idx.spool_file()
            self.file = os.fdopen(fd, "wb")
        # a label column given in the middle is left out as rows are written; an end one is cut off at the end
        self.drop = col if col is not None and 0 < col < width - 1 else None

    def take(self, chunk, end_cols: list[int], where: str) -> None:
        body, end = _convert(chunk, self.width, end_cols, self.col is not None, where)
        self.seen[np.arange(self.width)[None, :], body] = True
        self.ends.append(end)
        self.lines.append(np.array([ln for ln, _ in chunk], dtype=np.int64))
        self.count += len(body)
        if self.file is None:
            self.bodies.append(body)
        else:
            self.file.write(np.delete(body, self.drop, axis=1) if self.drop is not None else body)

    def distinct(self, col: int) -> int:
        return int(self.seen[col].sum())

    def pixels(self, col: int) -> np.ndarray:
        """[N, width - 1] uint8 without the label column: a view of the spooled file when spooling."""
        if self.file is None:
            return np.delete(np.concatenate(self.bodies), col, axis=1)
        self.file.close()
        try:
            written = self.width - (self.drop is not None)
            mapped = np.memmap(self.path, dtype=np.uint8, mode="r", shape=(self.count, written))
        finally:
            os.unlink(self.path)
        if self.drop is not None:
            return mapped
        return mapped[:, 1:] if col == 0 else mapped[:, :-1] if col == self.width - 1 else \
            np.delete(mapped, col, axis=1)

    def discard(self) -> None:
        if self.file is not None:
            self.file.close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)


def _shape(n_pixels: int, shape: Sequence[int] | None, where: str) -> tuple[int, int, int]:
    if shape is not None:
        c, h, w = (list(shape) if len(shape) == 3 else [1, *shape])
        if c * h * w != n_pixels:
            raise DataError(where, f"shape {list(shape)} needs {c * h * w} pixel columns, found {n_pixels}", 1)
        return c, h, w
    side = math.isqrt(n_pixels)
    if n_pixels == 0 or side * side != n_pixels:
        raise DataError(where, f"{n_pixels} pixel columns is not a square image (give the shape)", 1)
    return 1, side, side
