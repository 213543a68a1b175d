"""Alert subscriptions (issue 16): a tenant's webhooks, their signing secrets, optimistic locking as elsewhere."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from shared.domain.errors import InvalidInputError, NotFoundError, VersionConflictError
from shared.domain.models import Band
from shared.domain.subscriptions import Subscription, is_loopback_url
from shared.domain.webhooks import DeliveryTask, build_payload
from shared.ports import (
    Page,
    PortfolioReader,
    SecretSealer,
    SubscriptionReader,
    SubscriptionStore,
    SubscriptionSummary,
)
from shared.ports.webhooks import TaskScheduler
from shared.services.versioning import UpsertResult, upsert_versioned

#: what the store compares to decide "unchanged", besides what the client sent
_BOOKKEEPING = frozenset({"version", "updated_at", "sealed_secret", "last_failure"})
SECRET_PREFIX = "whsec_"  # noqa: S105 (a label in front of each generated secret, not a secret)  # nosec B105


def generate_secret() -> str:
    """A new signing secret: 256 random bits, URL-safe text (what the receiver keeps)."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def secret_context(tenant: str, subscription_id: str) -> dict[str, str]:
    """The sealing context: a sealed secret opens only for the subscription it was made for (KMS encryption
    context; also what CloudTrail shows for each Decrypt)."""
    return {"tenant": tenant, "subscription_id": subscription_id}


class SubscriptionWriteStore(SubscriptionStore, PortfolioReader, Protocol):
    """Writing a subscription checks that a watched portfolio is the tenant's own."""


@dataclass(frozen=True)
class SubscriptionWrite:
    result: UpsertResult[Subscription]
    #: the signing secret in clear: only when it was just generated (creation, rotation), else None
    secret: str | None


def _not_found(subscription_id: str) -> NotFoundError:
    # The same answer whether it does not exist or belongs to another tenant: existence is not leaked.
    return NotFoundError(f"unknown subscription {subscription_id!r}", field="subscription_id")


def upsert_subscription(
    store: SubscriptionWriteStore,
    sealer: SecretSealer,
    tenant: str,
    subscription_id: str,
    fields: dict[str, Any],
    expected_version: int | None,
    now: datetime,
    *,
    allow_loopback: bool,
    new_secret: Callable[[], str] = generate_secret,
) -> SubscriptionWrite:
    """Create (a new secret, returned once) or replace (the secret kept) a subscription."""
    url = fields.get("url")
    if isinstance(url, str) and is_loopback_url(url) and not allow_loopback:
        raise InvalidInputError("url: http://127.0.0.1 targets are only allowed in the local stack", field="url")
    portfolio_id = fields.get("portfolio_id")
    if isinstance(portfolio_id, str) and store.get_portfolio(tenant, portfolio_id) is None:
        # 422, not 404: the subscription is what the path names; its body names a portfolio we cannot watch
        raise InvalidInputError(f"unknown portfolio {portfolio_id!r}", field="portfolio_id")
    current = store.get_subscription(tenant, subscription_id)
    if current is None:
        secret: str | None = new_secret()
        sealed = sealer.seal(str(secret), secret_context(tenant, subscription_id))
    else:
        secret, sealed = None, current.sealed_secret
    proposed = Subscription.parse(
        {**fields, "tenant": tenant, "id": subscription_id, "updated_at": now, "sealed_secret": sealed}
    )
    result = upsert_versioned(
        proposed, current, expected_version, store.put_subscription, version_required=True, bookkeeping=_BOOKKEEPING
    )
    return SubscriptionWrite(result, secret if result.created else None)


def get_subscription(store: SubscriptionStore, tenant: str, subscription_id: str) -> Subscription:
    subscription = store.get_subscription(tenant, subscription_id)
    if subscription is None:
        raise _not_found(subscription_id)
    return subscription


def delete_subscription(
    store: SubscriptionStore, tenant: str, subscription_id: str, expected_version: int | None
) -> None:
    if store.get_subscription(tenant, subscription_id) is None:
        raise _not_found(subscription_id)
    if not store.delete_subscription(tenant, subscription_id, expected_version):
        raise _not_found(subscription_id)


def list_subscriptions(
    store: SubscriptionStore, tenant: str, limit: int, cursor: str | None
) -> Page[SubscriptionSummary]:
    return store.list_subscriptions(tenant, limit, cursor)


def rotate_secret(
    store: SubscriptionStore,
    sealer: SecretSealer,
    tenant: str,
    subscription_id: str,
    expected_version: int | None,
    now: datetime,
    *,
    new_secret: Callable[[], str] = generate_secret,
) -> SubscriptionWrite:
    """A new signing secret (returned once), version + 1; the old one stops signing at once."""
    current = get_subscription(store, tenant, subscription_id)
    if expected_version is not None and expected_version != current.version:
        raise VersionConflictError(
            f"stale version {expected_version}: the stored version is {current.version}", field="version"
        )
    secret = new_secret()
    rotated = current.model_copy(
        update={
            "sealed_secret": sealer.seal(secret, secret_context(tenant, subscription_id)),
            "version": current.version + 1,
            "updated_at": now,
        }
    )
    store.put_subscription(rotated, current.version)  # conditional: a write in between is a 409
    return SubscriptionWrite(UpsertResult(rotated, created=False, changed=True), secret)


def send_test_delivery(
    store: SubscriptionReader, scheduler: TaskScheduler, tenant: str, subscription_id: str, now: datetime
) -> DeliveryTask:
    """Queues one signed test event (`type` "test", sample scores) for the subscription now; the delivery function
    signs and sends it like any other (same retries). A disabled subscription is a 422 (it would be dropped)."""
    subscription = store.get_subscription(tenant, subscription_id)
    if subscription is None:
        raise _not_found(subscription_id)
    if not subscription.enabled:
        raise InvalidInputError("the subscription is disabled: enable it to receive a test event", field="enabled")
    event = f"test_{secrets.token_hex(16)}"
    payload = build_payload(
        kind="test",
        event=event,
        subscription=subscription,
        importer="JP",
        material="dysprosium",
        old_score=55.0,
        new_score=80.0,
        old_band=Band.HIGH,
        new_band=Band.CRITICAL,
        cause_type="test",
        cause_id=event,
        computed_at=now,
        current=None,
    )
    task = DeliveryTask(
        tenant=tenant,
        subscription_id=subscription_id,
        delivery_id=payload.delivery_id,
        body=payload.model_dump_json(),
        first_attempt_at=now,
    )
    scheduler.schedule([task], 0)
    return task
