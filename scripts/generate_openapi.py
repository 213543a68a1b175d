"""Generate docs/openapi.json: ONE OpenAPI document for every API function in template.yaml.

Run `python scripts/generate_openapi.py` (or `make openapi`); `--check` only compares and exits 1 when the
committed file is stale. Nothing is listed by hand:

- the API functions are the template's AWS::Serverless::Function resources that have `Type: Api` events; each
  one's resolver is `app` in the module of its dotted handler (`functions.<role>.app.lambda_handler`);
- each resolver documents its own routes, parameters and response models (Powertools' `get_openapi_json_schema`);
  their `paths` and `components.schemas` are merged (a path served twice, or two different models with one name,
  is an error);
- per-operation `security` (the Cognito authorizer's OAuth2 scopes) comes from each route's Api event, and the
  scheme's scopes from the template's Cognito resource server, so the document cannot disagree with the gateway;
- the errors every route can answer with come from shared/http.py's mapping and use its ErrorResponse shape
  (Powertools' default 422 schema is not what our exception handler sends). A route that declares its own
  `responses=` for a status keeps it.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any

# Running as `python scripts/generate_openapi.py` puts scripts/ (not the repo root) on sys.path.
REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from aws_lambda_powertools.event_handler import APIGatewayRestResolver  # noqa: E402
from aws_lambda_powertools.event_handler.openapi.models import (  # noqa: E402
    OAuth2,
    OAuthFlowClientCredentials,
    OAuthFlows,
    Server,
    ServerVariable,
)

from local.template_values import function_environment  # noqa: E402
from scripts.generated_file import generate  # noqa: E402
from shared.http import RETRY_AFTER_SECONDS  # noqa: E402
from shared.schemas import ErrorResponse  # noqa: E402
from tooling.sam_template import ApiRoute, Template, api_routes, load_template  # noqa: E402

OPENAPI_PATH = REPO_ROOT / "docs" / "openapi.json"
PYPROJECT_PATH = REPO_ROOT / "pyproject.toml"
TITLE = "Materials-dependency risk API"
TOKEN_URL = "https://<your-domain>.auth.<region>.amazoncognito.com/oauth2/token"  # a URL placeholder  # nosec B105
COMPONENT_PREFIX = "#/components/schemas/"
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


class OpenApiGenerationError(RuntimeError):
    """The template and the resolvers cannot be turned into one consistent document."""


@dataclass(frozen=True)
class ApiFunction:
    """One AWS::Serverless::Function with Api events, and the module whose `app` serves them."""

    logical_id: str
    module: str  # functions.read_api.app
    routes: tuple[ApiRoute, ...]


def api_functions(template: Template) -> list[ApiFunction]:
    """Every function that has Api events, sorted by logical id."""
    by_function: dict[str, list[ApiRoute]] = {}
    for route in api_routes(template):
        by_function.setdefault(route.function_logical_id, []).append(route)
    return [
        ApiFunction(logical_id, routes[0].handler.rsplit(".", 1)[0], tuple(routes))
        for logical_id, routes in sorted(by_function.items())
    ]


def load_resolver(module_name: str, environment: Mapping[str, str] | None = None) -> APIGatewayRestResolver:
    """The module's `app` resolver. Importing a handler module needs no AWS, but the variables its function requires
    (it validates them at init): `environment`, the function's from template.yaml, fills in those not set."""
    for name, value in (environment or {}).items():
        os.environ.setdefault(name, value)
    module = importlib.import_module(module_name)
    app = getattr(module, "app", None)
    if not isinstance(app, APIGatewayRestResolver):
        raise OpenApiGenerationError(f"{module_name} has no `app` APIGatewayRestResolver")
    return app


def resolver_routes(app: APIGatewayRestResolver) -> set[tuple[str, str]]:
    """(METHOD, /path/{param}) of every route registered on the resolver (Routers included)."""
    # Powertools keeps routes on the resolver (no public listing); openapi_path is <param> -> {param}.
    routes = [*app._static_routes, *app._dynamic_routes]
    return {(route.method.upper(), route.openapi_path) for route in routes}


def project_version(pyproject: Path = PYPROJECT_PATH) -> str:
    with pyproject.open("rb") as stream:
        return str(tomllib.load(stream)["project"]["version"])


# ----------------------------------------------------------------------------------------- template facts


def _resources(template: Template, resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        name: resource
        for name, resource in (template.get("Resources") or {}).items()
        if isinstance(resource, dict) and resource.get("Type") == resource_type
    }


def cognito_authorizer_name(template: Template) -> str:
    """The name of the API's Cognito user pool authorizer (the OpenAPI security scheme is named after it)."""
    names = sorted(
        {
            str(name)
            for api in _resources(template, "AWS::Serverless::Api").values()
            for name, config in ((api.get("Properties") or {}).get("Auth") or {}).get("Authorizers", {}).items()
            if isinstance(config, dict) and "UserPoolArn" in config
        }
    )
    if len(names) != 1:
        raise OpenApiGenerationError(f"expected exactly one Cognito authorizer in template.yaml, found {names}")
    return names[0]


def oauth_scopes(template: Template) -> dict[str, str]:
    """'<identifier>/<scope>' -> description, from every AWS::Cognito::UserPoolResourceServer."""
    scopes: dict[str, str] = {}
    for server in _resources(template, "AWS::Cognito::UserPoolResourceServer").values():
        props = server.get("Properties") or {}
        for scope in props.get("Scopes") or []:
            scopes[f"{props['Identifier']}/{scope['ScopeName']}"] = str(scope.get("ScopeDescription", ""))
    return dict(sorted(scopes.items()))


def _stage_default(template: Template) -> str:
    stage = ((template.get("Parameters") or {}).get("StageName") or {}).get("Default")
    return str(stage) if stage else "prod"


# ----------------------------------------------------------------------------------------- error responses


def _error_response(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"{COMPONENT_PREFIX}ErrorResponse"}}},
    }
    if headers:
        response["headers"] = headers
    return response


@dataclass(frozen=True)
class OperationTraits:
    """What decides which errors an operation can answer with."""

    takes_input: bool  # parameters or a body: validated, 422 on bad input
    has_body: bool  # the gateway refuses oversized bodies (413)
    names_an_item: bool  # path parameters or a body: an id in them may name nothing (404)
    versioned: bool  # a `version` in the body or an If-Match header: optimistic locking (409)

    @classmethod
    def of(cls, path: str, operation: Mapping[str, Any], schemas: Mapping[str, Any]) -> OperationTraits:
        parameters = operation.get("parameters") or []
        body_schema = ((operation.get("requestBody") or {}).get("content") or {}).get("application/json") or {}
        ref = str((body_schema.get("schema") or {}).get("$ref", "")).removeprefix(COMPONENT_PREFIX)
        body_properties = (schemas.get(ref) or {}).get("properties") or {}
        return cls(
            takes_input=bool(parameters or operation.get("requestBody")),
            has_body="requestBody" in operation,
            names_an_item="{" in path or "requestBody" in operation,
            versioned="version" in body_properties
            or any(p.get("in") == "header" and str(p.get("name")).lower() == "if-match" for p in parameters),
        )


def error_responses(route: ApiRoute, traits: OperationTraits) -> dict[str, dict[str, Any]]:
    """The errors an operation can answer with (shared/http.py's handlers, plus the gateway's own).

    Every operation can hit a store outage (503) or a bug (500); one that takes input validates it (422); ids in
    the path or body can name something unknown (404); a versioned write can carry a stale version (409). Secured
    routes get the authorizer's 401/403, bodies the gateway's 413, and the per-client rate limit (WAF) and the
    stage's throttling answer 429 everywhere. The gateway's errors have no body schema here: in AWS their body is
    API Gateway's, not ours.
    """
    responses: dict[int, dict[str, Any]] = {
        HTTPStatus.INTERNAL_SERVER_ERROR: _error_response("Unexpected error (error: internal_error); it is logged"),
        HTTPStatus.SERVICE_UNAVAILABLE: _error_response(
            "The data store is unavailable (error: service_unavailable); retry after Retry-After seconds",
            headers={
                "Retry-After": {
                    "description": f"Seconds to wait before retrying (currently {RETRY_AFTER_SECONDS})",
                    "schema": {"type": "integer"},
                }
            },
        ),
        HTTPStatus.TOO_MANY_REQUESTS: {
            "description": "Throttled: this client's rate limit (AWS WAF, error: too_many_requests, Retry-After) "
            "or the stage's limits (API Gateway)"
        },
    }
    if traits.takes_input:
        responses[HTTPStatus.UNPROCESSABLE_ENTITY] = _error_response(
            "Invalid input (error: validation_error or invalid_input); details name each offending field"
        )
    if traits.names_an_item:
        responses[HTTPStatus.NOT_FOUND] = _error_response(
            "An id in the path or body names nothing stored (error: not_found)"
        )
    if traits.versioned:
        responses[HTTPStatus.CONFLICT] = _error_response(
            "Stale version: the stored item changed since it was read (error: version_conflict)"
        )
    if traits.has_body:
        responses[HTTPStatus.REQUEST_ENTITY_TOO_LARGE] = _error_response(
            "Request body too large (error: payload_too_large)"
        )
        responses[HTTPStatus.BAD_REQUEST] = _error_response("The body is not UTF-8 text (error: bad_request)")
        responses[HTTPStatus.UNSUPPORTED_MEDIA_TYPE] = _error_response(
            "The body is not sent as application/json (error: unsupported_media_type)"
        )
    if route.auth_required:
        responses[HTTPStatus.UNAUTHORIZED] = {"description": "Missing, invalid or expired bearer token"}
        responses[HTTPStatus.FORBIDDEN] = {
            "description": "The token lacks a required scope: " + " or ".join(route.scopes)
        }
    return {str(int(status)): response for status, response in sorted(responses.items())}


def _is_powertools_default_422(response: Any) -> bool:
    schema = (((response or {}).get("content") or {}).get("application/json") or {}).get("schema") or {}
    return bool(schema.get("$ref") == f"{COMPONENT_PREFIX}HTTPValidationError")


def _is_powertools_response_validation_500(response: Any) -> bool:
    schema = (((response or {}).get("content") or {}).get("application/json") or {}).get("schema") or {}
    return bool(schema.get("$ref") == f"{COMPONENT_PREFIX}ResponseValidationError")


def _error_schemas() -> dict[str, Any]:
    """ErrorResponse and the models it uses, as OpenAPI component schemas."""
    schema = ErrorResponse.model_json_schema(ref_template=COMPONENT_PREFIX + "{model}", mode="serialization")
    definitions: dict[str, Any] = schema.pop("$defs", {})
    definitions[ErrorResponse.__name__] = schema
    return definitions


# ----------------------------------------------------------------------------------------- the document


def _merge_schemas(target: dict[str, Any], extra: Mapping[str, Any], origin: str) -> None:
    for name, definition in extra.items():
        if name in target and target[name] != definition:
            raise OpenApiGenerationError(
                f"two different schemas are named {name!r} ({origin}); rename one of the models"
            )
        target[name] = definition


def _refs(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(COMPONENT_PREFIX):
                yield value.removeprefix(COMPONENT_PREFIX)
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _reachable_schemas(paths: Mapping[str, Any], schemas: Mapping[str, Any]) -> dict[str, Any]:
    """Only the component schemas the paths use (drops Powertools' unused built-in error models)."""
    seen: set[str] = set()
    pending = list(_refs(paths))
    while pending:
        name = pending.pop()
        if name in seen or name not in schemas:
            continue
        seen.add(name)
        pending.extend(_refs(schemas[name]))
    return {name: schemas[name] for name in sorted(seen)}


def build_openapi(template: Template | None = None) -> dict[str, Any]:
    """The whole API's OpenAPI document as a JSON-ready dict."""
    template = template if template is not None else load_template()
    functions = api_functions(template)
    if not functions:
        raise OpenApiGenerationError("template.yaml has no function with Api events")
    scheme_name = cognito_authorizer_name(template)
    version = project_version()
    description = " ".join(str(template.get("Description", "")).split()) + (
        " Every route except the health check needs a bearer access token from the Cognito user pool"
        " (OAuth2 client credentials) with the scope listed on the operation."
    )
    servers = [
        Server(
            url="https://{restApiId}.execute-api.{region}.amazonaws.com/{stage}",
            description="The deployed stage (see the stack's ApiUrl output)",
            variables={
                "restApiId": ServerVariable(default="your-rest-api-id"),
                "region": ServerVariable(default="us-east-1"),
                "stage": ServerVariable(default=_stage_default(template)),
            },
        ),
        Server(url="http://127.0.0.1:3000", description="The local API (`make run`)"),
    ]
    security_schemes: dict[str, Any] = {
        scheme_name: OAuth2(
            description="Cognito user pool; OAuth2 client credentials. The token URL is the stack's TokenEndpoint.",
            flows=OAuthFlows(
                clientCredentials=OAuthFlowClientCredentials(tokenUrl=TOKEN_URL, scopes=oauth_scopes(template))
            ),
        )
    }

    document: dict[str, Any] | None = None
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    template_routes = {(r.method.lower(), r.path): r for f in functions for r in f.routes}
    for function in functions:
        app = load_resolver(function.module, function_environment(template, function.logical_id))
        doc = json.loads(
            app.get_openapi_json_schema(
                title=TITLE,
                version=version,
                description=description,
                servers=servers,
                security_schemes=security_schemes,
            )
        )
        document = document or doc
        for path, operations in doc.get("paths", {}).items():
            for method, operation in operations.items():
                if method not in HTTP_METHODS:
                    continue
                if method in paths.get(path, {}):
                    raise OpenApiGenerationError(f"{method.upper()} {path} is served by two resolvers")
                if (method, path) not in template_routes:
                    raise OpenApiGenerationError(
                        f"{function.module} serves {method.upper()} {path} but template.yaml has no Api event "
                        f"for it on {function.logical_id}"
                    )
                paths.setdefault(path, {})[method] = operation
        _merge_schemas(schemas, doc.get("components", {}).get("schemas", {}), function.module)
    if document is None:
        raise OpenApiGenerationError("template.yaml has no API function to document")

    missing = sorted(f"{m.upper()} {p}" for m, p in template_routes if m not in paths.get(p, {}))
    if missing:
        raise OpenApiGenerationError(f"template.yaml routes that no resolver serves: {', '.join(missing)}")

    for path, operations in paths.items():
        for method, operation in operations.items():
            route = template_routes[(method, path)]
            operation.pop("security", None)
            if route.auth_required:
                operation["security"] = [{scheme_name: list(route.scopes)}]
            responses = operation.setdefault("responses", {})
            if _is_powertools_default_422(responses.get("422")):
                del responses["422"]  # Powertools' shape, not ours (and no input to reject on some routes)
            if _is_powertools_response_validation_500(responses.get("500")):
                del responses["500"]  # shared/http.py answers a failed response validation with ErrorResponse
            traits = OperationTraits.of(path, operation, schemas)
            for status, response in error_responses(route, traits).items():
                responses.setdefault(status, response)
    _merge_schemas(schemas, _error_schemas(), "shared.schemas.ErrorResponse")

    document["paths"] = {path: paths[path] for path in sorted(paths)}
    document["components"]["schemas"] = _reachable_schemas(document["paths"], schemas)
    document.pop("security", None)  # per operation only: the health check is public
    return document


def render(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    return generate(
        argv,
        __doc__.splitlines()[0] if __doc__ else None,
        OPENAPI_PATH,
        lambda: render(build_openapi()),
        "is out of date with the resolvers and template.yaml: run `make openapi` (python scripts/generate_openapi.py) "
        "and commit the result",
    )


if __name__ == "__main__":
    sys.exit(main())
