"""The subscription store and the secret sealer: the fakes and the adapters (DynamoDB on moto and DynamoDB Local;
KMS on moto) pass the same assertions (issue 16)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from moto import mock_aws

from shared.adapters.aws import CLIENT_CONFIG
from shared.adapters.secrets import KmsSecretSealer
from shared.domain.errors import InvalidInputError, VersionConflictError
from shared.domain.subscriptions import DeliveryFailure, Subscription
from shared.ports import RiskStore, SecretSealer
from tests.fakes import FakeSecretSealer

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def subscription(tenant: str, sub_id: str, version: int = 1, url: str = "https://hooks.example.com/a") -> Subscription:
    return Subscription.parse(
        {
            "tenant": tenant,
            "id": sub_id,
            "materials": ["dysprosium"],
            "bands": ["high", "critical"],
            "url": url,
            "headers": {"X-Team": "magnets"},
            "sealed_secret": "sealed",
            "version": version,
            "updated_at": T0,
        }
    )


def failure(delivery_id: str = "d-1") -> DeliveryFailure:
    return DeliveryFailure(delivery_id=delivery_id, failed_at=T0, reason="receiver answered 410", status_code=410)


def test_subscription_crud_with_versions(store: RiskStore) -> None:
    store.put_subscription(subscription("team-a", "dy"), None)
    assert store.get_subscription("team-a", "dy") == subscription("team-a", "dy")
    assert store.get_subscription("team-b", "dy") is None  # another tenant never sees it
    with pytest.raises(VersionConflictError):
        store.put_subscription(subscription("team-a", "dy"), None)
    store.put_subscription(subscription("team-a", "dy", 2, url="https://hooks.example.com/b"), 1)
    with pytest.raises(VersionConflictError):
        store.put_subscription(subscription("team-a", "dy", 2), 1)
    stored = store.get_subscription("team-a", "dy")
    assert stored is not None and stored.url == "https://hooks.example.com/b" and stored.version == 2
    with pytest.raises(VersionConflictError):
        store.delete_subscription("team-a", "dy", 1)
    assert store.delete_subscription("team-a", "dy", 2)
    assert store.get_subscription("team-a", "dy") is None
    assert not store.delete_subscription("team-a", "dy", None)


def test_ids_that_share_a_prefix_stay_apart(store: RiskStore) -> None:
    store.put_subscription(subscription("team-a", "dy"), None)
    store.put_subscription(subscription("team-a", "dy-2", url="https://hooks.example.com/2"), None)
    assert store.record_delivery_failure("team-a", "dy-2", failure())
    one = store.get_subscription("team-a", "dy")
    assert one is not None and one.url == "https://hooks.example.com/a" and one.last_failure is None
    assert store.delete_subscription("team-a", "dy", None)
    two = store.get_subscription("team-a", "dy-2")
    assert two is not None and two.last_failure == failure()


def test_listing_pages_per_tenant_and_cursors_stay_with_their_tenant(store: RiskStore) -> None:
    ids = [f"s{i}" for i in range(5)]
    for sub_id in ids:
        store.put_subscription(subscription("team-a", sub_id), None)
    store.record_delivery_failure("team-a", "s1", failure())  # not a subscription of its own
    store.put_subscription(subscription("team-b", "zz"), None)
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = store.list_subscriptions("team-a", 2, cursor)
        seen.extend(s.id for s in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == ids
    first = store.list_subscriptions("team-a", 2, None)
    assert first.items[0].url == "https://hooks.example.com/a" and first.items[0].version == 1
    assert [s.id for s in store.list_subscriptions("team-b", 10, None).items] == ["zz"]
    with pytest.raises(InvalidInputError):
        store.list_subscriptions("team-b", 2, first.next_cursor)  # team-a's cursor


def test_the_directory_lists_every_tenants_subscriptions(store: RiskStore) -> None:
    store.put_subscription(subscription("team-a", "dy"), None)
    store.put_subscription(subscription("team-b", "dy"), None)
    store.put_subscription(subscription("team-b", "x"), None)
    store.delete_subscription("team-b", "x", None)
    found = sorted((s.tenant, s.id) for s in store.list_all_subscriptions())
    assert found == [("team-a", "dy"), ("team-b", "dy")]


def test_a_delivery_failure_is_recorded_beside_the_subscription_and_survives_its_updates(store: RiskStore) -> None:
    assert not store.record_delivery_failure("team-a", "dy", failure())  # no such subscription
    store.put_subscription(subscription("team-a", "dy"), None)
    assert store.record_delivery_failure("team-a", "dy", failure())
    stored = store.get_subscription("team-a", "dy")
    assert stored is not None and stored.last_failure == failure()
    # a client's versioned PUT neither loses it nor conflicts with it
    store.put_subscription(subscription("team-a", "dy", 2, url="https://hooks.example.com/c"), 1)
    stored = store.get_subscription("team-a", "dy")
    assert stored is not None and stored.version == 2 and stored.last_failure == failure()
    store.delete_subscription("team-a", "dy", 2)
    store.put_subscription(subscription("team-a", "dy"), None)
    recreated = store.get_subscription("team-a", "dy")
    assert recreated is not None and recreated.last_failure is None


# ------------------------------------------------------------------------------ secret sealing


@pytest.fixture(params=["fake", "moto"])
def sealer(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[SecretSealer]:
    if request.param == "fake":
        yield FakeSecretSealer()
        return
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        client = boto3.client("kms", region_name="us-east-1", config=CLIENT_CONFIG)
        key_id = client.create_key()["KeyMetadata"]["Arn"]
        yield KmsSecretSealer(key_id, "us-east-1", client=client)


def test_a_sealed_secret_opens_only_with_its_own_context(sealer: SecretSealer) -> None:
    context = {"tenant": "team-a", "subscription_id": "dy"}
    sealed = sealer.seal("whsec_abc", context)
    assert "whsec_abc" not in sealed
    assert sealer.open(sealed, context) == "whsec_abc"
    with pytest.raises(Exception):  # noqa: B017 (the fake raises ValueError, KMS InvalidCiphertext)
        sealer.open(sealed, {"tenant": "team-b", "subscription_id": "dy"})


def test_a_delivery_id_is_marked_delivered_once(store: RiskStore) -> None:
    assert not store.was_delivered("team-a", "dy", "dlv_1")
    assert store.mark_delivered("team-a", "dy", "dlv_1", T0)
    assert not store.mark_delivered("team-a", "dy", "dlv_1", T0)  # the second one knows it was a duplicate
    assert store.was_delivered("team-a", "dy", "dlv_1")
    assert not store.was_delivered("team-b", "dy", "dlv_1") and not store.was_delivered("team-a", "dy2", "dlv_1")
    # delivery records are not subscriptions
    store.put_subscription(subscription("team-a", "dy"), None)
    assert [s.id for s in store.list_subscriptions("team-a", 10, None).items] == ["dy"]
    got = store.get_subscription("team-a", "dy")
    assert got is not None and got.last_failure is None
