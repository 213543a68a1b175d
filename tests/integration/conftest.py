"""Integration tier: real handlers and adapters against moto (one mock for the whole session)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import boto3
import moto.dynamodb.models as moto_dynamodb_models
import pytest
from moto import mock_aws
from moto.dynamodb.models.table import Table as MotoTable

from shared.adapters.dynamodb_repository import CLIENT_CONFIG


@contextmanager
def one_snapshot_per_transaction() -> Iterator[None]:
    """moto 5.2's TransactWriteItems deep-copies the whole table once per *item* of the transaction (its rollback
    snapshot), so a 100-put transaction on a seeded table costs seconds. DynamoDB has no such cost: copy each
    table once per transaction (the copies are all taken before the first write, so the rollback is the same)."""
    real_copy = getattr(moto_dynamodb_models, "copy")  # noqa: B009 (the module's `import copy`, not exported)
    real_transact = moto_dynamodb_models.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        snapshots: dict[int, tuple[Any, Any]] = {}

        def deepcopy(obj: Any) -> Any:
            if not isinstance(obj, MotoTable):
                return real_copy.deepcopy(obj)
            if id(obj) not in snapshots:
                snapshots[id(obj)] = (obj, real_copy.deepcopy(obj))
            return snapshots[id(obj)][1]

        setattr(moto_dynamodb_models, "copy", SimpleNamespace(deepcopy=deepcopy))  # noqa: B010
        try:
            real_transact(self, transact_items)
        finally:
            setattr(moto_dynamodb_models, "copy", real_copy)  # noqa: B010

    moto_dynamodb_models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    try:
        yield
    finally:
        moto_dynamodb_models.DynamoDBBackend.transact_write_items = real_transact  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def dynamodb_client() -> Iterator[Any]:
    fake_env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    }
    saved = {k: os.environ.get(k) for k in fake_env}
    os.environ.update(fake_env)
    with mock_aws(), one_snapshot_per_transaction():
        yield boto3.client("dynamodb", region_name="us-east-1", config=CLIENT_CONFIG)
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def dynamodb_endpoint() -> None:
    """moto intercepts boto3 in-process: no endpoint URL."""
    return None
