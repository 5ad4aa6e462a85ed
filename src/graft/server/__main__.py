"""`python -m graft.server --workspace DIR [--host H] [--port P] [--token T]`: the same as `graft ui`."""
import argparse
import os

from . import serve

ap = argparse.ArgumentParser(prog="python -m graft.server")
ap.add_argument("--workspace", default="graft-workspace")
ap.add_argument("--host", default="127.0.0.1")
ap.add_argument("--port", type=int, default=8000)
ap.add_argument("--token", default=os.environ.get("GRAFT_TOKEN"))
ap.add_argument("--workers", type=int, default=1)
ap.add_argument("--max-upload-mb", type=int, default=200)
a = ap.parse_args()
serve(a.workspace, host=a.host, port=a.port, token=a.token, workers=a.workers, max_upload_mb=a.max_upload_mb)
