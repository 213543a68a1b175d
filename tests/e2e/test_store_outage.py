"""A client's view of a store outage, over HTTP: the health check turns degraded, data routes answer a generic 503
with Retry-After, every answer carries the security headers, and both recover when the store is back.

This module stops a database, so it runs its own DynamoDB Local and its own local API (routes, handlers and dev
tokens from template.yaml, as in the rest of the tier) instead of the tier's shared stack. The local API points the
handlers' environment at its table while it runs and restores it when it stops (local.api_server), as the tier's
stack does; nothing writes to the tier's stack meanwhile, so its pollers have nothing to invoke.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from local.api_server import RunningApi, make_server
from local.dynamodb_local import DynamoDBLocal, find_free_port, local_client, missing_prerequisites
from shared.http import SECURITY_HEADERS, UNAVAILABLE_MESSAGE
from shared.services.health import HEALTH_CACHE_SECONDS
from tests.conftest import unavailable_in_this_environment
from tests.e2e.client import ApiClient, Reply
from tests.support import create_table


@dataclass
class Outage:
    store: DynamoDBLocal
    now: list[float] = field(default_factory=lambda: [0.0])  # the read API's health-cache clock, moved by hand
    table: str = ""

    def restart_store(self) -> None:
        self.store = DynamoDBLocal(self.store.port, quiet=True).start()
        create_table(local_client(self.store.endpoint_url), self.table)  # in memory: it comes back empty


@pytest.fixture
def outage(monkeypatch: pytest.MonkeyPatch) -> Iterator[Outage]:
    missing = missing_prerequisites()
    if missing:
        unavailable_in_this_environment("e2e", "DynamoDB Local needs " + "; ".join(missing))
    from functions.read_api.app import STORE_HEALTH

    state = Outage(DynamoDBLocal(find_free_port(), quiet=True).start())
    try:
        state.table = create_table(local_client(state.store.endpoint_url))
        monkeypatch.setattr(STORE_HEALTH, "clock", lambda: state.now[0])
        # the handlers run in worker processes (local.function_workers), which the clock above does not reach:
        # they read the cache time from their environment, inherited when they start
        monkeypatch.setenv("HEALTH_CACHE_SECONDS", "0")
        yield state
    finally:
        state.store.stop()


@pytest.fixture
def api(outage: Outage) -> Iterator[ApiClient]:
    """The local API on the outage's table (its own routes, handlers and dev tokens, from template.yaml)."""
    running = RunningApi(make_server(0, outage.table, outage.store.endpoint_url, quiet=True))
    with running, ApiClient(running.base_url) as client:
        yield client


def assert_secure(reply: Reply) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert reply.headers.get(name) == value, (name, reply.status, dict(reply.headers))


def test_a_store_outage_seen_over_http(outage: Outage, api: ApiClient) -> None:
    up = api.get("/v1/health", token=None)
    assert (up.status, up.body["status"], up.body["store"]) == (200, "ok", "ok")
    assert_secure(up)
    missing = api.get("/v1/scores/JP/dysprosium")  # an empty table: the route works, the score is not there
    assert missing.status == 404
    assert_secure(missing)

    outage.store.stop()
    outage.now[0] += HEALTH_CACHE_SECONDS
    down = api.get("/v1/health", token=None)
    assert (down.status, down.body["status"], down.body["store"]) == (503, "degraded", "unavailable"), down.body
    assert_secure(down)
    unavailable = api.get("/v1/scores/JP/dysprosium")
    assert unavailable.status == 503
    assert unavailable.error() == {"error": "service_unavailable", "message": UNAVAILABLE_MESSAGE, "details": []}
    assert int(unavailable.headers["Retry-After"]) > 0
    assert_secure(unavailable)

    outage.restart_store()
    outage.now[0] += HEALTH_CACHE_SECONDS
    back = api.get("/v1/health", token=None)
    assert (back.status, back.body["status"], back.body["store"]) == (200, "ok", "ok")
    assert api.get("/v1/scores/JP/dysprosium").status == 404
