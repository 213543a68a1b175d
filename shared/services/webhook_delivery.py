"""Delivering one (event, subscription) webhook (issue 16): at least once, one delivery id for every attempt,
exponential backoff with jitter on timeouts, 408, 429 (Retry-After honoured) and 5xx within a bounded window, then
the dead-letter queue and a failure recorded on the subscription; other 4xx and refused addresses are final."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from shared.domain.errors import StoreUnavailableError
from shared.domain.subscriptions import DeliveryFailure
from shared.domain.webhooks import (
    DeliveryAttempt,
    DeliveryTask,
    RetryPolicy,
    is_retryable,
    next_delay,
    signed_headers,
)
from shared.ports import DeliveryFailureRecorder, ScoreChanged, SecretSealer, SubscriptionReader
from shared.ports.webhooks import DeliveryAttemptRecorder, DeliveryLog, DeliveryQueue, SendResult, WebhookSender
from shared.services.alert_matching import MatchingStore, PlannedDelivery, plan_deliveries
from shared.services.subscriptions import secret_context


class DeliveryStore(SubscriptionReader, DeliveryFailureRecorder, DeliveryLog, DeliveryAttemptRecorder, Protocol):
    """The subscription (url, headers, sealed secret), its failure record, the delivered ids, the attempt log."""


@dataclass(frozen=True)
class AttemptOutcome:
    kind: Literal["delivered", "duplicate", "retry", "failed", "dropped"]
    status: int | None = None
    delay_s: float | None = None
    reason: str = ""


def tasks_for(planned: Sequence[PlannedDelivery], now: datetime) -> list[DeliveryTask]:
    return [
        DeliveryTask(
            tenant=p.tenant,
            subscription_id=p.subscription_id,
            delivery_id=p.delivery_id,
            body=p.payload.model_dump_json(),
            first_attempt_at=now,
        )
        for p in planned
    ]


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else " " for c in text)


def _reason(result: SendResult) -> str:
    if result.status is not None:
        excerpt = f": {_printable(result.excerpt[:200])}" if result.excerpt else ""
        return f"receiver answered {result.status}{excerpt}"
    return _printable(result.error or "no answer")


def _log(
    store: DeliveryAttemptRecorder,
    task: DeliveryTask,
    now: datetime,
    result: SendResult,
    outcome: Literal["delivered", "retry", "failed"],
    *,
    delay_s: float | None = None,
    reason: str = "",
) -> None:
    """Written after the attempt's effect (delivered mark, next attempt queued, dead letter): best effort, so a
    store hiccup here loses one log row instead of failing the message and repeating a send already made."""
    with contextlib.suppress(StoreUnavailableError):
        store.record_attempt(task.tenant, _attempt(task, now, result, outcome, delay_s=delay_s, reason=reason))


def _attempt(
    task: DeliveryTask,
    now: datetime,
    result: SendResult,
    outcome: Literal["delivered", "retry", "failed"],
    *,
    delay_s: float | None,
    reason: str,
) -> DeliveryAttempt:
    return DeliveryAttempt(
        subscription_id=task.subscription_id,
        delivery_id=task.delivery_id,
        attempt=task.attempt,
        attempted_at=now,
        outcome=outcome,
        status_code=result.status,
        latency_ms=max(0, result.latency_ms),
        next_retry_at=now + timedelta(seconds=delay_s) if delay_s is not None else None,
        reason=reason[:500],
    )


def attempt_delivery(
    store: DeliveryStore,
    sealer: SecretSealer,
    sender: WebhookSender,
    queue: DeliveryQueue,
    task: DeliveryTask,
    now: datetime,
    *,
    policy: RetryPolicy,
    jitter: float | None = None,
) -> AttemptOutcome:
    """One attempt; schedules the next one, or dead-letters the task and records the failure. `jitter` in
    [0.5, 1] (None: random)."""
    if store.was_delivered(task.tenant, task.subscription_id, task.delivery_id):
        return AttemptOutcome("duplicate", reason="already delivered")
    subscription = store.get_subscription(task.tenant, task.subscription_id)
    if subscription is None or not subscription.enabled:
        return AttemptOutcome("dropped", reason="the subscription is gone or disabled")
    secret = sealer.open(subscription.sealed_secret, secret_context(task.tenant, task.subscription_id))
    body = task.body.encode()
    headers = {**subscription.headers, **signed_headers(secret, task.delivery_id, int(now.timestamp()), body)}
    result = sender.send(subscription.url, headers, body)

    if result.status is not None and 200 <= result.status < 300:
        store.mark_delivered(task.tenant, task.subscription_id, task.delivery_id, now)
        _log(store, task, now, result, "delivered")
        return AttemptOutcome("delivered", status=result.status)
    reason = _reason(result)
    if not result.refused and is_retryable(result.status):
        spread = jitter if jitter is not None else random.uniform(0.5, 1.0)  # noqa: S311  # nosec B311 (not crypto)
        delay = next_delay(policy, task.attempt, spread, result.retry_after_s)
        if now + timedelta(seconds=delay) <= task.first_attempt_at + timedelta(seconds=policy.window_s):
            queue.schedule([task.next_attempt()], delay)
            _log(store, task, now, result, "retry", delay_s=delay, reason=reason)
            return AttemptOutcome("retry", status=result.status, delay_s=delay, reason=reason)
        reason = f"retry window of {policy.window_s:.0f} s over after {task.attempt} attempts; last: {reason}"
    failure = DeliveryFailure(
        delivery_id=task.delivery_id, failed_at=now, reason=reason[:500], status_code=result.status
    )
    store.record_delivery_failure(task.tenant, task.subscription_id, failure)
    queue.dead_letter(task, reason)
    _log(store, task, now, result, "failed", reason=reason)
    return AttemptOutcome("failed", status=result.status, reason=reason)


class FanOutStore(MatchingStore, Protocol):
    """Matching needs the subscriptions, portfolios, catalogue and scores."""


def fan_out(
    store: FanOutStore,
    queue: DeliveryQueue,
    events: Sequence[ScoreChanged],
    now: datetime,
    *,
    api_base_url: str = "",
) -> int:
    """ScoreChanged events -> one queued task per matching (event, subscription), sent at once; returns how many.
    A redelivered event queues the same delivery ids again: the delivered log makes the second one a no-op."""
    tasks = tasks_for(plan_deliveries(store, events, api_base_url=api_base_url), now)
    if tasks:
        queue.schedule(tasks, 0)
    return len(tasks)
