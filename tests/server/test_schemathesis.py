"""Property-based check of the whole API against its own OpenAPI document: no 5xx, responses match the schema."""
import tempfile

import pytest
import schemathesis
from schemathesis.specs.openapi.checks import allow_header_conformance, positive_data_acceptance
from hypothesis import HealthCheck, settings

from graft.server.app import create_app

pytestmark = pytest.mark.slow

_root = tempfile.TemporaryDirectory(prefix="graft-schemathesis-")
app = create_app(_root.name)
app.state.jobs.start = lambda: None  # queued runs stay queued: this checks the HTTP layer, not training
HOST = {"host": "127.0.0.1:8000"}
schema = schemathesis.openapi.from_asgi("/openapi.json", app, headers=HOST)




def _check(case) -> None:
    # a schema-valid body can still be a network with a cycle: 422 for it is right, so that check is off;
    # Starlette's 405 lists only the first matching route's methods in Allow (a known limitation)
    case.call_and_validate(headers=HOST, excluded_checks=[positive_data_acceptance, allow_header_conformance])


# `make test`: the same examples every run, so a red CI means a change broke something, not a lucky draw
@schema.exclude(path="/api/events").parametrize()
@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_conforms(case):
    _check(case)


# `make test-stress`: fresh random examples, many more, to find what the fixed ones do not (a name of U+0085
# alone answered 500 until a random draw found it)
@pytest.mark.stress
@schema.exclude(path="/api/events").parametrize()
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_on_fresh_random_examples(case):
    _check(case)
