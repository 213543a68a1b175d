"""Reads a DynamoDB stream (DynamoDB Local's, or moto's) and shapes records as Lambda receives them.

The local stack's poller and the tests use this to drive the real stream handler without AWS.

Time precision: AWS stamps a record's ApproximateCreationDateTime to the second, DynamoDB Local to the minute.
The stream handler scores a change at that time and never replaces a later score with an earlier one, so a
minute-stamped change could lose to a score written earlier in the same minute (e.g. by a rescoring run).
With `second_precision=True` (the local stack's poller) a minute-aligned stamp is refined to the second the
reader first saw the record, capped at the end of that minute: the reader polls every fraction of a second, so
that is within a second of when the record was made, as AWS would report it.
"""

from __future__ import annotations

import time
from typing import Any


class StreamReader:
    """Follows every shard of one table's stream from the start (TRIM_HORIZON), like the event source mapping."""

    def __init__(self, streams_client: Any, stream_arn: str, *, second_precision: bool = False) -> None:
        self.client = streams_client
        self.stream_arn = stream_arn
        self.second_precision = second_precision
        self._iterators: dict[str, str | None] = {}

    @classmethod
    def for_table(
        cls, dynamodb_client: Any, streams_client: Any, table_name: str, *, second_precision: bool = False
    ) -> StreamReader:
        arn = dynamodb_client.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
        return cls(streams_client, arn, second_precision=second_precision)

    def _refresh_shards(self) -> None:
        description = self.client.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        for shard in description.get("Shards", []):
            shard_id = shard["ShardId"]
            if shard_id not in self._iterators:
                self._iterators[shard_id] = self.client.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]

    def poll(self) -> list[dict[str, Any]]:
        """Every record written since the last poll, in shard order, as Lambda event records."""
        self._refresh_shards()
        records: list[dict[str, Any]] = []
        for shard_id, iterator in list(self._iterators.items()):
            while iterator:
                page = self.client.get_records(ShardIterator=iterator, Limit=1000)
                seen_at = time.time() if self.second_precision else None
                records.extend(_lambda_record(r, self.stream_arn, seen_at) for r in page.get("Records", []))
                next_iterator = page.get("NextShardIterator")
                if not page.get("Records"):
                    iterator = next_iterator
                    break
                iterator = next_iterator
            self._iterators[shard_id] = iterator
        return records

    def skip_existing(self) -> int:
        """Move past every record already in the stream (e.g. the seed data's); returns how many were skipped.

        The local stack seeds and scores the table before its stream poller starts: those records are not
        changes anyone made, and replaying them would rescore every pair once per seeded item.
        """
        return len(self.poll())


def _lambda_record(record: dict[str, Any], stream_arn: str, seen_at: float | None = None) -> dict[str, Any]:
    stream = dict(record["dynamodb"])
    created = stream.get("ApproximateCreationDateTime")
    if created is not None and not isinstance(created, int | float):
        created = int(created.timestamp())  # boto3 parses it into a datetime
    if isinstance(created, int | float) and seen_at is not None and int(created) % 60 == 0:
        created = max(int(created), min(int(seen_at), int(created) + 59))  # see the module docstring
    if created is not None:
        stream["ApproximateCreationDateTime"] = created
    return {
        "eventID": record.get("eventID"),
        "eventName": record.get("eventName"),
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion", "us-east-1"),
        "dynamodb": stream,
        "eventSourceARN": stream_arn,
    }


def lambda_event(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Records": records}
