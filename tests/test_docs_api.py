"""docs/api.md (with docs/annotate.md, the partner annotation endpoints) is checked: every route and parameter is
documented, every JSON example is valid."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from starlette.routing import Route

import api.annotate_schemas
import api.editorial_schemas
import api.errors
import api.health_schemas
import api.oncokb_schemas
import api.reading_schemas
import api.regulatory_schemas
import api.review_schemas
import api.schemas
import api.workbench_schemas
from api.app import create_app
from kb import errors
from kb.errors import MigrationError, NotFoundError, QueryError, SourceUnavailable, StoreError
from kb.settings import load_settings

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "api.md"
PARTNER_DOC = REPO / "docs" / "annotate.md"  # /v1/annotate and the OncoKB-compatible routes
EXAMPLE = re.compile(r"<!-- schema: (\w+) -->\n```json\n(.*?)\n```", re.S)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """The app as served with its docs pages on; building it opens nothing (services are built at startup)."""
    store = tmp_path_factory.mktemp("docs") / "kb.sqlite3"
    return create_app(load_settings(store=f"sqlite:///{store}", api_docs=True))  # with /docs and /redoc


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8") + PARTNER_DOC.read_text(encoding="utf-8")


def _routes(app: FastAPI) -> list[str]:
    """``METHOD /path`` of every route: the API's from its OpenAPI schema, plus the schema and docs pages."""
    found = [f"{method.upper()} {path}" for path, item in app.openapi()["paths"].items() for method in item]
    for route in app.routes:
        if isinstance(route, Route):
            found += [f"{method} {route.path}" for method in sorted(route.methods or ()) if method != "HEAD"]
    return found


def test_every_route_of_the_app_is_documented(app: FastAPI, doc: str) -> None:
    routes = _routes(app)
    assert "GET /v1/search" in routes and "GET /openapi.json" in routes and "GET /docs" in routes
    missing = [route for route in routes if f"`{route}`" not in doc]
    assert missing == []


def test_every_query_parameter_is_documented(app: FastAPI, doc: str) -> None:
    schema = app.openapi()
    params = {
        (path, p["name"])
        for path, item in schema["paths"].items()
        for op in item.values()
        for p in op.get("parameters", [])
        if p["in"] == "query"
    }
    assert ("/v1/search", "year_from") in params
    missing = sorted(f"{path}?{name}" for path, name in params if f"`{name}`" not in doc)
    assert missing == []


def test_every_error_code_the_api_can_answer_is_documented(doc: str) -> None:
    codes = {"not_found", "method_not_allowed", "invalid_request", "internal_error"}
    codes |= {kind.code for kind in (NotFoundError, QueryError, StoreError, MigrationError, SourceUnavailable)}
    codes |= {e.code for e in (errors.StoreUnavailable, errors.DataError, errors.AuthError, errors.RateLimited)}
    codes |= {e.code for e in (errors.PermissionDenied, errors.ConflictError, errors.PreconditionFailed)}
    codes |= {errors.PreconditionRequired.code}
    missing = sorted(code for code in codes if f"`{code}`" not in doc)
    assert missing == []


def _model(name: str) -> type[BaseModel]:
    modules = (
        api.schemas, api.errors, api.annotate_schemas, api.oncokb_schemas, api.editorial_schemas,
        api.health_schemas, api.regulatory_schemas, api.workbench_schemas, api.reading_schemas,
        api.review_schemas,
    )  # fmt: skip
    model = next((getattr(m, name) for m in modules if hasattr(m, name)), None)
    assert isinstance(model, type) and issubclass(model, BaseModel), f"{name} is not a response model"
    return model


def test_every_json_example_is_valid_against_the_model_named_above_it(doc: str) -> None:
    examples = EXAMPLE.findall(doc)
    assert len(examples) == doc.count("```json"), "each ```json block needs a <!-- schema: Model --> line above it"
    assert {name for name, _ in examples} >= {"SearchOut", "SuggestOut", "ErrorResponse", "ReadyOut"}
    for name, text in examples:
        data: Any = json.loads(text)
        # a round trip also catches misspelt or missing keys, which validation alone would ignore
        assert _model(name).model_validate(data).model_dump(mode="json") == data, name


def test_error_examples_have_exactly_the_one_shape(doc: str) -> None:
    errors = [json.loads(text) for name, text in EXAMPLE.findall(doc) if name == "ErrorResponse"]
    assert errors
    for body in errors:
        assert set(body) == {"error"}
        assert set(body["error"]) == {"code", "message", "details"}


def test_the_examples_keep_chinese_and_english_queries(doc: str) -> None:
    for query in ("EGFR T790M 奥希替尼", "HER2阳性乳腺癌", "奥希替尼", "pembrolizumab", "肺腺癌"):
        assert query in doc
