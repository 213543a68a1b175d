"""Webhook delivery (issue 16): sending one signed POST, the queue between attempts, the log of delivered ids, the
log of attempts (what GET /v1/subscriptions/{id}/deliveries shows)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from shared.ports.common import Page

if TYPE_CHECKING:  # annotations only: a function that never handles these keeps their models out of its init
    from shared.domain.webhooks import DeliveryAttempt, DeliveryTask


@dataclass(frozen=True, slots=True)
class SendResult:
    """One attempt's answer. `status` None: no HTTP answer (timeout, connection failure, refused address)."""

    status: int | None
    latency_ms: int
    retry_after_s: float | None = None
    #: why there is no status, or a short note (never the body)
    error: str | None = None
    #: the address was refused (not public): final, never retried
    refused: bool = False
    #: the first bytes of the answer, for the log and the failure record (never stored beyond this)
    excerpt: str = ""


class WebhookSender(Protocol):
    def send(self, url: str, headers: Mapping[str, str], body: bytes) -> SendResult: ...


class TaskScheduler(Protocol):
    """Queues delivery tasks (AWS: SQS with DelaySeconds)."""

    def schedule(self, tasks: Sequence[DeliveryTask], delay_s: float) -> None: ...


class DeliveryQueue(TaskScheduler, Protocol):
    """Tasks between attempts, and the dead-letter queue of those given up."""

    def dead_letter(self, task: DeliveryTask, reason: str) -> None: ...


class DeliveryLog(Protocol):
    """The idempotency record of each delivery id: set once, when the receiver answered 2xx."""

    def was_delivered(self, tenant: str, subscription_id: str, delivery_id: str) -> bool: ...

    def mark_delivered(self, tenant: str, subscription_id: str, delivery_id: str, at: datetime) -> bool:
        """Conditional: False when it was already marked (a duplicate attempt reached the receiver too)."""
        ...


class DeliveryAttemptRecorder(Protocol):
    """The delivery function appends one item per HTTP attempt (append-only, expiring: never read-modify-write)."""

    def record_attempt(self, tenant: str, attempt: DeliveryAttempt) -> None: ...


class DeliveryAttemptHistory(Protocol):
    """A subscription's recent attempts, newest first, paginated (the caller checks the subscription is the
    tenant's)."""

    def list_attempts(
        self, tenant: str, subscription_id: str, limit: int, cursor: str | None
    ) -> Page[DeliveryAttempt]: ...
