"""Fixtures every tier shares. A tier provides `dynamodb_client` (moto or DynamoDB Local); the rest builds on it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from shared.adapters.dynamodb_repository import DynamoRiskRepository
from shared.adapters.factory import clear_adapter_caches
from shared.adapters.seed_files import read_seed
from shared.services.rescoring import rescore_all
from shared.services.seeding import SeedData, seed_reference_data
from tests.support import SEED_AS_OF, create_table


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
def seeded_table(dynamodb_client: Any, seed_data: SeedData) -> str:
    """One table per session with the real seed data and every default pair scored at SEED_AS_OF.

    Read-only tests share it; tests that write use `fresh_table`.
    """
    name = create_table(dynamodb_client)
    repo = DynamoRiskRepository(name, dynamodb_client)
    seed_reference_data(repo, seed_data)
    rescore_all(repo, SEED_AS_OF)
    return name


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
