"""Faults against the real DynamoDB Local: the store going away mid-use, and truly concurrent conflicting writes."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

from local.dynamodb_local import DynamoDBLocal, find_free_port, local_client
from shared.adapters.dynamodb_repository import DynamoRiskRepository
from shared.services.health import HEALTH_CACHE_SECONDS
from shared.services.rescoring import rescore_all
from shared.services.seeding import SeedData, seed_reference_data
from tests.conftest import point_handlers_at
from tests.support import ADMIN, SEED_AS_OF, api_event, call, create_table


def seed_small(client: Any, seed_data: SeedData, table_name: str | None = None) -> str:
    table = create_table(client, table_name)
    repo = DynamoRiskRepository(table, client)
    seed_reference_data(repo, seed_data)
    rescore_all(repo, SEED_AS_OF, importers=("JP",))
    return table


def test_store_outage_is_a_503_with_a_retry_hint_and_the_api_recovers(
    monkeypatch: pytest.MonkeyPatch, seed_data: SeedData, local_aws_environment: None
) -> None:
    port = find_free_port()
    store = DynamoDBLocal(port, quiet=True).start()
    try:
        table = seed_small(local_client(store.endpoint_url), seed_data)
        point_handlers_at(monkeypatch, table, store.endpoint_url)
        from functions.read_api.app import lambda_handler as read_api

        assert call(read_api, api_event("GET", "/v1/scores/JP/dysprosium")).status == 200

        store.stop()  # the database goes away between two requests of a warm handler
        down = call(read_api, api_event("GET", "/v1/scores/JP/dysprosium"))
        assert down.status == 503, down.body
        assert down.body["error"] == "service_unavailable"
        assert int(down.headers["Retry-After"]) > 0
        assert "Traceback" not in str(down.body)
        assert "DynamoDB" not in down.body["message"] and "Error" not in down.body["message"]

        store = DynamoDBLocal(port, quiet=True).start()  # back (in memory: it comes back empty, so reload)
        seed_small(local_client(store.endpoint_url), seed_data, table)
        recovered = call(read_api, api_event("GET", "/v1/scores/JP/dysprosium"))
        assert recovered.status == 200, recovered.body
        assert recovered.body["band"] == "critical"
    finally:
        store.stop()


def test_health_turns_degraded_while_the_store_is_down_and_recovers(
    monkeypatch: pytest.MonkeyPatch, local_aws_environment: None
) -> None:
    port = find_free_port()
    store = DynamoDBLocal(port, quiet=True).start()
    try:
        table = create_table(local_client(store.endpoint_url))
        point_handlers_at(monkeypatch, table, store.endpoint_url)
        from functions.read_api.app import STORE_HEALTH
        from functions.read_api.app import lambda_handler as read_api

        now = [0.0]
        monkeypatch.setattr(STORE_HEALTH, "clock", lambda: now[0])
        health = api_event("GET", "/v1/health", scopes=())

        up = call(read_api, health)
        assert (up.status, up.body["status"], up.body["store"]) == (200, "ok", "ok")

        store.stop()  # the database goes away; the warm container remembers its last look for 10 s
        assert call(read_api, health).status == 200
        now[0] += HEALTH_CACHE_SECONDS
        down = call(read_api, health)
        assert (down.status, down.body["status"], down.body["store"]) == (503, "degraded", "unavailable"), down.body
        assert set(down.body) == {"status", "store", "model_version"}, "no cause, no backend call, no traceback"

        store = DynamoDBLocal(port, quiet=True).start()
        create_table(local_client(store.endpoint_url), table)
        now[0] += HEALTH_CACHE_SECONDS
        recovered = call(read_api, health)
        assert (recovered.status, recovered.body["status"], recovered.body["store"]) == (200, "ok", "ok")
    finally:
        store.stop()


def _put_material_in_a_fresh_process(args: tuple[str, str, str, int]) -> int:
    """One 'Lambda container': its own process and client, sending version 1 like every other contender."""
    endpoint, table, name, version = args
    os.environ.update(TABLE_NAME=table, DYNAMODB_ENDPOINT_URL=endpoint)
    from functions.admin_api.app import lambda_handler as admin

    body = {
        "name": name,
        "stages": {"extraction": [{"country": "CL", "share": 0.24}, {"country": "PE", "share": 0.1}]},
        "source": f"concurrency test ({name})",
        "version": version,
    }
    return int(call(admin, api_event("PUT", "/v1/materials/copper", body=body, scopes=(ADMIN,))).status)


def test_concurrent_conflicting_admin_updates_exactly_one_wins(
    dynamodb_client: Any, dynamodb_endpoint: str, seed_data: SeedData
) -> None:
    table = create_table(dynamodb_client)
    repo = DynamoRiskRepository(table, dynamodb_client)
    seed_reference_data(repo, seed_data)
    before = repo.get_material("copper")
    assert before is not None and before.version == 1

    contenders = [f"Copper (writer {i})" for i in range(6)]
    context = multiprocessing.get_context("spawn")  # separate processes: real concurrent conditional writes
    with ProcessPoolExecutor(max_workers=len(contenders), mp_context=context) as pool:
        statuses = list(
            pool.map(_put_material_in_a_fresh_process, [(dynamodb_endpoint, table, n, 1) for n in contenders])
        )

    assert sorted(statuses) == [200] + [409] * (len(contenders) - 1), statuses
    after = repo.get_material("copper")
    assert after is not None and after.version == 2
    assert after.name in contenders  # exactly one writer's whole body, nothing mixed
    assert after.source == f"concurrency test ({after.name})"
    assert after.stages != before.stages
