"""A tenant's alert subscriptions (issue 16), and the sealing of their signing secrets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from shared.ports.common import Page

if TYPE_CHECKING:  # annotations only: a function that never handles these keeps their models out of its init
    from shared.domain.subscriptions import DeliveryFailure, Subscription


@dataclass(frozen=True, slots=True)
class SubscriptionSummary:
    id: str
    url: str
    enabled: bool
    version: int
    updated_at: datetime


class SubscriptionReader(Protocol):
    """Reads one tenant's subscription; the tenant is part of every key, so one tenant can never address another's."""

    def get_subscription(self, tenant: str, subscription_id: str) -> Subscription | None: ...


class SubscriptionStore(SubscriptionReader, Protocol):
    """A tenant's subscriptions: read, list, conditional writes."""

    def list_subscriptions(self, tenant: str, limit: int, cursor: str | None) -> Page[SubscriptionSummary]: ...

    def put_subscription(self, subscription: Subscription, expected_version: int | None) -> None:
        """Conditional like put_portfolio: VersionConflictError when the stored version differs."""
        ...

    def delete_subscription(self, tenant: str, subscription_id: str, expected_version: int | None) -> bool:
        """False when there was nothing to delete; VersionConflictError when the version is stale."""
        ...


class SubscriptionDirectory(Protocol):
    """Every tenant's enabled subscriptions, for matching ScoreChanged events (one index partition, read whole)."""

    def list_all_subscriptions(self) -> list[Subscription]: ...


class DeliveryFailureRecorder(Protocol):
    """The delivery worker records the last failed delivery on the subscription (no version bump: the client's
    optimistic locking is about what the client wrote)."""

    def record_delivery_failure(self, tenant: str, subscription_id: str, failure: DeliveryFailure) -> bool:
        """False when the subscription no longer exists."""
        ...


class SecretSealer(Protocol):
    """Seals a webhook signing secret for storage and opens it for signing (AWS: KMS Encrypt/Decrypt with the
    tenant and subscription as encryption context, so a sealed secret copied to another subscription does not
    open)."""

    def seal(self, secret: str, context: Mapping[str, str]) -> str: ...

    def open(self, sealed: str, context: Mapping[str, str]) -> str: ...
