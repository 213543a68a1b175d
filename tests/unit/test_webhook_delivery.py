"""Delivering webhooks on the fakes (issue 16): at least once with one delivery id, backoff with jitter inside the
window (Retry-After honoured), then the DLQ and the failure on the subscription; final answers; outbound refusals."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.adapters.webhook_http import HttpWebhookSender, retry_after_seconds
from shared.domain.subscriptions import Subscription
from shared.domain.webhooks import DeliveryTask, RetryPolicy, address_refusal, next_delay, verify
from shared.ports import SendResult
from shared.services.subscriptions import secret_context
from shared.services.webhook_delivery import AttemptOutcome, attempt_delivery
from tests.fakes import FakeSecretSealer, InMemoryRiskStore, RecordingDeliveryQueue, ScriptedSender

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
POLICY = RetryPolicy(base_delay_s=30, max_delay_s=900, window_s=3600)


def setup(*answers: SendResult, **fields: Any) -> tuple[InMemoryRiskStore, FakeSecretSealer, ScriptedSender]:
    store, sealer = InMemoryRiskStore(), FakeSecretSealer()
    store.subscriptions[("team-a", "dy")] = Subscription.parse(
        {
            "tenant": "team-a",
            "id": "dy",
            "materials": ["dysprosium"],
            "min_change": 5.0,
            "url": "https://hooks.example.com/r",
            "headers": {"X-Team": "magnets"},
            "sealed_secret": sealer.seal("whsec_k", secret_context("team-a", "dy")),
            "updated_at": T0,
            **fields,
        }
    )
    return store, sealer, ScriptedSender(list(answers) or [SendResult(200, 1)])


def task(attempt: int = 1, first: datetime = T0) -> DeliveryTask:
    return DeliveryTask(
        tenant="team-a",
        subscription_id="dy",
        delivery_id="dlv_1",
        body='{"a":1}',
        attempt=attempt,
        first_attempt_at=first,
    )


def run(store: Any, sealer: Any, sender: Any, queue: Any, t: DeliveryTask, now: datetime) -> AttemptOutcome:
    return attempt_delivery(store, sealer, sender, queue, t, now, policy=POLICY, jitter=1.0)


def test_a_delivery_is_signed_with_the_subscriptions_secret_and_marked_once() -> None:
    store, sealer, sender = setup()
    queue = RecordingDeliveryQueue()
    assert run(store, sealer, sender, queue, task(), T0).kind == "delivered"
    url, headers, body = sender.requests[0]
    assert url == "https://hooks.example.com/r" and body == b'{"a":1}' and headers["X-Team"] == "magnets"
    assert headers["Webhook-Id"] == "dlv_1" and verify("whsec_k", headers, body, now=int(T0.timestamp()))
    # the same task again (an SQS redelivery): nothing is sent twice
    assert run(store, sealer, sender, queue, task(), T0).kind == "duplicate"
    assert len(sender.requests) == 1 and queue.scheduled == [] and queue.dead == []


def test_500_twice_then_200_is_three_attempts_with_one_id_and_growing_delays() -> None:
    store, sealer, sender = setup(SendResult(500, 1), SendResult(503, 1), SendResult(200, 1))
    queue = RecordingDeliveryQueue()
    now, current = T0, task()
    outcomes = []
    for _ in range(3):
        outcome = run(store, sealer, sender, queue, current, now)
        outcomes.append(outcome.kind)
        if outcome.kind == "retry":
            current, delay = queue.scheduled[-1]
            now += timedelta(seconds=delay)
    assert outcomes == ["retry", "retry", "delivered"]
    assert [d for _, d in queue.scheduled] == [30.0, 60.0]
    assert {h["Webhook-Id"] for _, h, _ in sender.requests} == {"dlv_1"}
    assert store.was_delivered("team-a", "dy", "dlv_1") and queue.dead == []


@pytest.mark.parametrize("status", [None, 408, 429, 500, 502, 503])
def test_timeouts_408_429_and_5xx_are_retried(status: int | None) -> None:
    store, sealer, sender = setup(SendResult(status, 1, error="timed out" if status is None else None))
    queue = RecordingDeliveryQueue()
    assert run(store, sealer, sender, queue, task(), T0).kind == "retry"
    assert queue.scheduled[0][0].attempt == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 301, 302])
def test_other_answers_are_final_dead_lettered_and_recorded(status: int) -> None:
    store, sealer, sender = setup(SendResult(status, 1, excerpt="no\r\nsuch hook"))
    queue = RecordingDeliveryQueue()
    outcome = run(store, sealer, sender, queue, task(), T0)
    assert outcome.kind == "failed" and queue.scheduled == [] and len(queue.dead) == 1
    failure = store.get_subscription("team-a", "dy").last_failure  # type: ignore[union-attr]
    assert failure is not None and failure.status_code == status and failure.delivery_id == "dlv_1"
    assert "\r" not in failure.reason


def test_retry_after_is_honoured_and_the_window_ends_in_the_dlq() -> None:
    store, sealer, sender = setup(SendResult(429, 1, retry_after_s=600))
    queue = RecordingDeliveryQueue()
    assert run(store, sealer, sender, queue, task(), T0).delay_s == 600
    # an attempt whose next delay would end past the window: given up
    late = T0 + timedelta(seconds=3500)
    outcome = run(store, sealer, sender, queue, task(attempt=5), late)
    assert outcome.kind == "failed" and "window" in outcome.reason
    assert queue.dead and store.get_subscription("team-a", "dy").last_failure is not None  # type: ignore[union-attr]


def test_a_refused_address_is_final() -> None:
    store, sealer, sender = setup(SendResult(None, 1, error="refused: 10.0.0.1 is not public", refused=True))
    queue = RecordingDeliveryQueue()
    assert run(store, sealer, sender, queue, task(), T0).kind == "failed" and queue.scheduled == []


def test_a_deleted_or_disabled_subscription_drops_the_task() -> None:
    store, sealer, sender = setup(enabled=False)
    queue = RecordingDeliveryQueue()
    assert run(store, sealer, sender, queue, task(), T0).kind == "dropped"
    store.subscriptions.clear()
    assert run(store, sealer, sender, queue, task(), T0).kind == "dropped"
    assert sender.requests == [] and queue.dead == []


def test_backoff_doubles_is_capped_jittered_and_respects_retry_after() -> None:
    assert [next_delay(POLICY, a, 1.0, None) for a in (1, 2, 3, 6, 10)] == [30, 60, 120, 900, 900]
    assert next_delay(POLICY, 1, 0.5, None) == 15 and next_delay(POLICY, 1, 0.0, None) == 15  # jitter in [0.5, 1]
    assert next_delay(POLICY, 1, 1.0, 100) == 100 and next_delay(POLICY, 1, 1.0, 5000) == 900


@pytest.mark.parametrize(
    "address",
    [
        "10.1.2.3",
        "172.16.0.1",
        "192.168.0.1",
        "127.0.0.1",
        "127.0.0.2",
        "0.0.0.0",
        "169.254.169.254",
        "169.254.1.1",
        "100.64.0.1",
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:10.0.0.1",
        "fd00:ec2::254",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert address_refusal(address, allow_loopback=False) is not None


def test_public_addresses_and_the_local_receiver_pass() -> None:
    assert address_refusal("93.184.216.34", allow_loopback=False) is None
    assert address_refusal("2606:4700::1111", allow_loopback=False) is None
    assert address_refusal("127.0.0.1", allow_loopback=True) is None
    assert address_refusal("127.0.0.2", allow_loopback=True) is not None  # only the receiver's address


def resolver(*addresses: str) -> Any:
    def resolve(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    return resolve


@pytest.mark.parametrize(
    ("url", "addresses"),
    [
        ("https://internal.example.com/x", ("10.0.0.7",)),  # a DNS name resolving to a private address
        ("https://mixed.example.com/x", ("93.184.216.34", "169.254.169.254")),  # any bad address refuses
        ("https://rebind.example.com/x", ("127.0.0.1",)),
        ("http://hooks.example.com/x", ("93.184.216.34",)),  # plain http
        ("http://127.0.0.1:9/x", ("127.0.0.1",)),  # loopback outside the local stack
    ],
)
def test_the_sender_refuses_before_connecting(url: str, addresses: tuple[str, ...]) -> None:
    # the unit tier has no sockets: a refusal must come before any connection attempt
    result = HttpWebhookSender(allow_loopback=False, resolve=resolver(*addresses)).send(url, {}, b"{}")
    assert result.refused and result.status is None and result.error and result.error.startswith("refused")


def test_retry_after_as_seconds_or_date() -> None:
    assert retry_after_seconds("120", T0) == 120
    assert retry_after_seconds("Sat, 28 Nov 2026 09:01:00 GMT", T0) == 60
    assert retry_after_seconds("soon", T0) is None and retry_after_seconds(None, T0) is None


def test_the_local_stack_sender_resolves_nothing_but_loopback() -> None:
    def no_dns(*_: Any, **__: Any) -> list[tuple[Any, ...]]:
        raise AssertionError("resolved")

    sender = HttpWebhookSender(allow_loopback=True, loopback_only=True, resolve=no_dns)
    result = sender.send("https://hooks.example.com/x", {}, b"{}")
    assert result.refused and "127.0.0.1" in (result.error or "")
