"""ScoreChanged events -> the webhook deliveries they cause (issue 16): every tenant's subscriptions read once per
batch of events, portfolios expanded to their pairs once per batch, the stored scores read once for the drivers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from shared.domain.models import MaterialProfile
from shared.domain.portfolio import expand_items
from shared.domain.subscriptions import Subscription
from shared.domain.webhooks import WebhookPayload, build_payload, event_id, matches
from shared.ports import Pair, PortfolioReader, ReferenceDataReader, ScoreChanged, ScoreReader, SubscriptionDirectory


class MatchingStore(SubscriptionDirectory, PortfolioReader, ReferenceDataReader, ScoreReader, Protocol):
    """Subscriptions, the portfolios they watch (expanded with the catalogue), the stored scores (drivers)."""


@dataclass(frozen=True)
class PlannedDelivery:
    """One (event, subscription): what the delivery worker sends, retries and records."""

    tenant: str
    subscription_id: str
    payload: WebhookPayload

    @property
    def delivery_id(self) -> str:
        return self.payload.delivery_id


def score_changed_event_id(event: ScoreChanged) -> str:
    return event_id(
        event.importer,
        event.material,
        event.cause_type,
        event.cause_id,
        event.computed_at,
        event.old_score,
        event.new_score,
    )


def plan_deliveries(
    store: MatchingStore, events: Sequence[ScoreChanged], *, api_base_url: str = ""
) -> list[PlannedDelivery]:
    """Every (event, subscription) that matches, with its payload; the same events give the same delivery ids."""
    if not events:
        return []
    subscriptions = [s for s in store.list_all_subscriptions() if s.enabled]
    if not subscriptions:
        return []
    catalogue: dict[str, MaterialProfile] | None = None
    portfolio_pairs: dict[tuple[str, str], frozenset[tuple[str, str]]] = {}

    def pairs_of(subscription: Subscription) -> frozenset[tuple[str, str]]:
        nonlocal catalogue
        if not subscription.portfolio_id:
            return frozenset()
        key = (subscription.tenant, subscription.portfolio_id)
        if key not in portfolio_pairs:
            portfolio = store.get_portfolio(*key)
            if portfolio is None:  # deleted since: the subscription watches nothing
                portfolio_pairs[key] = frozenset()
            else:
                if catalogue is None:
                    catalogue = {m.id: m for m in store.list_materials()}
                lines = expand_items(portfolio.items, catalogue)
                portfolio_pairs[key] = frozenset((line.importer, line.material) for line in lines)
        return portfolio_pairs[key]

    matched = [
        (event, subscription)
        for event in events
        for subscription in subscriptions
        if matches(subscription, event, pairs_of(subscription))
    ]
    if not matched:
        return []
    current = store.get_scores(list(dict.fromkeys(Pair(e.importer, e.material) for e, _ in matched)))
    return [
        PlannedDelivery(
            tenant=subscription.tenant,
            subscription_id=subscription.id,
            payload=build_payload(
                kind="score.changed",
                event=score_changed_event_id(event),
                subscription=subscription,
                importer=event.importer,
                material=event.material,
                old_score=event.old_score,
                new_score=event.new_score,
                old_band=event.old_band,
                new_band=event.new_band,
                cause_type=event.cause_type,
                cause_id=event.cause_id,
                computed_at=event.computed_at,
                current=current.get(Pair(event.importer, event.material)),
                api_base_url=api_base_url,
            ),
        )
        for event, subscription in matched
    ]
