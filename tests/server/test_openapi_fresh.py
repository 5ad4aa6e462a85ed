"""The front end's typed client is generated from frontend/openapi.json (npm run gen:api): both must be what
the server describes today, or the client compiles against an API that is gone."""
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from graft.server.openapi import openapi_document

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "frontend"
FIX = "run `make openapi` (writes frontend/openapi.json and regenerates frontend/src/api/schema.d.ts) and commit both"


def test_openapi_json_is_what_the_server_describes():
    committed = json.loads((FRONTEND / "openapi.json").read_text(encoding="utf-8"))
    assert committed == json.loads(json.dumps(openapi_document())), f"frontend/openapi.json is stale: {FIX}"


def test_schema_d_ts_is_generated_from_openapi_json(tmp_path):
    cli = FRONTEND / "node_modules" / ".bin" / "openapi-typescript"
    if not cli.exists():
        pytest.skip("frontend/node_modules is absent: `make web` (which `make test` runs) installs it")
    if shutil.which("node") is None:
        pytest.skip("node is not on PATH")
    out = tmp_path / "schema.d.ts"
    subprocess.run([str(cli), "openapi.json", "-o", str(out)], cwd=FRONTEND, check=True, capture_output=True)
    assert out.read_text(encoding="utf-8") == (FRONTEND / "src/api/schema.d.ts").read_text(encoding="utf-8"), \
        f"frontend/src/api/schema.d.ts is stale: {FIX}"
