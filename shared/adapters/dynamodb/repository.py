"""The composite: every item family's repository on the one table, for callers that hold one store object
(the factory, the local stack, seeding scripts, benchmarks). Services ask for the narrow ports it implements.
The read API uses the smaller `read.DynamoReadRepository`, which this extends."""

from __future__ import annotations

from shared.adapters.dynamodb.delivery_attempts import DynamoDeliveryAttemptRepository
from shared.adapters.dynamodb.drafts import DynamoDraftRepository
from shared.adapters.dynamodb.read import DynamoReadRepository
from shared.adapters.dynamodb.subscriptions import DynamoSubscriptionRepository


class DynamoRiskRepository(
    DynamoReadRepository,
    DynamoDraftRepository,
    DynamoSubscriptionRepository,
    DynamoDeliveryAttemptRepository,
):
    """Implements shared.ports.RiskStore (and StoreProbe) on one DynamoDB table: the family repositories share
    their base (`DynamoTable`: table, client, call wrapper, retries, conditional writes), so this adds nothing."""
