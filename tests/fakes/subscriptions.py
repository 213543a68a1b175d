"""In-memory subscriptions (mixed into InMemoryRiskStore) and a reversible fake secret sealer."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from shared.domain.errors import VersionConflictError
from shared.domain.subscriptions import DeliveryFailure, Subscription
from shared.domain.webhooks import DeliveryTask
from shared.ports import Page, SendResult, SubscriptionSummary


@dataclass
class InMemorySubscriptions:
    """Implements SubscriptionStore, SubscriptionDirectory and DeliveryFailureRecorder (mixed into the fake store,
    which provides `_call` and `_page`-style paging through `page_of`)."""

    subscriptions: dict[tuple[str, str], Subscription] = field(default_factory=dict)
    delivery_failures: dict[tuple[str, str], DeliveryFailure] = field(default_factory=dict)
    delivered: dict[tuple[str, str, str], datetime] = field(default_factory=dict)

    def _call(self, name: str) -> None:  # replaced by InMemoryRiskStore's
        raise NotImplementedError

    def _page_summaries(
        self, items: list[SubscriptionSummary], query: object, limit: int, cursor: str | None
    ) -> Page[SubscriptionSummary]:
        raise NotImplementedError

    def get_subscription(self, tenant: str, subscription_id: str) -> Subscription | None:
        self._call("get_subscription")
        found = self.subscriptions.get((tenant, subscription_id))
        failure = self.delivery_failures.get((tenant, subscription_id))
        if found is not None and failure is not None:
            return found.model_copy(update={"last_failure": failure})
        return found

    def list_subscriptions(self, tenant: str, limit: int, cursor: str | None) -> Page[SubscriptionSummary]:
        self._call("list_subscriptions")
        summaries = [
            SubscriptionSummary(id=s.id, url=s.url, enabled=s.enabled, version=s.version, updated_at=s.updated_at)
            for (t, _), s in sorted(self.subscriptions.items())
            if t == tenant
        ]
        return self._page_summaries(summaries, ("subscriptions", tenant), limit, cursor)

    def put_subscription(self, subscription: Subscription, expected_version: int | None) -> None:
        self._call("put_subscription")
        current = self.subscriptions.get((subscription.tenant, subscription.id))
        stored = current.version if current is not None else None
        if stored != expected_version:
            raise VersionConflictError(
                f"stale version: expected {expected_version}, stored version is {stored}", field="version"
            )
        self.subscriptions[(subscription.tenant, subscription.id)] = subscription.model_copy(
            update={"last_failure": None}
        )

    def delete_subscription(self, tenant: str, subscription_id: str, expected_version: int | None) -> bool:
        self._call("delete_subscription")
        current = self.subscriptions.get((tenant, subscription_id))
        if current is None:
            if expected_version is not None:
                raise VersionConflictError(f"stale version: expected {expected_version}", field="version")
            return False
        if expected_version is not None and current.version != expected_version:
            raise VersionConflictError(
                f"stale version: expected {expected_version}, stored version is {current.version}", field="version"
            )
        del self.subscriptions[(tenant, subscription_id)]
        self.delivery_failures.pop((tenant, subscription_id), None)
        return True

    def list_all_subscriptions(self) -> list[Subscription]:
        self._call("list_all_subscriptions")
        return [s for _, s in sorted(self.subscriptions.items())]

    def record_delivery_failure(self, tenant: str, subscription_id: str, failure: DeliveryFailure) -> bool:
        self._call("record_delivery_failure")
        if (tenant, subscription_id) not in self.subscriptions:
            return False
        self.delivery_failures[(tenant, subscription_id)] = failure
        return True

    def was_delivered(self, tenant: str, subscription_id: str, delivery_id: str) -> bool:
        self._call("was_delivered")
        return (tenant, subscription_id, delivery_id) in self.delivered

    def mark_delivered(self, tenant: str, subscription_id: str, delivery_id: str, at: datetime) -> bool:
        self._call("mark_delivered")
        if (tenant, subscription_id, delivery_id) in self.delivered:
            return False
        self.delivered[(tenant, subscription_id, delivery_id)] = at
        return True


class FakeSecretSealer:
    """Implements SecretSealer: base64 of the secret bound to its context (opens only with the same context)."""

    def __init__(self) -> None:
        self.sealed: list[str] = []

    def seal(self, secret: str, context: Mapping[str, str]) -> str:
        sealed = "fake:" + base64.b64encode(json.dumps({"s": secret, "c": dict(context)}).encode()).decode()
        self.sealed.append(sealed)
        return sealed

    def open(self, sealed: str, context: Mapping[str, str]) -> str:
        payload = json.loads(base64.b64decode(sealed.removeprefix("fake:")))
        if payload["c"] != dict(context):
            raise ValueError("sealed for another context")
        return str(payload["s"])


@dataclass
class ScriptedSender:
    """Implements WebhookSender: answers from a script (the last answer repeats), records every request."""

    answers: list[SendResult] = field(default_factory=lambda: [SendResult(status=200, latency_ms=1)])
    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)

    def send(self, url: str, headers: Mapping[str, str], body: bytes) -> SendResult:
        self.requests.append((url, dict(headers), body))
        return self.answers[min(len(self.requests), len(self.answers)) - 1]


@dataclass
class RecordingDeliveryQueue:
    """Implements DeliveryQueue: what was scheduled (with its delay) and what was dead-lettered."""

    scheduled: list[tuple[DeliveryTask, float]] = field(default_factory=list)
    dead: list[tuple[DeliveryTask, str]] = field(default_factory=list)

    def schedule(self, tasks: Sequence[DeliveryTask], delay_s: float) -> None:
        self.scheduled.extend((t, delay_s) for t in tasks)

    def dead_letter(self, task: DeliveryTask, reason: str) -> None:
        self.dead.append((task, reason))
