"""Rescoring runs: the run item stores counters only (the status rule is the domain's, RescoreRun.status); one
marker item per chunk outcome, written with the counters in one transaction, makes counting exactly-once."""

from __future__ import annotations

from datetime import datetime

from botocore.exceptions import ClientError

from shared.adapters.dynamodb import keys
from shared.adapters.dynamodb.base import DynamoTable, error_code
from shared.adapters.dynamodb.keys import n, s
from shared.domain.errors import StoreUnavailableError
from shared.ports import RescoreRun

_COUNTERS = ("chunks_total", "chunks_done", "chunks_failed", "pairs_scored")


class DynamoRunRepository(DynamoTable):
    """Implements shared.ports.RunStore."""

    def create_run(self, run: RescoreRun) -> tuple[RescoreRun, bool]:
        item = {
            **keys.run_key(run.run_id),
            "as_of": s(run.as_of.isoformat()),
            "chunks_total": n(run.chunks_total),
            "chunks_done": n(0),
            "chunks_failed": n(0),
            "pairs_scored": n(0),
            "created_at": s(run.created_at.isoformat()),
        }
        if run.request_digest is not None:
            item["request_digest"] = s(run.request_digest)
        created = True
        try:
            self._call("put_item", TableName=self.table_name, Item=item, ConditionExpression="attribute_not_exists(pk)")
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            created = False
        stored = self.get_run(run.run_id)
        if stored is None:  # just written or already there; only a concurrent delete could get here
            raise StoreUnavailableError(f"rescoring run {run.run_id} vanished right after it was written")
        return stored, created

    def get_run(self, run_id: str) -> RescoreRun | None:
        item = self._get(keys.run_key(run_id), ConsistentRead=True)
        if not item:
            return None
        total, done, failed, pairs = (int(item[name]["N"]) for name in _COUNTERS)
        return RescoreRun(
            run_id=run_id,
            as_of=datetime.fromisoformat(item["as_of"]["S"]),
            chunks_total=total,
            chunks_done=done,
            chunks_failed=failed,
            pairs_scored=pairs,
            created_at=datetime.fromisoformat(item["created_at"]["S"]),
            request_digest=item["request_digest"]["S"] if "request_digest" in item else None,
        )

    def record_chunk_done(self, run_id: str, chunk_index: int, pairs_scored: int) -> bool:
        return self._count_chunk_once(
            run_id, keys.chunk_marker(chunk_index, "DONE"), {"chunks_done": 1, "pairs_scored": pairs_scored}, "done"
        )

    def record_chunk_failed(self, run_id: str, chunk_index: int, reason: str) -> bool:
        return self._count_chunk_once(run_id, keys.chunk_marker(chunk_index, "FAILED"), {"chunks_failed": 1}, reason)

    def _count_chunk_once(self, run_id: str, marker: str, counters: dict[str, int], detail: str) -> bool:
        """A marker item per chunk, written with the counters in one transaction: a repeat changes nothing."""
        updates = ", ".join(f"{name} :{name}" for name in counters)
        try:
            self._call(
                "transact_write_items",
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table_name,
                            "Item": {**keys.key(keys.run_partition(run_id), marker), "detail": s(detail[:1000])},
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.table_name,
                            "Key": keys.run_key(run_id),
                            "UpdateExpression": f"ADD {updates}",
                            "ConditionExpression": "attribute_exists(pk)",
                            "ExpressionAttributeValues": {f":{name}": n(v) for name, v in counters.items()},
                        }
                    },
                ],
            )
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException":
                return False
            raise
        return True
