"""The store contract's backends: the in-memory fake, the DynamoDB adapter on moto, and the DynamoDB adapter on
Amazon DynamoDB Local (the session's, tests/conftest.py `shared_dynamodb_local`: without java or npm it is
skipped with what is missing, except under CI, where that is a failure, as in tests/local_stack)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from shared.adapters.aws import CLIENT_CONFIG
from shared.adapters.dynamodb import DynamoRiskRepository
from shared.ports import RiskStore
from tests.fakes import InMemoryRiskStore
from tests.support import create_table

_MOTO_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
}


@pytest.fixture(scope="session")
def _dynamodb_local_client(shared_dynamodb_local: str) -> Any:
    from local.dynamodb_local import local_client, local_environment_defaults

    for key, value in local_environment_defaults().items():
        os.environ.setdefault(key, value)
    return local_client(shared_dynamodb_local)


@pytest.fixture(
    params=["fake", "moto", pytest.param("dynamodb_local", marks=pytest.mark.local_stack)],
)
def store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[RiskStore]:
    """A fresh, empty store on each backend."""
    if request.param == "fake":
        yield InMemoryRiskStore()
    elif request.param == "moto":
        for key, value in _MOTO_ENV.items():
            monkeypatch.setenv(key, value)
        with mock_aws():
            client = boto3.client("dynamodb", region_name="us-east-1", config=CLIENT_CONFIG)
            yield DynamoRiskRepository(create_table(client), client)
    else:
        from local.dynamodb_local import create_table_from_template

        client = request.getfixturevalue("_dynamodb_local_client")
        name = f"RiskTable-contract-{uuid.uuid4().hex[:12]}"
        create_table_from_template(client, name)
        try:
            yield DynamoRiskRepository(name, client)
        finally:
            client.delete_table(TableName=name)
