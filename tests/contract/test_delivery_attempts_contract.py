"""The webhook attempt log (issue 16): the fake and the adapter (moto, DynamoDB Local) pass the same assertions,
and the log's writer (the delivery function) interleaved with the other writers of a subscription's items (the
client's versioned PUT and DELETE, the failure record, the delivered ids) loses nothing and conflicts with nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.errors import InvalidInputError, NotFoundError, StoreUnavailableError
from shared.domain.subscriptions import Subscription
from shared.domain.webhooks import DeliveryAttempt, DeliveryTask, RetryPolicy
from shared.ports import RiskStore, SendResult
from shared.services import subscriptions
from shared.services.delivery_attempts import list_delivery_attempts
from shared.services.subscriptions import SubscriptionWrite
from shared.services.webhook_delivery import attempt_delivery
from tests.fakes import FakeSecretSealer, RecordingDeliveryQueue, ScriptedSender

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def attempt(sub_id: str, n: int, *, delivery: str = "dlv_a", minutes: int = 0) -> DeliveryAttempt:
    return DeliveryAttempt(
        subscription_id=sub_id,
        delivery_id=delivery,
        attempt=n,
        attempted_at=T0 + timedelta(minutes=minutes),
        outcome="retry",
        status_code=503,
        latency_ms=12,
        next_retry_at=T0 + timedelta(minutes=minutes, seconds=30),
        reason="receiver answered 503",
    )


def put(store: RiskStore, sealer: FakeSecretSealer, expected: int | None = None, **body: object) -> SubscriptionWrite:
    return subscriptions.upsert_subscription(
        store,
        sealer,
        "team-a",
        "dy",
        {"materials": ["dysprosium"], "min_change": 5.0, "url": "https://hooks.example.com/risk", **body},
        expected,
        T0,
        allow_loopback=False,
        new_secret=lambda: "whsec_one",
    )


def test_attempts_come_back_newest_first_in_pages_per_tenant_and_subscription(store: RiskStore) -> None:
    for i in range(5):
        store.record_attempt("team-a", attempt("dy", i + 1, minutes=i))
    store.record_attempt("team-a", attempt("dy-2", 1))  # a subscription whose id extends this one's
    store.record_attempt("team-b", attempt("dy", 1, delivery="dlv_b"))  # another tenant's, same id
    seen: list[DeliveryAttempt] = []
    cursor = None
    for _ in range(5):
        page = store.list_attempts("team-a", "dy", 2, cursor)
        assert len(page.items) <= 2
        seen.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert [a.attempt for a in seen] == [5, 4, 3, 2, 1]
    assert seen[0] == attempt("dy", 5, minutes=4)  # every field round-trips
    assert [a.delivery_id for a in store.list_attempts("team-b", "dy", 10, None).items] == ["dlv_b"]
    assert store.list_attempts("team-a", "nothing", 10, None).items == []


def test_a_cursor_is_only_valid_for_its_own_subscription_and_tenant(store: RiskStore) -> None:
    for i in range(3):
        store.record_attempt("team-a", attempt("dy", i + 1, minutes=i))
        store.record_attempt("team-a", attempt("nd", i + 1, minutes=i))
    cursor = store.list_attempts("team-a", "dy", 1, None).next_cursor
    assert cursor is not None
    with pytest.raises(InvalidInputError):
        store.list_attempts("team-a", "nd", 1, cursor)
    with pytest.raises(InvalidInputError):
        store.list_attempts("team-b", "dy", 1, cursor)
    with pytest.raises(InvalidInputError):
        store.list_attempts("team-a", "dy", 1, "not-a-cursor")


def test_attempts_are_neither_subscriptions_nor_their_failure(store: RiskStore) -> None:
    sealer = FakeSecretSealer()
    put(store, sealer)
    store.record_attempt("team-a", attempt("dy", 1))
    assert [s.id for s in store.list_subscriptions("team-a", 10, None).items] == ["dy"]
    stored = store.get_subscription("team-a", "dy")
    assert stored is not None and stored.last_failure is None
    assert [s.id for s in store.list_all_subscriptions()] == ["dy"]


def _task() -> DeliveryTask:
    return DeliveryTask(tenant="team-a", subscription_id="dy", delivery_id="dlv_x", body="{}", first_attempt_at=T0)


def test_the_delivery_writers_interleaved_with_a_versioned_put_lose_nothing(store: RiskStore) -> None:
    # the client's PUT reads version 1; the delivery function makes its final attempt (attempt log, failure record)
    # and another delivery succeeds (delivered id, attempt log); the PUT's conditional write still succeeds
    sealer = FakeSecretSealer()
    put(store, sealer)
    original_get = store.get_subscription
    interleaved = False

    def get_then_deliver(tenant: str, sub_id: str) -> Subscription | None:
        nonlocal interleaved
        found = original_get(tenant, sub_id)
        if not interleaved:
            interleaved = True
            queue = RecordingDeliveryQueue()
            gone = ScriptedSender([SendResult(status=410, latency_ms=7)])
            assert attempt_delivery(store, sealer, gone, queue, _task(), T0, policy=RetryPolicy()).kind == "failed"
            ok = ScriptedSender([SendResult(status=204, latency_ms=3)])
            second = _task().model_copy(update={"delivery_id": "dlv_y"})
            assert attempt_delivery(store, sealer, ok, queue, second, T0, policy=RetryPolicy()).kind == "delivered"
        return found

    store.get_subscription = get_then_deliver  # type: ignore[method-assign,assignment]
    replaced = put(store, sealer, 1, min_change=9.0)
    store.get_subscription = original_get  # type: ignore[method-assign]
    assert replaced.result.item.version == 2
    stored = subscriptions.get_subscription(store, "team-a", "dy")
    assert stored.min_change == 9.0 and stored.version == 2
    assert stored.last_failure is not None and stored.last_failure.delivery_id == "dlv_x"
    assert store.was_delivered("team-a", "dy", "dlv_y")
    log = list_delivery_attempts(store, "team-a", "dy", 10, None).items
    assert sorted((a.delivery_id, a.outcome, a.status_code) for a in log) == [
        ("dlv_x", "failed", 410),
        ("dlv_y", "delivered", 204),
    ]


def test_an_attempt_logged_after_a_delete_is_not_shown_for_the_gone_subscription(store: RiskStore) -> None:
    # the delivery function's attempt lands after the client's DELETE: the delete is not undone, the route 404s
    sealer = FakeSecretSealer()
    put(store, sealer)
    subscriptions.delete_subscription(store, "team-a", "dy", 1)
    store.record_attempt("team-a", attempt("dy", 1))
    assert store.get_subscription("team-a", "dy") is None
    with pytest.raises(NotFoundError):
        list_delivery_attempts(store, "team-a", "dy", 10, None)
    with pytest.raises(NotFoundError):  # the tenant rule: another tenant's subscription is a 404 too
        put(store, sealer)
        list_delivery_attempts(store, "team-b", "dy", 10, None)


def test_a_store_outage_while_logging_does_not_fail_the_attempt(store: RiskStore) -> None:
    sealer = FakeSecretSealer()
    put(store, sealer)

    def unavailable(tenant: str, attempt: DeliveryAttempt) -> None:
        raise StoreUnavailableError("throttled")

    store.record_attempt = unavailable  # type: ignore[method-assign]
    queue = RecordingDeliveryQueue()
    sender = ScriptedSender([SendResult(status=503, latency_ms=5)])
    outcome = attempt_delivery(store, sealer, sender, queue, _task(), T0, policy=RetryPolicy(), jitter=1.0)
    assert outcome.kind == "retry" and len(queue.scheduled) == 1 and len(sender.requests) == 1
