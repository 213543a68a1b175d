"""docs/openapi.json: generated from the resolvers and template.yaml, committed, and in step with both."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from scripts.generate_openapi import (
    OPENAPI_PATH,
    TITLE,
    TOKEN_URL,
    OpenApiGenerationError,
    build_openapi,
    cognito_authorizer_name,
    main,
    oauth_scopes,
    project_version,
    render,
)
from tooling.sam_template import api_routes

ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}
HEALTH_REF = {"$ref": "#/components/schemas/HealthResponse"}
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


@pytest.fixture(scope="module")
def generated(template) -> dict[str, Any]:
    return build_openapi(template)


@pytest.fixture(scope="module")
def committed() -> dict[str, Any]:
    assert OPENAPI_PATH.exists(), "docs/openapi.json is missing: run `make openapi`"
    loaded: dict[str, Any] = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    return loaded


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def test_committed_document_is_the_generated_one(generated) -> None:
    current = OPENAPI_PATH.read_text(encoding="utf-8") if OPENAPI_PATH.exists() else ""
    assert current == render(generated), "docs/openapi.json is stale: run `make openapi` and commit it"


def test_rendering_is_deterministic(template, generated) -> None:
    assert render(build_openapi(template)) == render(generated)
    assert render(generated).endswith("}\n")


def test_info_and_security_scheme(committed, template) -> None:
    assert committed["openapi"].startswith("3.")
    assert committed["info"]["title"] == TITLE
    assert committed["info"]["version"] == project_version()
    assert "security" not in committed, "security is per operation (the health check is public)"
    scheme = committed["components"]["securitySchemes"][cognito_authorizer_name(template)]
    assert scheme["type"] == "oauth2"
    flow = scheme["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == TOKEN_URL
    assert set(flow["scopes"]) == {"risk/read", "risk/portfolio", "risk/admin"} == set(oauth_scopes(template))


def test_every_template_route_is_documented_with_its_method_and_nothing_else(committed, template) -> None:
    in_template = {(r.method, r.path) for r in api_routes(template)}
    assert set(operations(committed)) == in_template


def test_operation_security_is_the_route_scopes_from_the_template(committed, template) -> None:
    scheme = cognito_authorizer_name(template)
    documented = operations(committed)
    for route in api_routes(template):
        operation = documented[(route.method, route.path)]
        if route.auth_required:
            assert operation.get("security") == [{scheme: list(route.scopes)}], (route.method, route.path)
        else:
            assert not operation.get("security"), f"{route.method} {route.path} is public"
    assert "security" not in documented[("GET", "/v1/health")]


def test_errors_are_documented_with_the_error_response_shape(committed, template) -> None:
    secured = {(r.method, r.path) for r in api_routes(template) if r.auth_required}
    for key, operation in operations(committed).items():
        responses = operation["responses"]
        assert any(code.startswith("2") for code in responses), key
        assert responses["500"]["content"]["application/json"]["schema"] == ERROR_REF, key
        # the health check answers a store outage with its own report (status: degraded), every other route with
        # the error shape
        unavailable = HEALTH_REF if key == ("GET", "/v1/health") else ERROR_REF
        assert responses["503"]["content"]["application/json"]["schema"] == unavailable, key
        if operation.get("parameters") or operation.get("requestBody"):
            assert responses["422"]["content"]["application/json"]["schema"] == ERROR_REF, key
        if "{" in key[1]:
            assert responses["404"]["content"]["application/json"]["schema"] == ERROR_REF, key
        if key in secured:
            assert {"401", "403"} <= set(responses), key
        if "requestBody" in operation:
            assert "413" in responses, key
        if key[0] == "PUT" and key[1] != "/v1/signals":  # the admin upserts use optimistic locking
            assert responses["409"]["content"]["application/json"]["schema"] == ERROR_REF, key
        if key == ("PUT", "/v1/signals"):  # the bulk load reports a version conflict per row, in a 200/202
            assert {"200", "202", "413", "415", "422"} <= set(responses) and "409" not in responses
    schemas = committed["components"]["schemas"]
    assert set(schemas["ErrorResponse"]["required"]) == {"error", "message"}
    assert "HTTPValidationError" not in schemas, "Powertools' default 422 shape is not what the API sends"


def test_every_reference_resolves(committed) -> None:
    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            return [v for k, v in node.items() if k == "$ref"] + [r for v in node.values() for r in refs(v)]
        if isinstance(node, list):
            return [r for v in node for r in refs(v)]
        return []

    schemas = committed["components"]["schemas"]
    for ref in refs(committed):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[-1] in schemas, ref


def test_a_template_route_without_a_resolver_route_is_an_error(template) -> None:
    extended = copy.deepcopy(template)
    function = next(r.function_logical_id for r in api_routes(template))
    events = extended["Resources"][function]["Properties"]["Events"]
    events["Ghost"] = {
        "Type": "Api",
        "Properties": {"RestApiId": {"Ref": "RiskApi"}, "Path": "/v1/ghost", "Method": "GET"},
    }
    with pytest.raises(OpenApiGenerationError, match="GET /v1/ghost"):
        build_openapi(extended)


def test_a_resolver_route_without_a_template_route_is_an_error(template) -> None:
    trimmed = copy.deepcopy(template)
    function = next(r.function_logical_id for r in api_routes(template))
    events = trimmed["Resources"][function]["Properties"]["Events"]
    name = next(n for n, e in events.items() if e["Properties"]["Path"] == "/v1/signals")
    del events[name]
    with pytest.raises(OpenApiGenerationError, match="GET /v1/signals"):
        build_openapi(trimmed)


def test_check_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "openapi.json"
    assert main(["--output", str(target)]) == 0
    assert main(["--check", "--output", str(target)]) == 0
    target.write_text(target.read_text(encoding="utf-8").replace("Materials", "Metals"), encoding="utf-8")
    capsys.readouterr()
    assert main(["--check", "--output", str(target)]) == 1
    assert "out of date" in capsys.readouterr().err
