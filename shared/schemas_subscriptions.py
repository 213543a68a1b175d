"""API models of the alert subscriptions (issue 16): part of the public contract (docs/openapi.json), in their own
module beside shared/schemas.py so the feature stays in one place."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import ConfigDict, Field, StrictBool, StrictFloat, StrictInt

from shared.domain.ids import COUNTRY_CODE_PATTERN, MATERIAL_ID_PATTERN, PORTFOLIO_ID_PATTERN
from shared.domain.models import Band, PlainText
from shared.domain.subscriptions import (
    HEADER_NAME_PATTERN,
    HEADER_VALUE_PATTERN,
    MAX_URL_LENGTH,
    MAX_WATCHED_IMPORTERS,
    MAX_WATCHED_MATERIALS,
    MAX_WATCHED_PAIRS,
    MAX_WEBHOOK_HEADERS,
    DeliveryFailure,
    Subscription,
)
from shared.domain.webhooks import DeliveryAttempt, DeliveryTask
from shared.schemas import ApiModel, VersionedRequest

if TYPE_CHECKING:
    from shared.ports import Page, SubscriptionSummary
    from shared.services.subscriptions import SubscriptionWrite


class WatchedPairRequest(ApiModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    importer: str = Field(min_length=2, max_length=2, pattern=COUNTRY_CODE_PATTERN)
    material: str = Field(pattern=MATERIAL_ID_PATTERN)


class SubscriptionUpsertRequest(VersionedRequest):
    """What to watch (exactly one of portfolio_id, pairs, materials), when to deliver (at least one of min_change,
    bands, on_band_change) and where (url, optional non-secret headers)."""

    description: PlainText | None = Field(default=None, max_length=200)
    portfolio_id: str | None = Field(default=None, pattern=PORTFOLIO_ID_PATTERN, description="One of your portfolios")
    pairs: list[WatchedPairRequest] = Field(default_factory=list, max_length=MAX_WATCHED_PAIRS)
    materials: list[Annotated[str, Field(pattern=MATERIAL_ID_PATTERN)]] = Field(
        default_factory=list, max_length=MAX_WATCHED_MATERIALS
    )
    importers: list[Annotated[str, Field(min_length=2, max_length=2, pattern=COUNTRY_CODE_PATTERN)]] = Field(
        default_factory=list, max_length=MAX_WATCHED_IMPORTERS, description="With materials only: these importers"
    )
    min_change: StrictFloat | None = Field(
        default=None, gt=0, le=100, description="Deliver when a score moves at least this many points"
    )
    bands: list[Band] = Field(default_factory=list, max_length=4, description="Deliver when a score enters one")
    on_band_change: StrictBool = Field(default=False, description="Deliver on any band change")
    url: str = Field(
        min_length=8,
        max_length=MAX_URL_LENGTH,
        description="https URL to POST deliveries to (public addresses only; http://127.0.0.1:<port> in the local "
        "stack only)",
    )
    headers: dict[
        Annotated[str, Field(pattern=HEADER_NAME_PATTERN)], Annotated[str, Field(pattern=HEADER_VALUE_PATTERN)]
    ] = Field(
        default_factory=dict,
        max_length=MAX_WEBHOOK_HEADERS,
        description="Extra request headers; stored in clear and returned: never secrets (no Authorization)",
    )
    enabled: StrictBool = True


class DeliveryFailureResponse(ApiModel):
    delivery_id: str
    failed_at: datetime
    reason: str
    status_code: StrictInt | None

    @classmethod
    def of(cls, failure: DeliveryFailure) -> DeliveryFailureResponse:
        return cls.model_validate(failure.model_dump())


class SubscriptionResponse(ApiModel):
    id: str
    description: str | None
    portfolio_id: str | None
    pairs: list[WatchedPairRequest]
    materials: list[str]
    importers: list[str]
    min_change: float | None
    bands: list[Band]
    on_band_change: bool
    url: str
    headers: dict[str, str]
    enabled: bool
    version: int
    updated_at: datetime
    last_failure: DeliveryFailureResponse | None = Field(description="The last delivery that was given up")
    secret: str | None = Field(
        default=None,
        description="The signing secret: only in the answer that created or rotated it, never again; keep it",
    )

    @classmethod
    def of(cls, subscription: Subscription, secret: str | None = None) -> SubscriptionResponse:
        data = subscription.model_dump(mode="json", exclude={"tenant", "sealed_secret"})
        return cls.model_validate({**data, "secret": secret})

    @classmethod
    def of_write(cls, write: SubscriptionWrite) -> SubscriptionResponse:
        return cls.of(write.result.item, write.secret)


class SubscriptionSummaryResponse(ApiModel):
    id: str
    url: str
    enabled: bool
    version: int
    updated_at: datetime

    @classmethod
    def of(cls, summary: SubscriptionSummary) -> SubscriptionSummaryResponse:
        return cls.model_validate(summary, from_attributes=True)


class SubscriptionListResponse(ApiModel):
    items: list[SubscriptionSummaryResponse]
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page[SubscriptionSummary]) -> SubscriptionListResponse:
        return cls(items=[SubscriptionSummaryResponse.of(s) for s in page.items], next_cursor=page.next_cursor)


class SubscriptionTestResponse(ApiModel):
    delivery_id: str = Field(description="The Webhook-Id the test event arrives with")
    subscription_id: str

    @classmethod
    def of(cls, task: DeliveryTask) -> SubscriptionTestResponse:
        return cls(delivery_id=task.delivery_id, subscription_id=task.subscription_id)


class DeliveryAttemptResponse(ApiModel):
    delivery_id: str = Field(description="The Webhook-Id: the same on every attempt of one delivery")
    attempt: int = Field(description="1 for the first attempt")
    attempted_at: datetime
    outcome: Literal["delivered", "retry", "failed"] = Field(
        description="delivered (2xx), retry (another attempt is queued for next_retry_at) or failed (given up)"
    )
    status_code: int | None = Field(description="The receiver's HTTP status; null when there was no answer")
    latency_ms: int
    next_retry_at: datetime | None
    reason: str = Field(description="Why it was not delivered (a short excerpt of the answer, or the error)")

    @classmethod
    def of(cls, attempt: DeliveryAttempt) -> DeliveryAttemptResponse:
        return cls.model_validate(attempt.model_dump(exclude={"subscription_id"}))


class DeliveryAttemptListResponse(ApiModel):
    """A subscription's webhook attempts of the last 7 days, newest first."""

    items: list[DeliveryAttemptResponse]
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page[DeliveryAttempt]) -> DeliveryAttemptListResponse:
        return cls(items=[DeliveryAttemptResponse.of(a) for a in page.items], next_cursor=page.next_cursor)
