"""The HTTP server behind `graft ui`: `serve(workspace, host, port, token)`; the app itself is
graft.server.app.create_app. Importing this package stays light (no torch, no FastAPI until serve())."""
from __future__ import annotations

import re
import sys
from pathlib import Path

TOKEN_PATTERN = re.compile(r"[A-Za-z0-9._~-]{16,256}")


def check_bind(host: str, token: str | None) -> str | None:
    """Why serving on `host` with `token` is refused, or None when it is fine."""
    from .security import is_loopback

    if token is not None and not TOKEN_PATTERN.fullmatch(token):
        return "the token must be 16 to 256 characters of A-Z a-z 0-9 . _ ~ -"
    if token is None and not is_loopback(host):
        return (f"refusing to listen on {host} without an access token: anyone who can reach this address could "
                f"train and read models. Pass --token (or set GRAFT_TOKEN), or keep the default 127.0.0.1.")
    return None


def serve(workspace: str | Path = "graft-workspace", host: str = "127.0.0.1", port: int = 8000,
          token: str | None = None, db_url: str | None = None, load_example: bool = False, workers: int = 1,
          max_upload_mb: int = 200) -> None:
    problem = check_bind(host, token)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        raise SystemExit(2)
    import uvicorn

    from .app import create_app

    app = create_app(workspace, token=token, host=host, port=port, max_upload_mb=max_upload_mb,
                     workers=workers, db_url=db_url)
    if load_example:
        _load_example(app.state.ws)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    print(f"graft workbench: {url}  (workspace {Path(workspace).absolute()}; Ctrl-C stops it)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False, server_header=False)


def _load_example(ws) -> None:
    """Put the MNIST transfer workflow from examples/ in the workspace once."""
    example = Path(__file__).resolve().parents[1] / "workflows" / "mnist_transfer.yaml"
    if not example.is_file():
        print(f"note: example workflow {example} not found; skipping --load-example", file=sys.stderr)
        return
    if not any(w["name"] == "mnist-transfer" for w in ws.list_workflows()):
        ws.create_workflow("mnist-transfer", example.read_text(encoding="utf-8"))


__all__ = ["check_bind", "serve"]
