"""A tenant's draft signals (issue 19): TENANT#<client id> / DRAFT#<id>, the draft as `doc`, a TTL.

The stream filter (template.yaml) passes only reference partitions, so a draft never wakes the rescoring."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from shared.adapters.dynamodb import keys
from shared.adapters.dynamodb.base import DynamoTable
from shared.adapters.dynamodb.cursors import decode_cursor, encode_cursor
from shared.adapters.dynamodb.keys import DRAFT_PREFIX, n, s
from shared.domain.drafts import SignalDraft
from shared.ports import Page

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

#: a draft nobody publishes is removed by the table's TTL this long after it was made
DRAFT_RETENTION = timedelta(days=90)


class DynamoDraftRepository(DynamoTable):
    """Implements shared.ports.DraftStore."""

    def get_draft(self, tenant: str, draft_id: str) -> SignalDraft | None:
        item = self._get(keys.draft_key(tenant, draft_id))
        return SignalDraft.model_validate_json(item["doc"]["S"]) if item else None

    def list_drafts(self, tenant: str, limit: int, cursor: str | None) -> Page[SignalDraft]:
        partition = keys.tenant_partition(tenant)
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": s(partition), ":prefix": s(DRAFT_PREFIX)},
            "ProjectionExpression": "pk, sk, doc",
            "Limit": limit,
        }
        if cursor:
            kwargs["ExclusiveStartKey"] = decode_cursor(
                cursor,
                partition,
                {"family": "drafts"},
                {"pk", "sk"},
                lambda key: key["pk"] == partition and key["sk"].startswith(DRAFT_PREFIX),
            )
        page = self._call("query", TableName=self.table_name, **kwargs)
        drafts = [SignalDraft.model_validate_json(item["doc"]["S"]) for item in page.get("Items", [])]
        last = page.get("LastEvaluatedKey")
        return Page(items=drafts, next_cursor=encode_cursor(last, partition, {"family": "drafts"}) if last else None)

    def put_draft(self, draft: SignalDraft, expected_version: int | None) -> None:
        item: dict[str, AttributeValueTypeDef] = {
            **keys.draft_key(draft.tenant, draft.id),
            "version": n(draft.version),
            "doc": keys.doc(draft),
            "expires_at": n(int((draft.created_at + DRAFT_RETENTION).timestamp())),
        }
        self._conditional("put_item", expected_version, Item=item)
