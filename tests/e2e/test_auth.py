"""Every route of template.yaml, over HTTP: 401 without a token, 403 with a token lacking the route's scope,
the health route open. Table-driven from the template and the dev tokens, so a new route is covered by itself."""

from __future__ import annotations

import re

import pytest

from local.auth import load_dev_tokens
from shared.domain.scoring import MODEL_VERSION
from tests.e2e.client import ApiClient
from tooling.sam_template import ApiRoute, api_routes, load_template

ROUTES = api_routes(load_template())
TOKENS = load_dev_tokens()
#: a plausible value for each path parameter (auth is decided before any handler runs, so values barely matter)
SAMPLE_PATH_VALUES = {
    "importer": "US",
    "material": "dysprosium",
    "country": "CN",
    "signal_id": "CN-E2E-AUTH",
    "run_id": "manual-e2eauth",
    "portfolio_id": "p-e2e-auth",
}


def concrete_path(route: ApiRoute) -> str:
    return re.sub(r"\{(\w+)\+?\}", lambda m: SAMPLE_PATH_VALUES.get(m.group(1), "x1"), route.path)


def route_id(route: ApiRoute) -> str:
    return f"{route.method} {route.path}"


PROTECTED = [r for r in ROUTES if r.auth_required]
OPEN = [r for r in ROUTES if not r.auth_required]
FORBIDDEN = [
    pytest.param(route, token, id=f"{route_id(route)} as {token}")
    for route in PROTECTED
    for token, grant in TOKENS.items()
    if not grant.has_scopes(route.scopes)
]


def body_for(route: ApiRoute) -> dict[str, object] | None:
    return {} if route.method in ("PUT", "POST", "PATCH") else None


def test_the_template_has_routes_to_check() -> None:
    assert len(PROTECTED) >= 10
    assert "/v1/health" in {r.path for r in OPEN}
    assert any(not TOKENS[t].has_scopes(("risk/admin",)) for t in TOKENS)  # there are 403 cases at all
    assert FORBIDDEN


@pytest.mark.parametrize("route", PROTECTED, ids=route_id)
def test_every_protected_route_is_401_without_a_token(api: ApiClient, route: ApiRoute) -> None:
    reply = api.request(route.method, concrete_path(route), json=body_for(route))
    assert reply.status == 401, reply.body
    assert reply.error()["error"] == "unauthorized"


@pytest.mark.parametrize("route", PROTECTED, ids=route_id)
def test_every_protected_route_is_401_with_an_unknown_token(api: ApiClient, route: ApiRoute) -> None:
    reply = api.request(route.method, concrete_path(route), token="not-a-dev-token", json=body_for(route))
    assert reply.status == 401, reply.body
    assert reply.error()["error"] == "unauthorized"


@pytest.mark.parametrize(("route", "token"), FORBIDDEN)
def test_a_token_without_the_route_scope_is_403(api: ApiClient, route: ApiRoute, token: str) -> None:
    reply = api.request(route.method, concrete_path(route), token=token, json=body_for(route))
    assert reply.status == 403, reply.body
    error = reply.error()
    assert error["error"] == "forbidden"
    assert any(scope in error["message"] for scope in route.scopes)


@pytest.mark.parametrize("route", OPEN, ids=route_id)
def test_open_routes_need_no_token(api: ApiClient, route: ApiRoute) -> None:
    reply = api.request(route.method, concrete_path(route))
    assert reply.status == 200, reply.body
    if route.path == "/v1/health":
        assert reply.body == {"status": "ok", "store": "ok", "model_version": MODEL_VERSION}


def test_reader_and_team_tokens_cannot_touch_admin_routes(api: ApiClient) -> None:
    """The spelled-out case of the table above: read and team clients get 403 on every admin route."""
    admin_routes = [r for r in PROTECTED if "risk/admin" in r.scopes]
    assert admin_routes
    for token in ("dev-reader", "team-a", "team-b"):
        for route in admin_routes:
            reply = api.request(route.method, concrete_path(route), token=token, json=body_for(route))
            assert reply.status == 403, (token, route_id(route), reply.body)
