"""Property-based API testing: schemathesis against the live server's own ``/openapi.json``.

For every operation schemathesis sends schema-derived requests (the examples, coverage and
fuzzing phases, valid and invalid inputs) and checks that the server never answers 5xx, that
every answer matches the declared response schema and that its status code is one the
operation documents. The stateful test then chains operations by the schema's links
(api/links.py): a search leads to its genes, evidence and tests, an entry to a submission, a
submission to its review, each step signed in as an editor. Generation is deterministic and
bounded so the file stays within a few minutes on two cores.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import RULE_MARKER
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from api.links import LINKS

if TYPE_CHECKING:
    from schemathesis.specs.openapi.schemas import OpenApiSchema

    from tests.api_server import LiveServer


MAX_EXAMPLES = 100
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
STATEFUL_CHECKS = [not_a_server_error, response_schema_conformance]
STATEFUL_SETTINGS = settings(
    max_examples=50,  # about 550 calls, 10 to 20 s per backend
    stateful_step_count=10,  # room for the editorial chain: tests -> entry -> submission -> its review
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.generate],  # a failure is reported as found, unshrunk: shrinking replays chains of live calls
    suppress_health_check=list(HealthCheck),
)


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


@pytest.fixture(scope="session")
def editor_token(live_api: LiveServer) -> str:
    """A bearer token of an editor made for these tests: one person, so nothing they submit gets accepted."""
    name, password = f"schemathesis-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    live_api.app.state.editorial.accounts.create_user(name, password, "editor", actor="test-setup")
    answer = httpx.post(f"{live_api.url}/v1/auth/login", json={"username": name, "password": password}, timeout=30)
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["token"]
    return token


def test_operations_chained_by_the_schema_links_never_answer_a_server_error_or_break_their_schema(
    live_api: LiveServer, editor_token: str
) -> None:
    # Inference off: the machine follows only the links the server publishes, and every one of them
    # must have become a transition (building the machine also fails on a link that does not resolve).
    config = schemathesis.Config.from_dict({"phases": {"stateful": {"inference": {"algorithms": []}}}})
    machine = schemathesis.openapi.from_url(
        f"{live_api.url}/openapi.json", config=config, timeout=30
    ).as_state_machine()
    transitions = {name for name, rule in vars(machine).items() if hasattr(rule, RULE_MARKER)} - machine.root_rules
    assert len(transitions) == sum(len(links) for links in LINKS.values()) >= 40

    class SignedInEditor(machine):  # type: ignore[misc, valid-type]
        def before_call(self, case: schemathesis.Case[Any]) -> None:
            headers = case.headers.copy()  # case-insensitive: replaces a generated authorization, drops a key
            headers.pop("X-API-Key", None)
            headers["Authorization"] = f"Bearer {editor_token}"
            if case.operation.path.endswith("/logout-all"):  # would end the run's session: called signed out
                del headers["Authorization"]
            case.headers = headers  # assigned, so schemathesis sees the change

        def validate_response(self, response: Any, case: schemathesis.Case[Any], *args: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=STATEFUL_CHECKS, transport_kwargs=kwargs or None)

    SignedInEditor.run(settings=STATEFUL_SETTINGS)
