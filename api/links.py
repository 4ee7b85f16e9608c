"""OpenAPI links: where the ids of an answer lead, published in ``/openapi.json``.

A link names the operation an answer's values feed and fills that operation's parameters from
runtime expressions (``$response.body#/evidence/0/gene``, ``$response.header.ETag``) or constants.
Clients can follow them, and schemathesis chains the operations by them in its stateful tests
(tests/test_api_schemathesis.py). An expression into an empty list finds nothing; the client then
supplies that parameter itself. ``install_links`` adds them to the schema FastAPI generates.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from fastapi import FastAPI

__all__ = ["LINKS", "Link", "add_links", "install_links"]

Operation = tuple[str, str]  # (method, path) as in the schema's paths
GENE: Operation = ("get", "/v1/genes/{symbol}")
TUMOR: Operation = ("get", "/v1/tumors/{code}")
DRUG: Operation = ("get", "/v1/drugs/{name}")
BIOMARKER: Operation = ("get", "/v1/biomarkers/{biomarker_id}")
ARTICLE: Operation = ("get", "/v1/articles/{pmid}")
EVIDENCE: Operation = ("get", "/v1/evidence/{evidence_id}")
TEST: Operation = ("get", "/v1/tests/{test_id}")
CHANGES: Operation = ("get", "/v1/changes")
ENTRY: Operation = ("get", "/v1/entries/{kind}/{key}")
SUBMISSION: Operation = ("get", "/v1/submissions/{submission_id}")
SUBMIT: Operation = ("post", "/v1/submissions/{submission_id}/submit")
FOLLOW: Operation = ("post", "/v1/follows")


class Link(NamedTuple):
    target: Operation
    parameters: dict[str, str]
    body: dict[str, str] | None = None  # the target's request body, field by field


def _at(pointer: str) -> str:
    return f"$response.body#{pointer}"


def _entry(kind: str, key: str) -> Link:
    """The published record an edit starts from (curators, editors and admins)."""
    return Link(ENTRY, {"kind": kind, "key": _at(key)})


def _evidence_refs(at: str) -> dict[str, Link]:
    """The gene, tumor, first drug and first biomarker of the evidence item at ``at``."""
    return {
        "Gene": Link(GENE, {"symbol": _at(f"{at}/gene")}),
        "Tumor": Link(TUMOR, {"code": _at(f"{at}/tumor/code")}),
        "Drug": Link(DRUG, {"name": _at(f"{at}/drugs/0")}),
        "Biomarker": Link(BIOMARKER, {"biomarker_id": _at(f"{at}/biomarkers/0")}),
    }


_ETAG = {"header.if-match": "$response.header.ETag"}  # the submission's version, for the next write
_SUGGESTED = _at("/suggestions/0/id")  # a gene, tumor, drug or biomarker id: its type's page answers, others 404

# (method, path, status) of the answer -> link name -> link. A value is a runtime expression or a
# constant (the kind of an entry). A request body is written field by field, each an expression.
LINKS: dict[tuple[str, str, str], dict[str, Link]] = {
    ("get", "/v1/search", "200"): {
        **{f"Evidence{name}": link for name, link in _evidence_refs("/evidence/0").items()},
        "Evidence": Link(EVIDENCE, {"evidence_id": _at("/evidence/0/id")}),
        "Article": Link(ARTICLE, {"pmid": _at("/articles/0/pmid")}),
        "Test": Link(TEST, {"test_id": _at("/tests/0/id")}),
    },
    ("get", "/v1/suggest", "200"): {
        "Gene": Link(GENE, {"symbol": _SUGGESTED}),
        "Tumor": Link(TUMOR, {"code": _SUGGESTED}),
        "Drug": Link(DRUG, {"name": _SUGGESTED}),
        "Biomarker": Link(BIOMARKER, {"biomarker_id": _SUGGESTED}),
    },
    ("get", "/v1/genes/{symbol}", "200"): {
        "Evidence": Link(("get", "/v1/genes/{symbol}/evidence"), {"symbol": _at("/symbol")}),
        "Articles": Link(("get", "/v1/genes/{symbol}/articles"), {"symbol": _at("/symbol")}),
        "TopEvidence": Link(EVIDENCE, {"evidence_id": _at("/top_evidence/0/id")}),
        "Entry": _entry("gene", "/symbol"),
        "Follow": Link(FOLLOW, {}, {"kind": "gene", "key": _at("/symbol")}),
    },
    ("get", "/v1/genes/{symbol}/evidence", "200"): {"Item": Link(EVIDENCE, {"evidence_id": _at("/items/0/id")})},
    ("get", "/v1/genes/{symbol}/articles", "200"): {"Article": Link(ARTICLE, {"pmid": _at("/items/0/pmid")})},
    ("get", "/v1/tumors/{code}", "200"): {
        "Parent": Link(TUMOR, {"code": _at("/parent/code")}),
        "Child": Link(TUMOR, {"code": _at("/children/0/code")}),
        "Entry": _entry("tumor", "/code"),
    },
    ("get", "/v1/drugs/{name}", "200"): {
        "TargetGene": Link(GENE, {"symbol": _at("/target_genes/0")}),
        "Entry": _entry("drug", "/inn"),
    },
    ("get", "/v1/biomarkers/{biomarker_id}", "200"): {
        "Gene": Link(GENE, {"symbol": _at("/genes/0")}),
        "Test": Link(TEST, {"test_id": _at("/tests/0/id")}),
        "TopEvidence": Link(EVIDENCE, {"evidence_id": _at("/top_evidence/0/id")}),
    },
    ("get", "/v1/evidence/{evidence_id}", "200"): {**_evidence_refs(""), "Entry": _entry("evidence", "/id")},
    ("get", "/v1/tests", "200"): {
        "Test": Link(TEST, {"test_id": _at("/items/0/id")}),
        "Entry": _entry("test", "/items/0/id"),
    },
    ("get", "/v1/tests/{test_id}", "200"): {
        "Gene": Link(GENE, {"symbol": _at("/genes/0")}),
        "Tumor": Link(TUMOR, {"code": _at("/tumors/0")}),
        "Biomarker": Link(BIOMARKER, {"biomarker_id": _at("/biomarkers/0")}),
        "Entry": _entry("test", "/id"),
    },
    ("get", "/v1/changes", "200"): {  # a new data version (kind store) names no entry: 404
        "Entry": Link(ENTRY, {"kind": _at("/changes/0/kind"), "key": _at("/changes/0/key")}),
        "Next": Link(CHANGES, {"since": _at("/next")}),
    },
    ("get", "/v1/entries/{kind}/{key}", "200"): {
        "Propose": Link(
            ("post", "/v1/submissions"), {}, {"kind": _at("/kind"), "key": _at("/key"), "data": _at("/data")}
        ),
    },
    ("post", "/v1/submissions", "201"): {
        "Get": Link(SUBMISSION, {"submission_id": _at("/id")}),
        "Update": Link(
            ("patch", "/v1/submissions/{submission_id}"), {"submission_id": _at("/id"), **_ETAG}, {"data": _at("/data")}
        ),
        "Submit": Link(SUBMIT, {"submission_id": _at("/id"), **_ETAG}),
        "Comment": Link(("post", "/v1/submissions/{submission_id}/comments"), {"submission_id": _at("/id")}),
    },
    ("get", "/v1/submissions", "200"): {"Get": Link(SUBMISSION, {"submission_id": _at("/0/id")})},
    ("get", "/v1/submissions/{submission_id}", "200"): {"Submit": Link(SUBMIT, {"submission_id": _at("/id"), **_ETAG})},
    ("patch", "/v1/submissions/{submission_id}", "200"): {
        "Submit": Link(SUBMIT, {"submission_id": _at("/id"), **_ETAG})
    },
    ("get", "/v1/feed", "200"): {
        "Evidence": Link(EVIDENCE, {"evidence_id": _at("/items/0/evidence_id")}),
        "Article": Link(ARTICLE, {"pmid": _at("/items/0/pmid")}),
    },
}


def add_links(schema: dict[str, Any]) -> dict[str, Any]:
    """Write ``LINKS`` into an OpenAPI schema, naming each target by its operationId; a path or
    status that is not in the schema raises KeyError."""
    paths = schema["paths"]
    for (method, path, status), links in LINKS.items():
        found = paths[path][method]["responses"][status].setdefault("links", {})
        for name, link in links.items():
            target_method, target_path = link.target
            definition: dict[str, Any] = {
                "operationId": paths[target_path][target_method]["operationId"],
                "parameters": dict(link.parameters),
            }
            if link.body is not None:
                definition["requestBody"] = dict(link.body)
            found[name] = definition
    return schema


def install_links(app: FastAPI) -> None:
    """Serve the links in ``app``'s schema; FastAPI builds it once, on first use."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_links(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
