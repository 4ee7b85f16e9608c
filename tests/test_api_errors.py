"""Every error the API can produce has one shape: ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import pytest

if TYPE_CHECKING:
    from tests.api_server import LiveServer


def assert_error_shape(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "details"}
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], dict)
    assert error["code"] == code
    return dict(error)


LONG_Q = "肺" * 501

# (method, path, query parameters, status, code)
ERRORS: list[tuple[str, str, dict[str, Any] | None, int, str]] = [
    ("GET", "/nope", None, 404, "not_found"),
    ("GET", "/v1", None, 404, "not_found"),
    ("GET", "/v1/unknown", None, 404, "not_found"),
    ("GET", "/v2/search", {"q": "EGFR"}, 404, "not_found"),
    ("GET", "/v1/genes/NOTAGENE1", None, 404, "not_found"),
    ("GET", "/v1/genes/不存在的基因", None, 404, "not_found"),
    ("GET", "/v1/tumors/ZZZZ", None, 404, "not_found"),
    ("GET", "/v1/drugs/notadrugamab", None, 404, "not_found"),
    ("GET", "/v1/articles/1", None, 404, "not_found"),
    ("GET", "/v1/articles/99999999", None, 404, "not_found"),
    ("GET", "/v1/evidence/EID0", None, 404, "not_found"),
    ("GET", "/v1/evidence/civic:EID99999999", None, 404, "not_found"),
    ("GET", "/v1/tests/NO-SUCH-TEST", None, 404, "not_found"),
    ("POST", "/v1/search", {"q": "EGFR"}, 405, "method_not_allowed"),
    ("DELETE", "/v1/genes/EGFR", None, 405, "method_not_allowed"),
    ("PUT", "/v1/tests", None, 405, "method_not_allowed"),
    ("PATCH", "/v1/health", None, 405, "method_not_allowed"),
    ("GET", "/v1/search", None, 422, "invalid_request"),
    ("GET", "/v1/search", {"q": LONG_Q}, 422, "invalid_request"),
    ("GET", "/v1/search", {"q": "EGFR", "page": 0}, 422, "invalid_request"),
    ("GET", "/v1/search", {"q": "EGFR", "page": -1}, 422, "invalid_request"),
    ("GET", "/v1/search", {"q": "EGFR", "page": "two"}, 422, "invalid_request"),
    ("GET", "/v1/search", {"q": "EGFR", "page": 1001}, 422, "invalid_request"),
    ("GET", "/v1/search", {"q": "EGFR", "size": 0}, 422, "invalid_request"),
    ("GET", "/v1/search", {"q": "EGFR", "size": 1000}, 422, "invalid_request"),
    ("GET", "/v1/search", {"q": "EGFR", "size": "1e3"}, 422, "invalid_request"),
    ("GET", "/v1/search", {"q": "EGFR", "year_from": "abc"}, 422, "invalid_request"),
    ("GET", "/v1/search", {"q": "EGFR", "level": "Z"}, 422, "invalid_request"),
    ("GET", "/v1/search", {"q": "EGFR", "evidence_type": "bogus"}, 422, "invalid_request"),
    ("GET", "/v1/search", {"q": "EGFR", "tumor": "XYZ"}, 422, "invalid_query"),
    ("GET", "/v1/search", {"q": "EGFR", "year_to": "2021.5"}, 422, "invalid_request"),
    ("GET", "/v1/search", {"q": "EGFR", "year_from": 1200}, 422, "invalid_request"),
    ("GET", "/v1/search", {"q": "EGFR", "tumor": "X" * 41}, 422, "invalid_request"),
    ("GET", "/v1/suggest", None, 422, "invalid_request"),
    ("GET", "/v1/suggest", {"q": "a" * 101}, 422, "invalid_request"),
    ("GET", "/v1/suggest", {"q": "EG", "limit": 0}, 422, "invalid_request"),
    ("GET", "/v1/suggest", {"q": "EG", "limit": "many"}, 422, "invalid_request"),
    ("GET", "/v1/genes/" + "A" * 201, None, 422, "invalid_request"),
]


@pytest.mark.parametrize(
    ("method", "path", "params", "status", "code"),
    ERRORS,
    ids=[f"{m} {p[:40]} {sorted((k, str(v)[:12]) for k, v in (q or {}).items())} -> {s}" for m, p, q, s, _ in ERRORS],
)
def test_every_error_has_the_one_shape_and_the_right_status(
    api: httpx.Client, method: str, path: str, params: dict[str, Any] | None, status: int, code: str
) -> None:
    assert_error_shape(api.request(method, path, params=params), status, code)


def test_validation_errors_name_each_bad_parameter(api: httpx.Client) -> None:
    response = api.get("/v1/search", params={"q": "EGFR", "page": 0, "size": 1000, "year_from": "abc"})
    error = assert_error_shape(response, 422, "invalid_request")
    locations = {p["location"] for p in error["details"]["problems"]}
    assert locations == {"query.page", "query.size", "query.year_from"}
    assert all(p["problem"] for p in error["details"]["problems"])


def test_a_too_long_query_is_refused_naming_the_limit(api: httpx.Client) -> None:
    error = assert_error_shape(api.get("/v1/search", params={"q": LONG_Q}), 422, "invalid_request")
    [problem] = error["details"]["problems"]
    assert problem["location"] == "query.q"
    assert "500" in problem["problem"]


def test_an_unknown_entity_names_what_was_asked_for(api: httpx.Client) -> None:
    error = assert_error_shape(api.get("/v1/genes/NOTAGENE1"), 404, "not_found")
    assert "NOTAGENE1" in error["message"]


def test_method_not_allowed_names_the_allowed_methods(api: httpx.Client) -> None:
    response = api.post("/v1/search", params={"q": "EGFR"})
    assert_error_shape(response, 405, "method_not_allowed")
    assert "GET" in response.headers.get("allow", "")


def test_the_error_responses_are_declared_in_the_openapi_schema(api: httpx.Client) -> None:
    schema = api.get("/openapi.json").json()
    for path, status in [
        ("/v1/search", "422"),
        ("/v1/suggest", "422"),
        ("/v1/genes/{symbol}", "404"),
        ("/v1/tests/{test_id}", "404"),
    ]:
        ref = schema["paths"][path]["get"]["responses"][status]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith("/ErrorResponse")
    error = schema["components"]["schemas"]["ErrorBody"]
    assert {"code", "message", "details"} <= set(error["properties"])


@pytest.mark.parametrize("path", ["/v1/search?q=EGFR", "/v1/tests", "/v1/articles/33686722", "/v1/evidence/EID1592"])
def test_an_unreadable_store_is_a_503_in_the_one_shape(empty_live_api: LiveServer, path: str) -> None:
    empty_live_api.services.store.close()
    response = httpx.get(f"{empty_live_api.url}{path}")
    sqlite = empty_live_api.services.settings.store.startswith("sqlite")
    error = assert_error_shape(response, 503, "store_error" if sqlite else "store_unavailable")
    assert ("store" if sqlite else "Elasticsearch") in error["message"]


def test_ready_answers_503_when_the_store_cannot_be_read(empty_live_api: LiveServer) -> None:
    empty_live_api.services.store.close()
    response = httpx.get(f"{empty_live_api.url}/v1/ready")
    assert response.status_code == 503
    # readiness keeps its own body so that probes can read the status; it is documented in docs/api.md
    backend = "sqlite" if empty_live_api.services.settings.store.startswith("sqlite") else "elasticsearch"
    off = {"state": "off", "model": None, "kinds": {}, "rate": None, "eta_seconds": None, "error": None}
    body = {"status": "unavailable", "backend": backend, "data_version": None, "counts": {}, "embeddings": off}
    assert response.json() == body
