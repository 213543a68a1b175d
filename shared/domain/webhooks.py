"""Webhook deliveries of ScoreChanged alerts (issue 16): which subscriptions an event matches, the JSON body a
receiver gets, its ids and its signature. Pure (hashing and HMAC only, no I/O).

Signature (what a receiver checks; README "Receiving alerts"): three headers on every POST

    Webhook-Id:        the delivery id: the same on every retry of one (event, subscription); deduplicate on it
    Webhook-Timestamp: Unix seconds of this attempt (refuse ones far from your clock: replays)
    Webhook-Signature: v1=<hex HMAC-SHA256(key = the subscription's secret, msg = timestamp + "." + raw body)>
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Iterable
from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from shared.domain.models import Band, RiskScore
from shared.domain.subscriptions import Subscription

ID_HEADER = "Webhook-Id"
TIMESTAMP_HEADER = "Webhook-Timestamp"
SIGNATURE_HEADER = "Webhook-Signature"
SIGNATURE_VERSION = "v1"
#: how many of the score's drivers a delivery carries (largest first)
TOP_DRIVERS = 3


class ScoreMove(Protocol):
    """What matching needs of a ScoreChanged event (shared.ports.ScoreChanged has these)."""

    @property
    def importer(self) -> str: ...
    @property
    def material(self) -> str: ...
    @property
    def old_score(self) -> float | None: ...
    @property
    def new_score(self) -> float: ...
    @property
    def old_band(self) -> Band | None: ...
    @property
    def new_band(self) -> Band: ...


def watches(
    subscription: Subscription, importer: str, material: str, portfolio_pairs: Iterable[tuple[str, str]]
) -> bool:
    """Whether the subscription watches the pair. `portfolio_pairs`: its portfolio's (importer, material) lines,
    groups expanded (empty when it watches no portfolio, or the portfolio is gone)."""
    if subscription.portfolio_id:
        return (importer, material) in set(portfolio_pairs)
    if subscription.pairs:
        return any(p.importer == importer and p.material == material for p in subscription.pairs)
    return material in subscription.materials and (not subscription.importers or importer in subscription.importers)


def fires(subscription: Subscription, move: ScoreMove) -> bool:
    """Whether the move is one the subscription wants: min_change points or more, entering one of its bands, or
    any band change. A first score (no old one) is no change, but does 'enter' its band."""
    band_changed = move.old_band is not None and move.old_band != move.new_band
    if subscription.on_band_change and band_changed:
        return True
    if subscription.bands and move.new_band in subscription.bands and move.old_band != move.new_band:
        return True
    if subscription.min_change is not None and move.old_score is not None:
        return abs(move.new_score - move.old_score) >= subscription.min_change - 1e-9
    return False


def matches(subscription: Subscription, move: ScoreMove, portfolio_pairs: Iterable[tuple[str, str]] = ()) -> bool:
    """An enabled subscription that watches the pair and wants this move."""
    return (
        subscription.enabled
        and watches(subscription, move.importer, move.material, portfolio_pairs)
        and fires(subscription, move)
    )


def event_id(
    importer: str,
    material: str,
    cause_type: str,
    cause_id: str,
    computed_at: datetime,
    old_score: float | None = None,
    new_score: float | None = None,
) -> str:
    """One id per ScoreChanged event: the same event redelivered (SQS, EventBridge retries) has the same id. The
    scores are part of it: `computed_at` comes from the stream record's creation time (whole seconds in AWS, whole
    minutes on DynamoDB Local), so two versions of one signal within that time are two changes with one time."""
    parts = [importer, material, cause_type, cause_id, computed_at.isoformat()]
    if new_score is not None:
        parts.append(f"{old_score!r}>{new_score!r}")
    text = "|".join(parts)
    return "evt_" + hashlib.sha256(text.encode()).hexdigest()[:32]


def delivery_id(event: str, tenant: str, subscription_id: str) -> str:
    """The idempotency key of one (event, subscription): the same on every attempt and every redelivery."""
    text = "|".join((event, tenant, subscription_id))
    return "dlv_" + hashlib.sha256(text.encode()).hexdigest()[:32]


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class PayloadPair(_Payload):
    importer: str
    material: str


class PayloadScore(_Payload):
    score: float | None
    band: Band | None


class PayloadCause(_Payload):
    type: str
    id: str


class PayloadLinks(_Payload):
    score: str
    history: str


class WebhookPayload(_Payload):
    """The JSON body of one delivery (documented in the README; stable field names)."""

    type: Literal["score.changed", "test"]
    delivery_id: str
    event_id: str
    subscription_id: str
    pair: PayloadPair
    old: PayloadScore
    new: PayloadScore
    change: float | None
    cause: PayloadCause
    drivers: list[str]
    computed_at: datetime
    links: PayloadLinks


def score_links(importer: str, material: str, api_base_url: str = "") -> PayloadLinks:
    score = f"{api_base_url.rstrip('/')}/v1/scores/{importer}/{material}"
    return PayloadLinks(score=score, history=f"{score}/history")


def build_payload(
    *,
    kind: Literal["score.changed", "test"],
    event: str,
    subscription: Subscription,
    importer: str,
    material: str,
    old_score: float | None,
    new_score: float,
    old_band: Band | None,
    new_band: Band,
    cause_type: str,
    cause_id: str,
    computed_at: datetime,
    current: RiskScore | None,
    api_base_url: str = "",
) -> WebhookPayload:
    """A delivery's body; `current`: the stored score, for its top drivers (none when it is not stored)."""
    drivers = [d.text for d in current.drivers[:TOP_DRIVERS]] if current is not None else []
    return WebhookPayload(
        type=kind,
        delivery_id=delivery_id(event, subscription.tenant, subscription.id),
        event_id=event,
        subscription_id=subscription.id,
        pair=PayloadPair(importer=importer, material=material),
        old=PayloadScore(score=old_score, band=old_band),
        new=PayloadScore(score=new_score, band=new_band),
        change=round(new_score - old_score, 4) if old_score is not None else None,
        cause=PayloadCause(type=cause_type, id=cause_id),
        drivers=drivers,
        computed_at=computed_at,
        links=score_links(importer, material, api_base_url),
    )


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`v1=<hex>`: HMAC-SHA256 keyed with the secret over `<timestamp>.<raw body>`."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"{SIGNATURE_VERSION}={mac.hexdigest()}"


def signed_headers(secret: str, delivery: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The delivery's own headers (a subscription's extra headers may not use these names)."""
    return {
        "Content-Type": "application/json",
        ID_HEADER: delivery,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }


def verify(secret: str, headers: dict[str, str], body: bytes, now: int, tolerance_s: int = 300) -> bool:
    """What a receiver does (the README's example is this): a fresh timestamp and a matching signature."""
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        timestamp = int(lowered[TIMESTAMP_HEADER.lower()])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance_s:
        return False
    expected = signature(secret, timestamp, body)
    return hmac.compare_digest(expected, lowered.get(SIGNATURE_HEADER.lower(), ""))


# ------------------------------------------------------------------------------------------ outbound safety
#: the cloud metadata endpoints, named for the log (they are link-local and refused as such anyway)
METADATA_ADDRESSES = frozenset({"169.254.169.254", "fd00:ec2::254", "169.254.170.2"})


def address_refusal(address: str, *, allow_loopback: bool) -> str | None:
    """Why a resolved address may not receive a webhook (None: it may). Only global unicast addresses may; the
    local stack also allows 127.0.0.1 (its receiver). IPv4-mapped IPv6 addresses are judged as the IPv4 one."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address!r} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if str(ip) in METADATA_ADDRESSES:
        return f"{ip} is a cloud metadata address"
    if ip.is_loopback:
        return None if allow_loopback and str(ip) == "127.0.0.1" else f"{ip} is a loopback address"
    if ip.is_link_local:
        return f"{ip} is a link-local address"
    if ip.is_private or not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return f"{ip} is not a public address"
    return None


# ------------------------------------------------------------------------------------------ retries
class RetryPolicy(BaseModel):
    """Exponential backoff with jitter inside a bounded window (defaults: 30 s doubling to 15 min, 6 hours)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    base_delay_s: float = 30.0
    max_delay_s: float = 900.0  # SQS's largest DelaySeconds
    window_s: float = 6 * 3600.0


def is_retryable(status: int | None) -> bool:
    """Timeouts and connection failures (None), 408, 429 and 5xx are retried; every other answer is final."""
    return status is None or status in (408, 429) or status >= 500


def next_delay(policy: RetryPolicy, attempt: int, jitter: float, retry_after_s: float | None) -> float:
    """Seconds before attempt `attempt + 1` (attempt counts from 1): base x 2^(attempt-1), capped, times a jitter in
    [0.5, 1]; never sooner than the receiver's Retry-After (itself capped)."""
    backoff = min(policy.max_delay_s, policy.base_delay_s * float(2 ** (attempt - 1))) * max(0.5, min(1.0, jitter))
    if retry_after_s is not None and retry_after_s > backoff:
        return min(policy.max_delay_s, retry_after_s)
    return backoff


class DeliveryTask(BaseModel):
    """One (event, subscription) delivery in flight: what the delivery queue carries between attempts. The URL,
    headers and secret are read from the subscription on every attempt (a changed URL or a disabled subscription
    applies at once); the body is fixed when the event is matched, so every attempt sends the same bytes."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    kind: Literal["delivery"] = "delivery"
    tenant: str
    subscription_id: str
    delivery_id: str
    body: str
    attempt: int = 1
    first_attempt_at: datetime

    def next_attempt(self) -> DeliveryTask:
        return self.model_copy(update={"attempt": self.attempt + 1})


# ------------------------------------------------------------------------------------------ the attempt log
#: how long an attempt stays in the log (far beyond the retry window; the log is for "what happened lately")
ATTEMPT_LOG_DAYS = 7


class DeliveryAttempt(BaseModel):
    """One HTTP attempt of one delivery, as the delivery function saw it: `outcome` delivered (2xx), retry (a next
    attempt is queued for `next_retry_at`) or failed (final: dead-lettered); `status_code` None when there was no
    HTTP answer (timeout, connection failure, refused address)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    subscription_id: str
    delivery_id: str
    attempt: int = Field(ge=1)
    attempted_at: datetime
    outcome: Literal["delivered", "retry", "failed"]
    status_code: int | None = None
    latency_ms: int = Field(ge=0)
    next_retry_at: datetime | None = None
    #: why it was not delivered (the receiver's answer excerpt or the error); empty when delivered
    reason: str = Field(default="", max_length=500)
