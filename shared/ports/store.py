"""`RiskStore`: everything the one table holds, for the composition roots (handlers, local stack, scripts)
that build one repository; services never ask for it."""

from __future__ import annotations

from typing import Protocol

from shared.ports.drafts import DraftStore
from shared.ports.health import StoreProbe
from shared.ports.portfolios import PortfolioStore
from shared.ports.reference import DependencyBatchReader, ImporterIndexStore, ReferenceDataStore
from shared.ports.runs import RunStore
from shared.ports.scores import ScoreStore
from shared.ports.subscriptions import DeliveryFailureRecorder, SubscriptionDirectory, SubscriptionStore
from shared.ports.webhooks import DeliveryAttemptHistory, DeliveryAttemptRecorder, DeliveryLog


class RiskStore(
    ReferenceDataStore,
    DependencyBatchReader,
    ImporterIndexStore,
    ScoreStore,
    RunStore,
    PortfolioStore,
    DraftStore,
    SubscriptionStore,
    SubscriptionDirectory,
    DeliveryFailureRecorder,
    DeliveryLog,
    DeliveryAttemptRecorder,
    DeliveryAttemptHistory,
    StoreProbe,
    Protocol,
):
    """Everything the one table holds (shared.adapters.dynamodb.DynamoRiskRepository); services never ask for it."""
