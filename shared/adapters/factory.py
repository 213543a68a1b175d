"""Builds the adapters from settings on first use (never at import time)."""

from __future__ import annotations

from functools import lru_cache

from shared.adapters.dynamodb_repository import DynamoRiskRepository, make_dynamodb_client
from shared.config import get_settings


@lru_cache(maxsize=1)
def get_repository() -> DynamoRiskRepository:
    settings = get_settings()
    client = make_dynamodb_client(settings.dynamodb_endpoint_url, settings.aws_region)
    return DynamoRiskRepository(settings.table_name, client)
