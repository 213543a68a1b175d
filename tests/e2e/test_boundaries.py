"""Boundary cases schemathesis' random examples did not reach (issue 12), derived from docs/openapi.json so that a
new route is covered without editing this file. Over HTTP against the local API; the rule is the same: no 5xx.

- every operation with a JSON body x {nested 1,000 levels deep, duplicate keys} -> 422 in the error shape;
- every ranked route x band x min_score, contradictions included -> 200 with matching scores only;
- linked operations: a cursor from one page replayed with each other combination of the operation's filters
  -> 200 only with the very same filters, else 422; cursors of one paginated route replayed on the others -> 422.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.client import ApiClient, eventually

SPEC = json.loads((Path(__file__).resolve().parents[2] / "docs" / "openapi.json").read_text())
PATH_VALUES = {
    "importer": "JP",
    "material": "dysprosium",
    "country": "US",
    "signal_id": "H12-BOUNDARY",
    "portfolio_id": "boundary",
    "run_id": "manual-boundary",
    "draft_id": "0123456789abcdef-1",
    "subscription_id": "boundary",
}
#: values per filter for the linked-operation replay (the first is "absent")
FILTER_VALUES: dict[str, tuple[str | None, ...]] = {
    "band": (None, "low", "critical"),
    "min_score": (None, "0", "50", "100"),
    "group": (None, "hree", "rare_earths"),
    "from": (None, "2020-01-01T00:00:00Z", "2030-01-01T00:00:00Z"),
    "to": (None, "2020-01-01T00:00:00Z", "2030-01-01T00:00:00Z"),
}


def operations(predicate: Any) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op) for path, ops in SPEC["paths"].items() for method, op in ops.items() if predicate(op)
    ]


def concrete(path: str) -> str:
    for name, value in PATH_VALUES.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"add a value for the path parameter in {path} to PATH_VALUES"
    return path


def query_names(op: dict[str, Any]) -> set[str]:
    return {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}


JSON_BODY_OPERATIONS = operations(lambda op: "requestBody" in op)
PAGINATED_OPERATIONS = [(m, p, op) for m, p, op in operations(lambda op: "cursor" in query_names(op)) if m == "GET"]
RANKED_PATHS = [p for m, p, op in PAGINATED_OPERATIONS if {"band", "min_score"} <= query_names(op)]
DEEP = "[" * 1000 + "]" * 1000
BAND_RANGES = {"low": (0, 25), "moderate": (25, 50), "high": (50, 75), "critical": (75, 101)}


def send_raw(api: ApiClient, method: str, path: str, raw: str) -> tuple[int, Any]:
    response = api.session.request(
        method,
        api.base_url + path,
        data=raw.encode(),
        headers={"Authorization": "Bearer dev-admin", "Content-Type": "application/json"},
        timeout=30,
    )
    return response.status_code, response.json()


def test_the_spec_has_the_operations_these_tests_cover():
    assert len(JSON_BODY_OPERATIONS) >= 8 and len(RANKED_PATHS) >= 2 and len(PAGINATED_OPERATIONS) >= 4


@pytest.mark.parametrize(
    "raw",
    [DEEP, '{"a": ' + DEEP + "}", '{"version": 1, "version": 2}'],
    ids=["deep-array", "deep-member", "duplicate-key"],
)
@pytest.mark.parametrize(("method", "path", "op"), JSON_BODY_OPERATIONS, ids=lambda v: v if isinstance(v, str) else "")
def test_hostile_json_bodies_are_422_on_every_json_route(api, method, path, op, raw):
    status, body = send_raw(api, method, concrete(path), raw)
    assert status == 422, body
    assert set(body) == {"error", "message", "details"} and body["error"] == "validation_error"


@pytest.mark.parametrize("path", RANKED_PATHS)
@pytest.mark.parametrize(
    ("band", "min_score"), list(itertools.product(FILTER_VALUES["band"] + ("moderate",), FILTER_VALUES["min_score"]))
)
def test_ranked_routes_under_every_band_and_min_score(api, path, band, min_score):
    params = {k: v for k, v in {"band": band, "min_score": min_score, "limit": "200"}.items() if v is not None}
    reply = api.get(concrete(path), params=params)
    assert reply.status == 200, reply.body
    lower, upper = BAND_RANGES[band] if band else (0, 101)
    floor = float(min_score or 0)
    assert all(lower <= i["score"] < upper and i["score"] >= floor for i in reply.body["items"])
    if floor >= upper:
        assert reply.body == {"items": [], "next_cursor": None}


def two_tenant_items(api: ApiClient, path: str) -> None:
    """The tenant lists (portfolios, subscriptions, signal drafts) start empty: two items of dev-admin's, so a
    page has a cursor."""
    if path == "/v1/portfolios":
        api.put("/v1/portfolios/boundary-a", {"name": "a", "items": []}, token="dev-admin")
        api.put("/v1/portfolios/boundary-b", {"name": "b", "items": []}, token="dev-admin")
    if path == "/v1/subscriptions":
        for name in ("boundary-a", "boundary-b"):
            body = {"materials": ["dysprosium"], "min_change": 5.0, "url": "https://hooks.example.com/boundary"}
            api.put(f"/v1/subscriptions/{name}", body, token="dev-admin")
    if path.endswith("/deliveries"):
        deliveries_of_boundary(api)
    if path == "/v1/signal-drafts":
        for n in (1, 2):
            text = f"Gabon banned manganese ore exports. Boundary draft {n}."
            api.post(path, {"text": text, "published": "2026-11-28", "url": "https://example.org/b"}, token="dev-admin")


def deliveries_of_boundary(api: ApiClient, name: str = "boundary") -> None:
    """Two attempts in the log of dev-admin's subscription `name`: the log is the delivery function's, so two test
    events to a URL the local stack refuses (only 127.0.0.1 receives there) are two failed attempts."""
    path = f"/v1/subscriptions/{name}"
    body = {"materials": ["dysprosium"], "min_change": 5.0, "url": "https://hooks.example.com/boundary"}
    api.put(path, body, token="dev-admin")
    if len(api.get(f"{path}/deliveries", token="dev-admin").body["items"]) >= 2:
        return
    for _ in range(2):
        assert api.post(f"{path}/test", None, token="dev-admin").status == 202
    logged = eventually(
        lambda: len(api.get(f"{path}/deliveries", token="dev-admin").body["items"]) >= 2 or None, timeout_s=60
    )
    assert logged, f"the delivery function logged no attempts for {path}"


def test_a_deliveries_cursor_is_bound_to_its_subscription_and_the_tenant_rule_comes_first(api: ApiClient) -> None:
    deliveries_of_boundary(api, "boundary")
    deliveries_of_boundary(api, "boundary-a")
    cursor = first_cursor(api, "/v1/subscriptions/boundary/deliveries")
    assert cursor
    replayed = api.get("/v1/subscriptions/boundary-a/deliveries", params={"cursor": cursor}, token="dev-admin")
    assert replayed.status == 422 and replayed.error_fields() == {"cursor"}, replayed.body
    other_tenant = api.get("/v1/subscriptions/boundary/deliveries", params={"cursor": cursor}, token="team-a")
    assert other_tenant.status == 404, other_tenant.body
    for limit in ("0", "201", "x"):
        reply = api.get("/v1/subscriptions/boundary/deliveries", params={"limit": limit}, token="dev-admin")
        assert reply.status == 422 and reply.error_fields() == {"limit"}, reply.body


def test_a_pasted_text_of_the_largest_size_full_of_measures_is_bounded(api):
    """Hostile for the extractor: 20,000 characters of trigger sentences -> at most 10 drafts, no 5xx."""
    sentence = "Indonesia banned nickel ore exports to Japan from 1 January 2027 with immediate effect. "
    text = (sentence * (20_000 // len(sentence)))[:20_000]
    reply = api.post("/v1/signal-drafts", {"text": text, "published": "2026-11-28", "url": "https://example.org/x"})
    assert reply.status == 201, reply.body
    assert 1 <= len(reply.body["drafts"]) <= 10


def first_cursor(api: ApiClient, path: str) -> str | None:
    reply = api.get(path, params={"limit": "1"}, token="dev-admin")
    assert reply.status == 200, reply.body
    cursor: str | None = reply.body["next_cursor"]
    return cursor


@pytest.mark.parametrize(("method", "path", "op"), PAGINATED_OPERATIONS, ids=lambda v: v if isinstance(v, str) else "")
def test_a_cursor_is_valid_with_its_own_filters_only(api, method, path, op):
    """Linked operations: the next_cursor of a first page (no filters) fed back with every filter combination."""
    two_tenant_items(api, path)
    cursor = first_cursor(api, concrete(path))
    assert cursor, f"{path}: the seed should give more than one item"
    filters = sorted(query_names(op) & set(FILTER_VALUES))
    for values in itertools.product(*(FILTER_VALUES[f] for f in filters)):
        params = {f: v for f, v in zip(filters, values, strict=True) if v is not None}
        reply = api.get(concrete(path), params={**params, "limit": "1", "cursor": cursor}, token="dev-admin")
        assert reply.status < 500, (params, reply.body)
        if params.get("from", "") > params.get("to", "~"):
            assert reply.status == 422 and reply.error_fields() == {"from", "to"}, (params, reply.body)
        elif params:
            assert reply.status == 422 and reply.error_fields() == {"cursor"}, (params, reply.body)
        else:
            assert reply.status == 200, reply.body


@pytest.mark.parametrize(
    ("source", "target"),
    [(a, b) for a, b in itertools.permutations([p for _, p, _ in PAGINATED_OPERATIONS], 2)],
)
def test_a_cursor_replayed_on_another_route_is_422(api, source, target):
    two_tenant_items(api, source)
    two_tenant_items(api, target)
    cursor = first_cursor(api, concrete(source))
    assert cursor
    reply = api.get(concrete(target), params={"cursor": cursor}, token="dev-admin")
    assert reply.status == 422, reply.body
    assert reply.error_fields() == {"cursor"}


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("material,importer,annual_spend\r\n" + "cobalt,DE,1\r\n" * 1001, 422),  # over the 1,000 items
        ("material,importer,annual_spend\r\n" + "x" * 1_100_000 + ",DE,1\r\n", 413),  # over 1 MiB
        ("material,importer,annual_spend\r\n" + "x" * 200_000 + ",DE,1\r\n", 422),  # a cell over the csv limit
        ('material,importer,annual_spend\r\n"cobalt,DE,1\r\n', 422),  # an unterminated quote
        ("\ufeff\x00,\x00\r\n\x00", 422),
        ("", 422),
    ],
)
def test_hostile_portfolio_spreadsheets_are_4xx_and_store_nothing(api: ApiClient, raw: str, status: int) -> None:
    response = api.session.put(
        api.base_url + "/v1/portfolios/boundary-csv",
        data=raw.encode(),
        headers={"Authorization": "Bearer dev-admin", "Content-Type": "text/csv"},
        timeout=30,
    )
    assert response.status_code == status, response.text
    assert set(response.json()) == {"error", "message", "details"}
    assert api.get("/v1/portfolios/boundary-csv", token="dev-admin").status == 404
