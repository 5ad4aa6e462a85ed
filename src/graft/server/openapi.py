"""`python -m graft.server.openapi` prints the API's OpenAPI document (the front end generates its client
from it). A throwaway workspace is used: the document does not depend on the data."""
from __future__ import annotations

import json
import sys
import tempfile


def openapi_document() -> dict:
    from .app import create_app

    with tempfile.TemporaryDirectory() as root:
        app = create_app(root)
        doc = app.openapi()
        app.state.ws.close()
        return doc


def main() -> int:
    json.dump(openapi_document(), sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
