"""Alert subscriptions (issue 16, scope risk/portfolio): a tenant's signed webhooks. The tenant is the token's
client id, as for portfolios: another tenant's subscription is a 404."""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.metrics import MetricUnit

from shared.adapters.factory import get_repository, get_secret_sealer, get_task_scheduler
from shared.config import get_settings
from shared.http import UPSERT_RESPONSES, IfMatch, build_router, caller_of, expected_version, stored, upsert_input
from shared.observability import logger, metrics
from shared.params import Cursor, Limit, SubscriptionIdPath
from shared.schemas_subscriptions import (
    DeliveryAttemptListResponse,
    SubscriptionListResponse,
    SubscriptionResponse,
    SubscriptionTestResponse,
    SubscriptionUpsertRequest,
)
from shared.services import delivery_attempts, subscriptions

router = build_router()


def tenant() -> str:
    return caller_of(router).client_id


@router.put(
    "/v1/subscriptions/<subscription_id>",
    summary="Create or replace an alert subscription (the signing secret is in the answer that creates it only)",
    tags=["subscriptions"],
    responses=UPSERT_RESPONSES,
)
def put_subscription(
    subscription_id: SubscriptionIdPath,
    request: Annotated[SubscriptionUpsertRequest, Body()],
    if_match: IfMatch = None,
) -> Response[SubscriptionResponse]:
    logger.append_keys(subscription_id=subscription_id)
    write = subscriptions.upsert_subscription(
        get_repository(),
        get_secret_sealer(),
        tenant(),
        subscription_id,
        *upsert_input(request, if_match),
        datetime.now(UTC),
        allow_loopback=get_settings().allow_loopback_webhooks,
    )
    metrics.add_metric(name="SubscriptionUpserted", unit=MetricUnit.Count, value=1)
    return stored(write.result, SubscriptionResponse.of_write(write))


@router.get("/v1/subscriptions/<subscription_id>", summary="One of your subscriptions", tags=["subscriptions"])
def get_subscription(subscription_id: SubscriptionIdPath) -> SubscriptionResponse:
    logger.append_keys(subscription_id=subscription_id)
    subscription = subscriptions.get_subscription(get_repository(), tenant(), subscription_id)
    return SubscriptionResponse.of(subscription)


@router.delete(
    "/v1/subscriptions/<subscription_id>",
    summary="Delete one of your subscriptions",
    tags=["subscriptions"],
    responses={204: {"description": "Deleted"}},
)
def delete_subscription(subscription_id: SubscriptionIdPath, if_match: IfMatch = None) -> Response[None]:
    logger.append_keys(subscription_id=subscription_id)
    subscriptions.delete_subscription(get_repository(), tenant(), subscription_id, expected_version(None, if_match))
    metrics.add_metric(name="SubscriptionDeleted", unit=MetricUnit.Count, value=1)
    return Response(status_code=HTTPStatus.NO_CONTENT, content_type=content_types.APPLICATION_JSON, body=None)


@router.get("/v1/subscriptions", summary="Your subscriptions", tags=["subscriptions"])
def list_subscriptions(limit: Limit = 50, cursor: Cursor = None) -> SubscriptionListResponse:
    page = subscriptions.list_subscriptions(get_repository(), tenant(), limit, cursor)
    return SubscriptionListResponse.of(page)


@router.get(
    "/v1/subscriptions/<subscription_id>/deliveries",
    summary="Recent webhook attempts of one of your subscriptions (last 7 days, newest first)",
    tags=["subscriptions"],
)
def list_deliveries(
    subscription_id: SubscriptionIdPath, limit: Limit = 50, cursor: Cursor = None
) -> DeliveryAttemptListResponse:
    logger.append_keys(subscription_id=subscription_id)
    page = delivery_attempts.list_delivery_attempts(get_repository(), tenant(), subscription_id, limit, cursor)
    return DeliveryAttemptListResponse.of(page)


@router.post(
    "/v1/subscriptions/<subscription_id>/rotate-secret",
    summary="A new signing secret for a subscription, in this answer only (the old one stops signing at once)",
    tags=["subscriptions"],
)
def rotate_secret(subscription_id: SubscriptionIdPath, if_match: IfMatch = None) -> SubscriptionResponse:
    logger.append_keys(subscription_id=subscription_id)
    write = subscriptions.rotate_secret(
        get_repository(),
        get_secret_sealer(),
        tenant(),
        subscription_id,
        expected_version(None, if_match),
        datetime.now(UTC),
    )
    metrics.add_metric(name="SubscriptionSecretRotated", unit=MetricUnit.Count, value=1)
    return SubscriptionResponse.of_write(write)


@router.post(
    "/v1/subscriptions/<subscription_id>/test",
    summary="Send a signed test event (type test, sample scores) to the subscription's URL now",
    tags=["subscriptions"],
    responses={202: {"description": "Queued: it arrives within seconds, signed, with this delivery id"}},
)
def send_test_event(subscription_id: SubscriptionIdPath) -> Response[SubscriptionTestResponse]:
    logger.append_keys(subscription_id=subscription_id)
    task = subscriptions.send_test_delivery(
        get_repository(), get_task_scheduler(), tenant(), subscription_id, datetime.now(UTC)
    )
    metrics.add_metric(name="SubscriptionTestQueued", unit=MetricUnit.Count, value=1)
    return Response(
        status_code=HTTPStatus.ACCEPTED,
        content_type=content_types.APPLICATION_JSON,
        body=SubscriptionTestResponse.of(task),
    )
