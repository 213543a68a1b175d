"""A tenant's alert subscriptions (issue 16): the tenant is the partition, as for portfolios; every subscription is
also projected into gsi1 partition SUBSCRIPTIONS (sparse) so the delivery side reads them all with one Query.

The last failed delivery is its own item (`SUBSCRIPTION#<id>#FAILURE`), written by the delivery worker only, so
it never races a client's versioned PUT of the subscription; one Query of the subscription's sort range reads both.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from shared.adapters.dynamodb import keys
from shared.adapters.dynamodb.base import DynamoTable, cancellation_codes, error_code
from shared.adapters.dynamodb.cursors import decode_cursor, encode_cursor
from shared.adapters.dynamodb.keys import SUBSCRIPTION_DIRECTORY_PK, SUBSCRIPTION_PREFIX, n, s
from shared.domain.subscriptions import DeliveryFailure, Subscription
from shared.ports.common import Page
from shared.ports.subscriptions import SubscriptionSummary

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

#: the `kind` attribute of a subscription's main item (its failure item has none)
_KIND = "subscription"
#: how long a delivered id is remembered (far beyond any retry window and SQS/EventBridge redelivery)
DELIVERED_TTL = timedelta(days=30)


class DynamoSubscriptionRepository(DynamoTable):
    """Implements shared.ports.SubscriptionStore, SubscriptionDirectory, DeliveryFailureRecorder and DeliveryLog."""

    def _with_failure(self, items: list[dict[str, Any]]) -> Subscription | None:
        main = next((i for i in items if i.get("kind", {}).get("S") == _KIND), None)
        if main is None:
            return None
        subscription = self._parse(Subscription, main)
        failure = next((i for i in items if i["sk"]["S"].endswith("#FAILURE")), None)
        if failure is not None:
            subscription = subscription.model_copy(update={"last_failure": self._parse(DeliveryFailure, failure)})
        return subscription

    def get_subscription(self, tenant: str, subscription_id: str) -> Subscription | None:
        main = keys.subscription_key(tenant, subscription_id)
        failure = keys.subscription_failure_key(tenant, subscription_id)
        page = self._call(
            "query",
            TableName=self.table_name,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :first AND :last",
            ExpressionAttributeValues={":pk": main["pk"], ":first": main["sk"], ":last": failure["sk"]},
            ConsistentRead=True,
        )
        return self._with_failure(list(page.get("Items", [])))

    def list_subscriptions(self, tenant: str, limit: int, cursor: str | None) -> Page[SubscriptionSummary]:
        partition = keys.tenant_partition(tenant)
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "FilterExpression": "kind = :kind",
            "ExpressionAttributeValues": {":pk": s(partition), ":prefix": s(SUBSCRIPTION_PREFIX), ":kind": s(_KIND)},
            "ProjectionExpression": "pk, sk, #url, enabled, version, updated_at",
            "ExpressionAttributeNames": {"#url": "url"},
            "Limit": limit,
        }
        if cursor:
            kwargs["ExclusiveStartKey"] = decode_cursor(
                cursor,
                partition,
                {"kind": _KIND},
                {"pk", "sk"},
                lambda key: key["pk"] == partition and key["sk"].startswith(SUBSCRIPTION_PREFIX),
            )
        page = self._call("query", TableName=self.table_name, **kwargs)
        summaries = [
            SubscriptionSummary(
                id=item["sk"]["S"].removeprefix(SUBSCRIPTION_PREFIX).removesuffix("#"),
                url=item["url"]["S"],
                enabled=bool(item["enabled"]["BOOL"]),
                version=int(item["version"]["N"]),
                updated_at=datetime.fromisoformat(item["updated_at"]["S"]),
            )
            for item in page.get("Items", [])
        ]
        last = page.get("LastEvaluatedKey")
        return Page(items=summaries, next_cursor=encode_cursor(last, partition, {"kind": _KIND}) if last else None)

    def put_subscription(self, subscription: Subscription, expected_version: int | None) -> None:
        # the failure item is the worker's: the main item's doc never carries it
        stored = subscription.model_copy(update={"last_failure": None})
        item: dict[str, AttributeValueTypeDef] = {
            **keys.subscription_key(subscription.tenant, subscription.id),
            "kind": s(_KIND),
            "gsi1pk": s(SUBSCRIPTION_DIRECTORY_PK),
            "gsi1sk": s(keys.subscription_directory_sort(subscription.tenant, subscription.id)),
            "url": s(subscription.url),
            "enabled": {"BOOL": subscription.enabled},
            "version": n(subscription.version),
            "updated_at": s(subscription.updated_at.isoformat()),
            "doc": s(stored.model_dump_json()),
        }
        self._conditional("put_item", expected_version, Item=item)

    def delete_subscription(self, tenant: str, subscription_id: str, expected_version: int | None) -> bool:
        key = keys.subscription_key(tenant, subscription_id)
        if expected_version is None:
            response = self._call("delete_item", TableName=self.table_name, Key=key, ReturnValues="ALL_OLD")
            deleted = bool(response.get("Attributes"))
        else:
            self._conditional("delete_item", expected_version, Key=key)
            deleted = True
        if deleted:  # the failure record goes with it (a later worker write needs the main item: see below)
            failure = keys.subscription_failure_key(tenant, subscription_id)
            self._call("delete_item", TableName=self.table_name, Key=failure)
        return deleted

    def list_all_subscriptions(self) -> list[Subscription]:
        return [
            self._parse(Subscription, item)
            for item in self._query_all(
                IndexName="gsi1",
                KeyConditionExpression="gsi1pk = :pk",
                ExpressionAttributeValues={":pk": s(SUBSCRIPTION_DIRECTORY_PK)},
            )
        ]

    def record_delivery_failure(self, tenant: str, subscription_id: str, failure: DeliveryFailure) -> bool:
        main = keys.subscription_key(tenant, subscription_id)
        try:
            self._call(
                "transact_write_items",
                TransactItems=[
                    {
                        "ConditionCheck": {
                            "TableName": self.table_name,
                            "Key": main,
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self.table_name,
                            "Item": {
                                **keys.subscription_failure_key(tenant, subscription_id),
                                "doc": s(failure.model_dump_json()),
                            },
                        }
                    },
                ],
            )
        except ClientError as exc:
            if (
                error_code(exc) == "TransactionCanceledException"
                and cancellation_codes(exc)[0] == "ConditionalCheckFailed"
            ):
                return False  # the subscription was deleted meanwhile
            raise
        return True

    # ---------------------------------------------------------------- delivered ids (DeliveryLog)

    def was_delivered(self, tenant: str, subscription_id: str, delivery_id: str) -> bool:
        key = keys.delivery_key(tenant, subscription_id, delivery_id)
        return self._get(key, ProjectionExpression="pk", ConsistentRead=True) is not None

    def mark_delivered(self, tenant: str, subscription_id: str, delivery_id: str, at: datetime) -> bool:
        item: dict[str, AttributeValueTypeDef] = {
            **keys.delivery_key(tenant, subscription_id, delivery_id),
            "delivered_at": s(at.isoformat()),
            "expires_at": n(int((at + DELIVERED_TTL).timestamp())),
        }
        try:
            self._call(
                "put_item",
                TableName=self.table_name,
                Item=item,
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True
