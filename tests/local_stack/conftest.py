"""local_stack tier: the same repository/handler tests against Amazon DynamoDB Local (Java + npm jar).

Provides `dynamodb_local_endpoint` (the session's DynamoDB Local, `shared_dynamodb_local` in tests/conftest.py,
on a free port), and, for the fixtures the tiers share (tests/conftest.py), `dynamodb_client` and
`dynamodb_endpoint`. Without java or npm the tier is skipped with the reason, except under CI (env CI set),
where that is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.dynamodb_local import create_table_from_template, local_client, local_environment_defaults

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A conftest's pytestmark does not apply to the folder's modules: mark this folder's items here.
    for item in items:
        if HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.local_stack)


@pytest.fixture(scope="session")
def dynamodb_local_endpoint(shared_dynamodb_local: str) -> str:
    """Endpoint URL of the session's DynamoDB Local (tests/conftest.py starts it; the e2e tier shares it)."""
    return shared_dynamodb_local


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
