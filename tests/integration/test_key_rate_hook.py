"""The hot-keys bench's botocore hook (scripts/cost/key_rate.py) on a real client (moto): a write is recorded when
DynamoDB has answered, a failed conditional write is not."""

from __future__ import annotations

from typing import Any

import pytest

from scripts.cost.key_rate import KeySchema, WriteRecorder
from tests.unit.test_key_rate import SMALL, _score


def test_the_client_hook_counts_successful_writes_and_skips_failed_ones(dynamodb_client: Any, fresh_table: str) -> None:
    client, table = dynamodb_client, fresh_table
    recorder = WriteRecorder(KeySchema.from_template(), clock=lambda: 42.0)
    recorder.attach(client)
    item = {**_score("US", "dy", "0.5", SMALL), "computed_at": {"S": "2026-11-28"}}
    client.put_item(TableName=table, Item=item)
    with pytest.raises(client.exceptions.ConditionalCheckFailedException):
        client.put_item(TableName=table, Item=item, ConditionExpression="attribute_not_exists(pk)")
    assert [(w.at, w.index, w.key, w.units) for w in recorder.writes] == [
        (42.0, "table", "SCORE#US", 1),
        (42.0, "gsi1", "RANK#IMPORTER#US", 1),
        (42.0, "gsi2", "RANK#MATERIAL#dy", 1),
    ]
    assert recorder.failed_requests == 1
