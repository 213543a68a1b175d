"""Interfaces the services need from the outside world, one module per aggregate. Adapters implement them
(shared/adapters); the service unit tests use the in-memory fakes in tests/fakes/, and one contract suite
(tests/contract) holds the fakes and the DynamoDB adapter to the same behaviour.

Each service function asks for the narrowest port it uses; a use case that needs several declares a Protocol
combining exactly those next to itself (e.g. services.seeding.SeedStore). `RiskStore` is everything the one
table holds, for the composition roots (handlers, local stack, scripts) that build one repository.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.lazy import lazy_getattr

if TYPE_CHECKING:
    from shared.ports.common import Page, Pair, T
    from shared.ports.drafts import DraftStore
    from shared.ports.health import StoreProbe
    from shared.ports.messaging import ChunkQueue, EventPublisher, ScoreChanged
    from shared.ports.portfolios import PortfolioReader, PortfolioStore, PortfolioSummary
    from shared.ports.reference import (
        ChangeReader,
        DependencyBatchReader,
        ImporterIndexStore,
        ReferenceChange,
        ReferenceDataReader,
        ReferenceDataStore,
        ReferenceItem,
    )
    from shared.ports.runs import RescoreChunk, RescoreRun, RunStore
    from shared.ports.scores import HistoryPoint, HistoryQuery, RankedBy, RankQuery, ScoreReader, ScoreStore
    from shared.ports.store import RiskStore
    from shared.ports.subscriptions import (
        DeliveryFailureRecorder,
        SecretSealer,
        SubscriptionDirectory,
        SubscriptionReader,
        SubscriptionStore,
        SubscriptionSummary,
    )
    from shared.ports.webhooks import (
        DeliveryAttemptHistory,
        DeliveryAttemptRecorder,
        DeliveryLog,
        DeliveryQueue,
        SendResult,
        WebhookSender,
    )

#: each name's module. The names load on first use (PEP 562), so a function that needs one port (and the domain
#: models it names) does not import them all: the read API's cold start skips drafts, webhooks, subscriptions.
_HOMES = {
    "ChangeReader": "reference",
    "ChunkQueue": "messaging",
    "DeliveryAttemptHistory": "webhooks",
    "DeliveryAttemptRecorder": "webhooks",
    "DeliveryFailureRecorder": "subscriptions",
    "DeliveryLog": "webhooks",
    "DeliveryQueue": "webhooks",
    "DependencyBatchReader": "reference",
    "DraftStore": "drafts",
    "EventPublisher": "messaging",
    "HistoryPoint": "scores",
    "HistoryQuery": "scores",
    "ImporterIndexStore": "reference",
    "Page": "common",
    "Pair": "common",
    "PortfolioReader": "portfolios",
    "PortfolioStore": "portfolios",
    "PortfolioSummary": "portfolios",
    "RankQuery": "scores",
    "RankedBy": "scores",
    "ReferenceChange": "reference",
    "ReferenceDataReader": "reference",
    "ReferenceDataStore": "reference",
    "ReferenceItem": "reference",
    "RescoreChunk": "runs",
    "RescoreRun": "runs",
    "RiskStore": "store",
    "RunStore": "runs",
    "ScoreChanged": "messaging",
    "ScoreReader": "scores",
    "ScoreStore": "scores",
    "SecretSealer": "subscriptions",
    "SendResult": "webhooks",
    "StoreProbe": "health",
    "SubscriptionDirectory": "subscriptions",
    "SubscriptionReader": "subscriptions",
    "SubscriptionStore": "subscriptions",
    "SubscriptionSummary": "subscriptions",
    "T": "common",
    "WebhookSender": "webhooks",
}


__getattr__ = lazy_getattr(__name__, _HOMES)


__all__ = [
    "ChangeReader",
    "ChunkQueue",
    "DeliveryAttemptHistory",
    "DeliveryAttemptRecorder",
    "DeliveryFailureRecorder",
    "DeliveryLog",
    "DeliveryQueue",
    "DependencyBatchReader",
    "DraftStore",
    "EventPublisher",
    "HistoryPoint",
    "HistoryQuery",
    "ImporterIndexStore",
    "Page",
    "Pair",
    "PortfolioReader",
    "PortfolioStore",
    "PortfolioSummary",
    "RankQuery",
    "RankedBy",
    "ReferenceChange",
    "ReferenceDataReader",
    "ReferenceDataStore",
    "ReferenceItem",
    "RescoreChunk",
    "RescoreRun",
    "RiskStore",
    "RunStore",
    "ScoreChanged",
    "ScoreReader",
    "ScoreStore",
    "SecretSealer",
    "SendResult",
    "StoreProbe",
    "SubscriptionDirectory",
    "SubscriptionReader",
    "SubscriptionStore",
    "SubscriptionSummary",
    "T",
    "WebhookSender",
]
