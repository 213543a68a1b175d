"""Integration tier: real handlers and adapters against moto (one mock for the whole session)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from shared.adapters.dynamodb_repository import CLIENT_CONFIG


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
    with mock_aws():
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
