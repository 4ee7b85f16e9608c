"""Property-based API testing: schemathesis against the live server's own ``/openapi.json``.

For every operation schemathesis sends schema-derived requests (the examples, coverage and
fuzzing phases, valid and invalid inputs) and checks that the server never answers 5xx, that
every answer matches the declared response schema and that its status code is one the
operation documents. Generation is deterministic (a fixed seed) and bounded per operation so
the file stays within a few minutes on two cores.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

if TYPE_CHECKING:
    from schemathesis.specs.openapi.schemas import OpenApiSchema

    from tests.api_server import LiveServer


MAX_EXAMPLES = 100
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]


@pytest.fixture(scope="session")
def api_schema(live_api: LiveServer) -> OpenApiSchema:
    """The schema as the running server publishes it, with bounded, reproducible generation."""
    config = schemathesis.Config.from_dict(
        {
            "seed": 20210801,
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        }
    )
    return schemathesis.openapi.from_url(f"{live_api.url}/openapi.json", config=config, timeout=30)


@pytest.fixture(autouse=True)
def _legacy_node_id(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32 reads ``item._nodeid``, which pytest 9 no longer has (its ``nodeid`` is a property)."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
def test_no_operation_answers_a_server_error_or_breaks_its_schema(case: schemathesis.Case[Any]) -> None:
    case.call_and_validate(checks=CHECKS)
