"""Matching ScoreChanged events to subscriptions, the delivery body, ids and signature (issue 16)."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import replace
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest

from shared.adapters.seed_files import read_seed
from shared.domain.models import Band
from shared.domain.portfolio import Portfolio
from shared.domain.subscriptions import Subscription
from shared.domain.webhooks import fires, matches, signature, signed_headers, verify, watches
from shared.ports import ScoreChanged
from shared.services.alert_matching import plan_deliveries, score_changed_event_id
from shared.services.rescoring import rescore_all
from shared.services.seeding import seed_reference_data
from tests.fakes import InMemoryRiskStore

AT = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def sub(tenant: str = "team-a", sub_id: str = "s", **fields: Any) -> Subscription:
    data: dict[str, Any] = {"materials": ["dysprosium"], "min_change": 5.0}
    data.update(fields)
    return Subscription.parse(
        {
            "tenant": tenant,
            "id": sub_id,
            "url": "https://hooks.example.com/x",
            "sealed_secret": "sealed",
            "updated_at": AT,
            **data,
        }
    )


def moved(
    old: float | None = 40.0,
    new: float = 47.0,
    old_band: Band | None = Band.MODERATE,
    new_band: Band = Band.MODERATE,
    importer: str = "JP",
    material: str = "dysprosium",
) -> ScoreChanged:
    return ScoreChanged(
        importer=importer,
        material=material,
        old_score=old,
        new_score=new,
        old_band=old_band,
        new_band=new_band,
        cause_type="signal",
        cause_id="CN-TEST-BAN",
        computed_at=AT,
    )


def test_what_a_subscription_watches() -> None:
    assert watches(sub(), "JP", "dysprosium", ())
    assert not watches(sub(), "JP", "terbium", ())
    assert watches(sub(importers=["JP"]), "JP", "dysprosium", ())
    assert not watches(sub(importers=["US"]), "JP", "dysprosium", ())
    pairs = sub(materials=[], pairs=[{"importer": "US", "material": "gallium"}])
    assert watches(pairs, "US", "gallium", ()) and not watches(pairs, "JP", "gallium", ())
    portfolio = sub(materials=[], portfolio_id="plant")
    assert watches(portfolio, "JP", "terbium", [("JP", "terbium")]) and not watches(portfolio, "JP", "terbium", ())


@pytest.mark.parametrize(
    ("fields", "move", "expected"),
    [
        ({"min_change": 5.0}, moved(40, 45), True),
        ({"min_change": 5.0}, moved(40, 44.9), False),
        ({"min_change": 5.0}, moved(40, 35), True),  # either direction
        ({"min_change": 5.0}, moved(None, 90, None, Band.CRITICAL), False),  # a first score is no change
        ({"min_change": None, "bands": ["critical"]}, moved(70, 76, Band.HIGH, Band.CRITICAL), True),
        ({"min_change": None, "bands": ["critical"]}, moved(76, 80, Band.CRITICAL, Band.CRITICAL), False),  # already in
        ({"min_change": None, "bands": ["critical"]}, moved(None, 80, None, Band.CRITICAL), True),  # enters it
        ({"min_change": None, "bands": ["high"]}, moved(76, 70, Band.CRITICAL, Band.HIGH), True),
        ({"min_change": None, "on_band_change": True}, moved(49, 51, Band.MODERATE, Band.HIGH), True),
        ({"min_change": None, "on_band_change": True}, moved(51, 49.5, Band.HIGH, Band.MODERATE), True),
        ({"min_change": None, "on_band_change": True}, moved(40, 49, Band.MODERATE, Band.MODERATE), False),
    ],
)
def test_when_a_subscription_fires(fields: dict[str, Any], move: ScoreChanged, expected: bool) -> None:
    assert fires(sub(**fields), move) is expected


def test_a_disabled_subscription_matches_nothing() -> None:
    assert matches(sub(), moved()) and not matches(sub(enabled=False), moved())


def test_signature_is_hmac_sha256_over_timestamp_dot_body_and_verifies() -> None:
    body = b'{"a":1}'
    # what the README's receiver computes: HMAC-SHA256(secret, b"<timestamp>." + raw body), hex
    expected = hmac.new(b"whsec_test", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert signature("whsec_test", 1700000000, body) == f"v1={expected}"
    headers = signed_headers("whsec_test", "dlv_1", 1700000000, body)
    assert headers["Webhook-Id"] == "dlv_1" and headers["Webhook-Timestamp"] == "1700000000"
    assert verify("whsec_test", headers, body, now=1700000100)
    assert not verify("whsec_test", headers, body + b" ", now=1700000100)  # body changed
    assert not verify("whsec_other", headers, body, now=1700000100)  # another secret
    assert not verify("whsec_test", headers, body, now=1700000000 + 301)  # too old: a replay
    assert not verify("whsec_test", {**headers, "Webhook-Timestamp": "1700000001"}, body, now=1700000000)


@cache
def scored_store() -> InMemoryRiskStore:
    store = InMemoryRiskStore()
    seed_reference_data(store, read_seed())
    rescore_all(store, AT, importers=("JP", "US"))
    return store


def store_with(*subscriptions: Subscription, portfolios: tuple[Portfolio, ...] = ()) -> InMemoryRiskStore:
    base = scored_store()
    store = replace(base, subscriptions={}, portfolios={}, calls=[])
    for s in subscriptions:
        store.subscriptions[(s.tenant, s.id)] = s
    for p in portfolios:
        store.portfolios[(p.tenant, p.id)] = p
    return store


def test_plan_deliveries_matches_every_tenant_and_builds_the_payload() -> None:
    plant = Portfolio.parse(
        {
            "tenant": "team-b",
            "id": "plant",
            "name": "magnets",
            "items": [{"material": "hree", "importer": "JP", "annual_spend": 10.0}],
            "updated_at": AT,
        }
    )
    store = store_with(
        sub("team-a", "dy"),
        sub("team-a", "us-only", importers=["US"]),
        sub("team-b", "plant", materials=[], portfolio_id="plant"),
        sub("team-b", "off", enabled=False),
        portfolios=(plant,),
    )
    event = moved(40, 47)
    planned = plan_deliveries(store, [event], api_base_url="https://api.example.com/")
    assert sorted((d.tenant, d.subscription_id) for d in planned) == [("team-a", "dy"), ("team-b", "plant")]
    body = json.loads(planned[0].payload.model_dump_json())
    assert body["type"] == "score.changed" and body["pair"] == {"importer": "JP", "material": "dysprosium"}
    assert body["old"] == {"score": 40.0, "band": "moderate"} and body["new"] == {"score": 47.0, "band": "moderate"}
    assert body["change"] == 7.0 and body["cause"] == {"type": "signal", "id": "CN-TEST-BAN"}
    assert 1 <= len(body["drivers"]) <= 3 and all(isinstance(d, str) for d in body["drivers"])
    assert body["links"] == {
        "score": "https://api.example.com/v1/scores/JP/dysprosium",
        "history": "https://api.example.com/v1/scores/JP/dysprosium/history",
    }
    # one read of the directory, one of the catalogue, one of the scores: not one per subscription
    assert store.calls.count("list_all_subscriptions") == 1 and store.calls.count("get_scores") == 1
    # the idempotency key: the same (event, subscription) gives the same delivery id; another subscription another
    again = plan_deliveries(store, [event])
    assert [d.delivery_id for d in again] == [d.delivery_id for d in planned]
    assert len({d.delivery_id for d in planned}) == 2
    other_event = plan_deliveries(store, [replace(event, cause_id="OTHER")])
    assert not {d.delivery_id for d in other_event} & {d.delivery_id for d in planned}


def test_nothing_to_match_reads_nothing_more() -> None:
    store = store_with(sub(materials=["terbium"]))
    assert plan_deliveries(store, [moved()]) == []
    assert "get_scores" not in store.calls
    assert plan_deliveries(store_with(), [moved()]) == []


def test_two_changes_of_a_pair_by_one_cause_at_one_stream_time_are_two_events() -> None:
    # computed_at is the stream record's creation time (whole seconds in AWS, whole minutes on DynamoDB Local): two
    # versions of one signal within it moved the score twice; the second change must not share the first's id (its
    # webhook would be skipped as already delivered). The same event redelivered keeps its id.
    up, down = moved(old=40.0, new=47.0), moved(old=47.0, new=40.0)
    assert score_changed_event_id(up) != score_changed_event_id(down)
    assert score_changed_event_id(up) == score_changed_event_id(moved(old=40.0, new=47.0))
