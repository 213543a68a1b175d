"""Builds the adapters from settings on first use (never at import time).

Each getter imports its adapter module when first called: every function imports this module, and most use one
or two adapters (the read API only the read repository), so the others' modules (and the domain models they bring:
webhooks, subscriptions) stay out of their cold starts.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from shared.config import ConfigurationError, get_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from shared.adapters.delivery_queue import SqsDeliveryQueue
    from shared.adapters.dynamodb.read import DynamoReadRepository
    from shared.adapters.dynamodb.repository import DynamoRiskRepository
    from shared.adapters.messaging import EventBridgePublisher, SqsChunkQueue
    from shared.adapters.secrets import KmsSecretSealer
    from shared.adapters.webhook_http import HttpWebhookSender
    from shared.ports import ChangeReader


def _unset(variable: str) -> ConfigurationError:
    # Functions validate their settings at init (shared.config.require_settings), so only a tool that calls a
    # factory its environment does not configure gets here.
    return ConfigurationError(f"{variable} is not set")


@lru_cache(maxsize=1)
def _table_and_client() -> tuple[str, DynamoDBClient]:
    # one client per process: the full and the read composite share it (and its connection pool)
    from shared.adapters.dynamodb.base import make_dynamodb_client

    settings = get_settings()
    if not settings.table_name:
        raise _unset("TABLE_NAME")
    return settings.table_name, make_dynamodb_client(settings.dynamodb_endpoint_url, settings.aws_region)


@lru_cache(maxsize=1)
def get_repository() -> DynamoRiskRepository:
    """Every item family on the table (the functions that write, the local stack, scripts)."""
    from shared.adapters.dynamodb.repository import DynamoRiskRepository

    return DynamoRiskRepository(*_table_and_client())


@lru_cache(maxsize=1)
def get_read_repository() -> DynamoReadRepository:
    """The families the read API reads: its cold start skips the drafts, subscriptions and webhook attempts."""
    from shared.adapters.dynamodb.read import DynamoReadRepository

    return DynamoReadRepository(*_table_and_client())


@lru_cache(maxsize=1)
def get_chunk_queue() -> SqsChunkQueue:
    from shared.adapters.messaging import SqsChunkQueue

    settings = get_settings()
    if not settings.rescore_queue_url:
        raise _unset("RESCORE_QUEUE_URL")
    return SqsChunkQueue(settings.rescore_queue_url, region=settings.aws_region)


@lru_cache(maxsize=1)
def get_publisher() -> EventBridgePublisher:
    from shared.adapters.messaging import EventBridgePublisher

    settings = get_settings()
    if not settings.event_bus_name:
        raise _unset("EVENT_BUS_NAME")
    return EventBridgePublisher(settings.event_bus_name, region=settings.aws_region)


@lru_cache(maxsize=1)
def get_secret_sealer() -> KmsSecretSealer:
    from shared.adapters.secrets import KmsSecretSealer

    settings = get_settings()
    if not settings.subscription_key_id:
        raise _unset("SUBSCRIPTION_KEY_ID")
    return KmsSecretSealer(settings.subscription_key_id, region=settings.aws_region)


@lru_cache(maxsize=1)
def get_delivery_queue() -> SqsDeliveryQueue:
    from shared.adapters.delivery_queue import SqsDeliveryQueue

    settings = get_settings()
    if not settings.delivery_queue_url or not settings.delivery_dlq_url:
        raise _unset("DELIVERY_QUEUE_URL" if not settings.delivery_queue_url else "DELIVERY_DLQ_URL")
    return SqsDeliveryQueue(settings.delivery_queue_url, settings.delivery_dlq_url, region=settings.aws_region)


@lru_cache(maxsize=1)
def get_task_scheduler() -> SqsDeliveryQueue:
    """The delivery queue without its DLQ: what the portfolio API needs to queue a test delivery."""
    from shared.adapters.delivery_queue import SqsDeliveryQueue

    settings = get_settings()
    if not settings.delivery_queue_url:
        raise _unset("DELIVERY_QUEUE_URL")
    return SqsDeliveryQueue(settings.delivery_queue_url, None, region=settings.aws_region)


def get_webhook_sender() -> HttpWebhookSender:
    """Loopback receivers only where the local stack allows them (ALLOW_LOOPBACK_WEBHOOKS)."""
    from shared.adapters.webhook_http import HttpWebhookSender

    settings = get_settings()
    return HttpWebhookSender(
        allow_loopback=settings.allow_loopback_webhooks, loopback_only=settings.webhook_loopback_only
    )


def get_change_reader() -> ChangeReader:
    """Reads the table's stream records (the item layout is the repository's; no client or settings needed)."""
    from shared.adapters.dynamodb.stream import reference_change_from_stream

    return reference_change_from_stream


def clear_adapter_caches() -> None:
    """Tests and the local stack re-point the adapters by changing env and calling this."""
    get_settings.cache_clear()
    _table_and_client.cache_clear()
    get_repository.cache_clear()
    get_read_repository.cache_clear()
    get_chunk_queue.cache_clear()
    get_publisher.cache_clear()
    get_secret_sealer.cache_clear()
    get_delivery_queue.cache_clear()
    get_task_scheduler.cache_clear()
