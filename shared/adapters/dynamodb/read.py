"""The read API's composite: the item families it reads, without the drafts, subscriptions and webhook attempts
(and their domain models) that only other functions use. `repository.DynamoRiskRepository` extends it."""

from __future__ import annotations

from shared.adapters.dynamodb.portfolios import DynamoPortfolioRepository
from shared.adapters.dynamodb.reference import DynamoReferenceRepository
from shared.adapters.dynamodb.runs import DynamoRunRepository
from shared.adapters.dynamodb.scores import DynamoScoreRepository


class DynamoReadRepository(
    DynamoReferenceRepository,
    DynamoScoreRepository,
    DynamoRunRepository,
    DynamoPortfolioRepository,
):
    """Reference data, scores, runs and portfolios on one table (shared.ports' readers; StoreProbe)."""
