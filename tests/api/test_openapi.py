"""The OpenAPI document and the app's /api/v1 routes describe the same API."""
from __future__ import annotations

import re

from tutoring.api.openapi import openapi_document

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def _openapi_path(rule: str) -> str:
    """``/api/v1/volunteers/<int:volunteer_id>/slots`` -> ``/api/v1/volunteers/{volunteer_id}/slots``."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _routes(app) -> set[tuple[str, str]]:
    return {
        (_openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") or rule.rule == "/api/v1"
        for method in rule.methods - IGNORED_METHODS
    }


def _documented(document) -> set[tuple[str, str]]:
    methods = {"get", "put", "post", "delete", "patch"}
    return {(path, method) for path, item in document["paths"].items() for method in item if method in methods}


def test_every_api_route_is_documented_and_every_documented_operation_exists(app, client):
    served = client.get("/api/v1/openapi.json").get_json()
    assert served == openapi_document()
    assert _routes(app) == _documented(served)


def test_every_path_parameter_is_declared():
    for path, item in openapi_document()["paths"].items():
        for method, operation in item.items():
            declared = {parameter["name"] for parameter in operation.get("parameters", []) if parameter["in"] == "path"}
            assert declared == set(re.findall(r"{(\w+)}", path)), (method, path)


def test_protected_operations_document_401_and_use_bearer_auth():
    document = openapi_document()
    assert document["security"] == [{"bearerAuth": []}]
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    for path, item in document["paths"].items():
        for method, operation in item.items():
            public = operation.get("security") == []
            # Crisis help needs no token (SPEC §7, issue 18), like this document.
            assert public == (path in ("/api/v1/openapi.json", "/api/v1/help")), (method, path)
            assert ("401" in operation["responses"]) != public, (method, path)
            assert operation["operationId"] and operation["summary"]


def test_error_responses_use_the_error_schema():
    document = openapi_document()
    error = document["components"]["schemas"]["Error"]
    assert error["properties"]["error"]["required"] == ["code", "message"]
    for item in document["paths"].values():
        for operation in item.values():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_the_document_is_a_fresh_copy():
    document = openapi_document()
    document["paths"].clear()
    assert openapi_document()["paths"]
