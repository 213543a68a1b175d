"""The webhook attempt log (issue 16): one item per HTTP attempt under the tenant's partition
(`ATTEMPT#<subscription id>#<UTC time>#<delivery id>#<attempt>`), written once by the delivery function and expiring
with the table's TTL after ATTEMPT_LOG_DAYS; GET /v1/subscriptions/{id}/deliveries reads it newest first.

Append-only: a unique key per attempt and no read-modify-write, so it cannot race the client's versioned PUT of
the subscription, the failure record or the delivered ids (they are other items)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from shared.adapters.dynamodb import keys
from shared.adapters.dynamodb.base import DynamoTable
from shared.adapters.dynamodb.cursors import decode_cursor, encode_cursor
from shared.adapters.dynamodb.keys import n, s
from shared.domain.webhooks import ATTEMPT_LOG_DAYS, DeliveryAttempt
from shared.ports.common import Page

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

ATTEMPT_TTL = timedelta(days=ATTEMPT_LOG_DAYS)


class DynamoDeliveryAttemptRepository(DynamoTable):
    """Implements shared.ports.DeliveryAttemptRecorder and DeliveryAttemptHistory."""

    def record_attempt(self, tenant: str, attempt: DeliveryAttempt) -> None:
        item: dict[str, AttributeValueTypeDef] = {
            **keys.attempt_key(
                tenant, attempt.subscription_id, attempt.attempted_at, attempt.delivery_id, attempt.attempt
            ),
            "expires_at": n(int((attempt.attempted_at + ATTEMPT_TTL).timestamp())),
            "doc": s(attempt.model_dump_json()),
        }
        self._call("put_item", TableName=self.table_name, Item=item)

    def list_attempts(self, tenant: str, subscription_id: str, limit: int, cursor: str | None) -> Page[DeliveryAttempt]:
        partition = keys.tenant_partition(tenant)
        prefix = keys.attempt_sort_prefix(subscription_id)
        filters = {"attempts": subscription_id}
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": s(partition), ":prefix": s(prefix)},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor:
            kwargs["ExclusiveStartKey"] = decode_cursor(
                cursor,
                partition,
                filters,
                {"pk", "sk"},
                lambda key: key["pk"] == partition and key["sk"].startswith(prefix),
            )
        page = self._call("query", TableName=self.table_name, **kwargs)
        attempts = [self._parse(DeliveryAttempt, item) for item in page.get("Items", [])]
        last = page.get("LastEvaluatedKey")
        return Page(items=attempts, next_cursor=encode_cursor(last, partition, filters) if last else None)
