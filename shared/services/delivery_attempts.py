"""A subscription's recent webhook attempts (GET /v1/subscriptions/{id}/deliveries, issue 16): the tenant rule is
the subscription's, so another tenant's (or a missing) subscription is a 404 before any attempt is read."""

from __future__ import annotations

from typing import Protocol

from shared.domain.errors import NotFoundError
from shared.domain.webhooks import DeliveryAttempt
from shared.ports import DeliveryAttemptHistory, Page, SubscriptionReader


class AttemptLogStore(SubscriptionReader, DeliveryAttemptHistory, Protocol):
    """The subscription (the tenant rule) and its attempt log."""


def list_delivery_attempts(
    store: AttemptLogStore, tenant: str, subscription_id: str, limit: int, cursor: str | None
) -> Page[DeliveryAttempt]:
    if store.get_subscription(tenant, subscription_id) is None:
        # the same answer as GET /v1/subscriptions/{id}: missing and another tenant's look alike
        raise NotFoundError(f"unknown subscription {subscription_id!r}", field="subscription_id")
    return store.list_attempts(tenant, subscription_id, limit, cursor)
