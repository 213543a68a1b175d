"""Reads a DynamoDB stream (DynamoDB Local's, or moto's) and shapes records as Lambda receives them.

The local stack's poller and the tests use this to drive the real stream handler without AWS.
"""

from __future__ import annotations

from typing import Any


class StreamReader:
    """Follows every shard of one table's stream from the start (TRIM_HORIZON), like the event source mapping."""

    def __init__(self, streams_client: Any, stream_arn: str) -> None:
        self.client = streams_client
        self.stream_arn = stream_arn
        self._iterators: dict[str, str | None] = {}

    @classmethod
    def for_table(cls, dynamodb_client: Any, streams_client: Any, table_name: str) -> StreamReader:
        arn = dynamodb_client.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
        return cls(streams_client, arn)

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
                records.extend(_lambda_record(r, self.stream_arn) for r in page.get("Records", []))
                next_iterator = page.get("NextShardIterator")
                if not page.get("Records"):
                    iterator = next_iterator
                    break
                iterator = next_iterator
            self._iterators[shard_id] = iterator
        return records


def _lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    stream = dict(record["dynamodb"])
    created = stream.get("ApproximateCreationDateTime")
    if created is not None and not isinstance(created, int | float):
        stream["ApproximateCreationDateTime"] = int(created.timestamp())  # boto3 parses it into a datetime
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
