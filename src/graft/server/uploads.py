"""Multipart uploads streamed straight to a staging folder in the workspace, refused with 413 as soon as they
exceed the limit: first by Content-Length (before reading a byte), then by counting while streaming (for a
chunked or lying client). Nothing is held in memory beyond one chunk."""
from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

from fastapi import Request
from python_multipart import create_form_parser
from python_multipart.exceptions import FormParserError

from .errors import ApiError


@dataclass
class UploadedFile:
    field: str
    filename: str        # the client's name reduced to its last component; never used as a path
    path: Path           # where the bytes are, inside the staging folder
    size: int


@dataclass
class Upload:
    files: list[UploadedFile] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)

    def file(self, name: str = "file") -> UploadedFile:
        for f in self.files:
            if f.field == name:
                return f
        raise ApiError(400, f"the upload has no file field {name!r} (found fields "
                            f"{sorted({f.field for f in self.files} | set(self.fields))})")


def too_large(limit: int) -> ApiError:
    return ApiError(413, f"upload larger than the server's limit of {limit // (1 << 20)} MiB "
                         f"(start `graft ui` with a higher --max-upload-mb to allow it)")


def check_length(request: Request, limit: int) -> None:
    """Refuse on the declared size, before any byte is read."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise ApiError(400, f"Content-Length must be a number of bytes, found {declared!r:.40}")
        if int(declared) > limit:
            raise too_large(limit)


def base_name(raw: bytes | None) -> str:
    text = (raw or b"").decode("utf-8", "replace")
    return PurePosixPath(PureWindowsPath(text).name).name[:255] or "upload"


@asynccontextmanager
async def receive_upload(request: Request, ws, limit: int):
    """Yield the parsed Upload, staged in a locked scratch folder of the workspace (removed afterwards)."""
    check_length(request, limit)
    ctype = request.headers.get("content-type", "")
    if not ctype.lower().startswith("multipart/form-data"):
        raise ApiError(400, f"expected a multipart/form-data upload, found content type {ctype!r:.80}")
    with ws.scratch("upload") as folder:
        async with _receive(request, ctype, folder, limit) as upload:
            yield upload


@asynccontextmanager
async def _receive(request: Request, ctype: str, folder: Path, limit: int):
    raw_files, upload = [], Upload()

    def on_field(f) -> None:
        name = (f.field_name or b"").decode("utf-8", "replace")
        upload.fields[name] = (f.value or b"").decode("utf-8", "replace")

    try:
        config = {"UPLOAD_DIR": str(folder), "UPLOAD_DELETE_TMP": False, "MAX_MEMORY_FILE_SIZE": 1 << 16,
                  "UPLOAD_KEEP_EXTENSIONS": True}
        try:
            parser = create_form_parser({"Content-Type": ctype.encode("latin-1")}, on_field,
                                        raw_files.append, config=config)
        except (FormParserError, ValueError) as err:
            raise ApiError(400, f"malformed multipart upload: {err}") from None
        total = 0
        try:
            async for chunk in request.stream():
                total += len(chunk)
                if total > limit:
                    raise too_large(limit)
                parser.write(chunk)
            parser.finalize()
        except (FormParserError, ValueError) as err:
            raise ApiError(400, f"malformed multipart upload: {err}") from None
        for f in raw_files:
            f.flush_to_disk()
            f.close()
            upload.files.append(UploadedFile(field=(f.field_name or b"").decode("utf-8", "replace"),
                                             filename=base_name(f.file_name), path=Path(f.actual_file_name.decode()
                                             if isinstance(f.actual_file_name, bytes) else f.actual_file_name),
                                             size=f.size))
        yield upload
    finally:
        for f in raw_files:
            try:
                f.close()
            except Exception:  # already closed
                pass
