"""Alert subscriptions (issue 16) on the fakes: the model's rules, tenants, versions, the secret returned once."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.domain.errors import InvalidInputError, NotFoundError, VersionConflictError
from shared.domain.portfolio import Portfolio
from shared.domain.subscriptions import DeliveryFailure, Subscription
from shared.domain.webhooks import RetryPolicy, verify
from shared.services import subscriptions
from shared.services.subscriptions import generate_secret, secret_context
from shared.services.webhook_delivery import attempt_delivery
from tests.fakes import FakeSecretSealer, InMemoryRiskStore, RecordingDeliveryQueue, ScriptedSender

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def body(**overrides: Any) -> dict[str, Any]:
    return {"materials": ["dysprosium"], "min_change": 5.0, "url": "https://hooks.example.com/risk", **overrides}


def put(
    store: InMemoryRiskStore,
    sealer: FakeSecretSealer,
    tenant: str = "team-a",
    sub_id: str = "dy",
    expected: int | None = None,
    *,
    allow_loopback: bool = False,
    secret: str = "whsec_one",
    **overrides: Any,
) -> subscriptions.SubscriptionWrite:
    return subscriptions.upsert_subscription(
        store,
        sealer,
        tenant,
        sub_id,
        body(**overrides),
        expected,
        NOW,
        allow_loopback=allow_loopback,
        new_secret=lambda: secret,
    )


def test_creation_returns_the_secret_once_and_stores_it_sealed_for_this_subscription_only() -> None:
    store, sealer = InMemoryRiskStore(), FakeSecretSealer()
    created = put(store, sealer)
    assert created.result.created and created.secret == "whsec_one"
    stored = store.get_subscription("team-a", "dy")
    assert stored is not None and "whsec_one" not in stored.model_dump_json()  # only the sealed form is stored
    assert sealer.open(stored.sealed_secret, secret_context("team-a", "dy")) == "whsec_one"
    with pytest.raises(ValueError):
        sealer.open(stored.sealed_secret, secret_context("team-b", "dy"))
    # a replacement keeps the secret and never returns it
    replaced = put(store, sealer, expected=1, min_change=10.0, secret="whsec_two")
    assert replaced.secret is None and replaced.result.item.version == 2
    assert replaced.result.item.sealed_secret == stored.sealed_secret


def test_the_same_body_again_writes_nothing_and_returns_no_secret() -> None:
    store, sealer = InMemoryRiskStore(), FakeSecretSealer()
    put(store, sealer)
    again = put(store, sealer, expected=1)
    assert not again.result.changed and again.secret is None and again.result.item.version == 1


def test_versions_are_required_and_checked() -> None:
    store, sealer = InMemoryRiskStore(), FakeSecretSealer()
    put(store, sealer)
    with pytest.raises(VersionConflictError):
        put(store, sealer, min_change=7.0)  # exists: a version is required
    with pytest.raises(VersionConflictError):
        put(store, sealer, expected=3, min_change=7.0)
    with pytest.raises(VersionConflictError):
        put(store, sealer, sub_id="new", expected=2)  # nothing stored under that id


def test_another_tenant_sees_nothing() -> None:
    store, sealer = InMemoryRiskStore(), FakeSecretSealer()
    put(store, sealer)
    with pytest.raises(NotFoundError):
        subscriptions.get_subscription(store, "team-b", "dy")
    with pytest.raises(NotFoundError):
        subscriptions.delete_subscription(store, "team-b", "dy", None)
    with pytest.raises(NotFoundError):
        subscriptions.rotate_secret(store, sealer, "team-b", "dy", None, LATER)
    assert subscriptions.list_subscriptions(store, "team-b", 10, None).items == []
    # team-b may use the same id for its own: a separate subscription
    assert put(store, sealer, tenant="team-b").result.created


def test_watching_a_portfolio_of_another_tenant_is_a_422() -> None:
    store, sealer = InMemoryRiskStore(), FakeSecretSealer()
    store.portfolios[("team-b", "plant")] = Portfolio.parse(
        {"tenant": "team-b", "id": "plant", "name": "b", "items": [], "updated_at": NOW}
    )
    with pytest.raises(InvalidInputError) as caught:
        put(store, sealer, materials=[], portfolio_id="plant")
    assert caught.value.field == "portfolio_id"
    assert store.subscriptions == {}
    assert put(store, sealer, tenant="team-b", materials=[], portfolio_id="plant").result.created


@pytest.mark.parametrize(
    ("overrides", "field_hint"),
    [
        ({"url": "http://hooks.example.com/x"}, "https"),
        ({"url": "https://10.0.0.5/x"}, "public"),
        ({"url": "https://169.254.169.254/latest"}, "public"),
        ({"url": "https://[::1]/x"}, "public"),
        ({"url": "https://localhost/x"}, "public"),
        ({"url": "https://user:pw@hooks.example.com/x"}, "credentials"),
        ({"materials": [], "min_change": 5.0}, "exactly one"),
        ({"pairs": [{"importer": "JP", "material": "terbium"}]}, "exactly one"),
        ({"min_change": None}, "when"),
        ({"importers": ["JP"], "materials": [], "pairs": [{"importer": "JP", "material": "terbium"}]}, "importers"),
        ({"headers": {"Authorization": "Bearer x"}}, "reserved"),
        ({"headers": {"X-Team": "a\r\nInjected: 1"}}, "headers"),
    ],
)
def test_bad_subscriptions_are_422_and_store_nothing(overrides: dict[str, Any], field_hint: str) -> None:
    store, sealer = InMemoryRiskStore(), FakeSecretSealer()
    with pytest.raises(InvalidInputError) as caught:
        put(store, sealer, **overrides)
    assert field_hint in str(caught.value.details) + caught.value.message
    assert store.subscriptions == {}


def test_loopback_urls_only_where_the_local_stack_allows_them() -> None:
    store, sealer = InMemoryRiskStore(), FakeSecretSealer()
    with pytest.raises(InvalidInputError):
        put(store, sealer, url="http://127.0.0.1:9999/hook")
    assert put(store, sealer, url="http://127.0.0.1:9999/hook", allow_loopback=True).result.created


def test_rotation_returns_a_new_secret_once_and_bumps_the_version() -> None:
    store, sealer = InMemoryRiskStore(), FakeSecretSealer()
    put(store, sealer)
    rotated = subscriptions.rotate_secret(store, sealer, "team-a", "dy", 1, LATER, new_secret=lambda: "whsec_two")
    assert rotated.secret == "whsec_two" and rotated.result.item.version == 2
    stored = subscriptions.get_subscription(store, "team-a", "dy")
    assert sealer.open(stored.sealed_secret, secret_context("team-a", "dy")) == "whsec_two"
    with pytest.raises(VersionConflictError):
        subscriptions.rotate_secret(store, sealer, "team-a", "dy", 1, LATER)


def test_a_rotation_between_a_read_and_a_put_is_a_conflict_not_a_lost_update() -> None:
    # writer interleaving: PUT reads version 1, a rotation lands (version 2), the PUT's conditional write is a 409
    store, sealer = InMemoryRiskStore(), FakeSecretSealer()
    put(store, sealer)
    original_get = store.get_subscription

    def get_then_rotate(tenant: str, sub_id: str) -> Subscription | None:
        found = original_get(tenant, sub_id)
        store.get_subscription = original_get  # type: ignore[method-assign]
        subscriptions.rotate_secret(store, sealer, tenant, sub_id, None, LATER, new_secret=lambda: "whsec_rot")
        return found

    store.get_subscription = get_then_rotate  # type: ignore[method-assign,assignment]
    with pytest.raises(VersionConflictError):
        put(store, sealer, expected=1, min_change=9.0)
    stored = subscriptions.get_subscription(store, "team-a", "dy")
    assert stored.min_change == 5.0 and sealer.open(stored.sealed_secret, secret_context("team-a", "dy")) == "whsec_rot"


def test_delete_with_versions() -> None:
    store, sealer = InMemoryRiskStore(), FakeSecretSealer()
    put(store, sealer)
    with pytest.raises(VersionConflictError):
        subscriptions.delete_subscription(store, "team-a", "dy", 5)
    subscriptions.delete_subscription(store, "team-a", "dy", 1)
    with pytest.raises(NotFoundError):
        subscriptions.delete_subscription(store, "team-a", "dy", None)


def test_generated_secrets_are_long_and_distinct() -> None:
    secrets = {generate_secret() for _ in range(50)}
    assert len(secrets) == 50 and all(s.startswith("whsec_") and len(s) >= 40 for s in secrets)


def test_a_delete_between_a_read_and_a_put_is_a_conflict_not_a_resurrection() -> None:
    # writer interleaving: PUT reads version 1, the subscription is deleted, the PUT's write (expects 1) is a 409
    store, sealer = InMemoryRiskStore(), FakeSecretSealer()
    put(store, sealer)
    original_get = store.get_subscription

    def get_then_delete(tenant: str, sub_id: str) -> Subscription | None:
        found = original_get(tenant, sub_id)
        store.get_subscription = original_get  # type: ignore[method-assign]
        subscriptions.delete_subscription(store, tenant, sub_id, None)
        return found

    store.get_subscription = get_then_delete  # type: ignore[method-assign,assignment]
    with pytest.raises(VersionConflictError):
        put(store, sealer, expected=1, min_change=9.0)
    assert store.get_subscription("team-a", "dy") is None


def test_two_creations_racing_one_wins_the_other_is_a_conflict() -> None:
    # both read "nothing stored"; the second conditional create finds the first one's item: 409, its secret unused
    store, sealer = InMemoryRiskStore(), FakeSecretSealer()
    original_get = store.get_subscription

    def get_then_create(tenant: str, sub_id: str) -> Subscription | None:
        found = original_get(tenant, sub_id)
        store.get_subscription = original_get  # type: ignore[method-assign]
        put(store, sealer, secret="whsec_first")
        return found

    store.get_subscription = get_then_create  # type: ignore[method-assign,assignment]
    with pytest.raises(VersionConflictError):
        put(store, sealer, secret="whsec_second", min_change=9.0)
    stored = subscriptions.get_subscription(store, "team-a", "dy")
    assert sealer.open(stored.sealed_secret, secret_context("team-a", "dy")) == "whsec_first"


def test_a_recorded_delivery_failure_neither_conflicts_with_nor_is_lost_by_a_put() -> None:
    # the delivery function's writer (the failure record) interleaved with a client's versioned PUT
    store, sealer = InMemoryRiskStore(), FakeSecretSealer()
    put(store, sealer)
    failure = DeliveryFailure(delivery_id="dlv_1", failed_at=NOW, reason="receiver answered 410", status_code=410)
    original_get = store.get_subscription

    def get_then_fail(tenant: str, sub_id: str) -> Subscription | None:
        found = original_get(tenant, sub_id)
        store.get_subscription = original_get  # type: ignore[method-assign]
        assert store.record_delivery_failure(tenant, sub_id, failure)
        return found

    store.get_subscription = get_then_fail  # type: ignore[method-assign,assignment]
    replaced = put(store, sealer, expected=1, min_change=9.0)
    assert replaced.result.item.version == 2
    stored = subscriptions.get_subscription(store, "team-a", "dy")
    assert stored.min_change == 9.0 and stored.last_failure == failure


def test_a_test_event_is_queued_signed_on_delivery_and_only_for_the_tenants_enabled_subscription() -> None:
    store, sealer = InMemoryRiskStore(), FakeSecretSealer()
    put(store, sealer, secret="whsec_t")
    queue = RecordingDeliveryQueue()
    with pytest.raises(NotFoundError):
        subscriptions.send_test_delivery(store, queue, "team-b", "dy", NOW)
    task = subscriptions.send_test_delivery(store, queue, "team-a", "dy", NOW)
    assert queue.scheduled == [(task, 0)]
    body = json.loads(task.body)
    assert body["type"] == "test" and body["delivery_id"] == task.delivery_id and body["subscription_id"] == "dy"
    sender = ScriptedSender()
    outcome = attempt_delivery(store, sealer, sender, queue, task, NOW, policy=RetryPolicy(), jitter=1.0)
    assert outcome.kind == "delivered"
    _, headers, sent = sender.requests[0]
    assert verify("whsec_t", headers, sent, now=int(NOW.timestamp()))
    # another test event is another delivery
    assert subscriptions.send_test_delivery(store, queue, "team-a", "dy", NOW).delivery_id != task.delivery_id

    put(store, sealer, sub_id="off", enabled=False)
    with pytest.raises(InvalidInputError):
        subscriptions.send_test_delivery(store, queue, "team-a", "off", NOW)
