"""Defence in depth on the real handlers (moto): security headers on every response, 503s that name no backend
call, and a health check that reads the store cheaply and at most once per 10 s per container."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from shared.adapters.factory import get_repository
from shared.http import MAX_BODY_BYTES, SECURITY_HEADERS, UNAVAILABLE_MESSAGE
from shared.services.health import HEALTH_CACHE_SECONDS
from tests.conftest import point_handlers_at
from tests.log_capture import captured_logs
from tests.support import ADMIN, PORTFOLIO, READ, ApiResult, api_event, call, create_table

#: nothing listens on port 1 of the loopback: every call to the store is refused (moto does not intercept it)
UNREACHABLE_STORE = "http://127.0.0.1:1"


def assert_secure(result: ApiResult) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert result.headers.get(name) == value, (name, result.status, result.headers)


def handler(name: str) -> Any:
    module = __import__(f"functions.{name}.app", fromlist=["lambda_handler"])
    return module.lambda_handler


# ----------------------------------------------------------------------------------------- headers


@pytest.mark.parametrize(
    ("function", "method", "path", "kwargs", "status"),
    [
        ("read_api", "GET", "/v1/health", {}, 200),
        ("read_api", "GET", "/v1/scores/JP/dysprosium", {}, 200),
        ("read_api", "GET", "/v1/importers/JP/scores", {"headers": {"Accept": "text/csv"}}, 200),
        ("read_api", "GET", "/v1/scores/JP/unobtainium", {}, 404),
        ("read_api", "GET", "/v1/importers/JP/scores", {"query": {"limit": "0"}}, 422),
        ("read_api", "GET", "/v1/no/such/route", {}, 404),
        ("read_api", "POST", "/v1/scores/batch", {"body": "x" * (MAX_BODY_BYTES + 1)}, 413),
        ("read_api", "POST", "/v1/scores/batch", {"body": "a=1", "headers": {"Content-Type": "text/plain"}}, 415),
        ("portfolio_api", "GET", "/v1/portfolios", {"scopes": (PORTFOLIO,)}, 200),
        ("portfolio_api", "GET", "/v1/portfolios/nothing-here", {"scopes": (PORTFOLIO,)}, 404),
        ("admin_api", "GET", "/v1/rescore/nightly-nosuchrun", {"scopes": (ADMIN,)}, 404),
    ],
)
def test_every_response_carries_the_security_headers(
    monkeypatch: pytest.MonkeyPatch,
    seeded_table: str,
    function: str,
    method: str,
    path: str,
    kwargs: dict[str, Any],
    status: int,
) -> None:
    point_handlers_at(monkeypatch, seeded_table, None)
    result = call(handler(function), api_event(method, path, **kwargs))
    assert result.status == status, result.body
    assert_secure(result)


# ----------------------------------------------------------------------------------------- store outage


@pytest.mark.parametrize(
    ("function", "path", "scopes"),
    [("read_api", "/v1/scores/JP/dysprosium", (READ,)), ("portfolio_api", "/v1/portfolios", (PORTFOLIO,))],
)
def test_a_store_outage_is_a_503_that_names_no_backend_call(
    monkeypatch: pytest.MonkeyPatch, function: str, path: str, scopes: tuple[str, ...]
) -> None:
    point_handlers_at(monkeypatch, "any-table", UNREACHABLE_STORE)
    result = call(handler(function), api_event("GET", path, scopes=scopes))
    assert result.status == 503, result.body
    assert result.body == {"error": "service_unavailable", "message": UNAVAILABLE_MESSAGE, "details": []}
    assert int(result.headers["Retry-After"]) > 0
    assert_secure(result)
    for leak in ("DynamoDB", "get_item", "query", "Error", "Exception", "127.0.0.1"):
        assert leak not in result.body["message"], leak


# ----------------------------------------------------------------------------------------- health


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    from functions.read_api.app import STORE_HEALTH

    fake = FakeClock()
    monkeypatch.setattr(STORE_HEALTH, "clock", fake)
    return fake


@pytest.fixture
def scratch_table(dynamodb_client: Any) -> Iterator[str]:
    name = create_table(dynamodb_client)
    yield name
    if name in dynamodb_client.list_tables()["TableNames"]:
        dynamodb_client.delete_table(TableName=name)


def store_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The DynamoDB operations the handlers' current client makes from now on."""
    calls: list[str] = []
    client = get_repository().client
    client.meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))
    return calls


def health(read_api: Any) -> ApiResult:
    result = call(read_api, api_event("GET", "/v1/health", scopes=()))
    assert_secure(result)
    return result


def test_health_reports_the_store_and_reads_it_once_per_ten_seconds(
    monkeypatch: pytest.MonkeyPatch, dynamodb_client: Any, scratch_table: str, clock: FakeClock
) -> None:
    point_handlers_at(monkeypatch, scratch_table, None)
    read_api = handler("read_api")
    calls = store_calls(monkeypatch)

    first = health(read_api)
    assert first.status == 200
    assert {k: first.body[k] for k in ("status", "store")} == {"status": "ok", "store": "ok"}
    assert calls == ["GetItem"], "one data-plane read: no DescribeTable, no Scan"

    for _ in range(5):
        assert health(read_api).status == 200
    assert calls == ["GetItem"], "remembered: the store is read at most once per 10 s"

    dynamodb_client.delete_table(TableName=scratch_table)  # the store fails for this very client
    assert health(read_api).status == 200, "still the remembered answer"
    clock.now += HEALTH_CACHE_SECONDS
    down = health(read_api)
    assert down.status == 503
    assert {k: down.body[k] for k in ("status", "store")} == {"status": "degraded", "store": "unavailable"}
    assert "ResourceNotFound" not in str(down.body)

    create_table(dynamodb_client, scratch_table)
    assert health(read_api).status == 503, "remembered until the 10 s are over"
    clock.now += HEALTH_CACHE_SECONDS
    assert health(read_api).status == 200
    assert calls == ["GetItem"] * 3


def test_health_is_503_when_the_store_cannot_be_reached(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> None:
    point_handlers_at(monkeypatch, "any-table", UNREACHABLE_STORE)
    down = health(handler("read_api"))
    assert down.status == 503
    assert down.body["status"] == "degraded" and down.body["store"] == "unavailable"
    assert "127.0.0.1" not in str(down.body)


def test_a_requests_log_lines_carry_its_api_gateway_request_id(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    point_handlers_at(monkeypatch, "any-table", UNREACHABLE_STORE)
    read_api = handler("read_api")
    first, second = (api_event("GET", "/v1/health", scopes=()) for _ in range(2))
    first["requestContext"]["requestId"] = "c0ffee00-0000-4000-8000-000000000001"
    second["requestContext"]["requestId"] = "c0ffee00-0000-4000-8000-000000000002"

    with captured_logs() as lines:
        assert call(read_api, first).status == 503  # logs "health check: store unavailable"
        clock.now += HEALTH_CACHE_SECONDS
        assert call(read_api, second).status == 503

    warnings = [line for line in lines if line["message"] == "health check: store unavailable"]
    assert [line["correlation_id"] for line in warnings] == [
        "c0ffee00-0000-4000-8000-000000000001",
        "c0ffee00-0000-4000-8000-000000000002",
    ]
