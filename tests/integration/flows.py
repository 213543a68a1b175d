"""Harness for the event-driven and nightly flows on moto: a seeded table with its stream, the rescoring queue
(with its DLQ), an EventBridge bus whose rule copies ScoreChanged events to a capture queue, and the real Lambda
handlers (admin, read, stream, planner, worker) pointed at them.

Test modules register the fixture with `flows = flows_module.flows` (a plain import of a fixture would shadow it).
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache, partial
from types import SimpleNamespace
from typing import Any

import boto3
import botocore.endpoint
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders

from local.streams import StreamReader
from shared.adapters import factory
from shared.adapters.dynamodb import DynamoRiskRepository
from shared.adapters.dynamodb import base as dynamodb_base
from shared.adapters.messaging import EVENT_SOURCE, SCORE_CHANGED
from shared.adapters.seed_files import read_seed
from shared.services.seeding import SeedData, seed_reference_data
from tests.conftest import point_handlers_at
from tests.support import ADMIN, READ, ApiResult, FakeLambdaContext, RawBody, api_event, call, create_table

REGION = "us-east-1"
#: A small scored set keeps each full run at 85 x 4 pairs (the default scored set would make every run slow on moto).
SCORED = ("CN", "EU", "JP", "US")
MAX_RECEIVE_COUNT = 3
JP_DUALUSE = "CN-2026-JP-DUALUSE"
JP_LICENCE_STALL = "CN-2026-JP-LICENCE-STALL"
JP_SIGNALS = (JP_DUALUSE, JP_LICENCE_STALL)
#: The heavy rare earths the reported licence stall names (a subset of the dual-use notice's 21 materials).
STALL_MATERIALS = ("dysprosium", "gadolinium", "samarium", "terbium", "yttrium")


@lru_cache(maxsize=1)
def _committed_seed() -> SeedData:
    return read_seed()


def seed(without_signals: Iterable[str] = (), materials: Iterable[str] | None = None) -> SeedData:
    """The committed seed data, optionally without some signals and/or restricted to some materials."""
    base = _committed_seed()
    dropped = set(without_signals)
    keep = set(materials) if materials is not None else {m.id for m in base.materials}
    return SeedData(
        materials=[m for m in base.materials if m.id in keep],
        dependencies=[d for d in base.dependencies if d.material in keep],
        governance=list(base.governance),
        signals=[s for s in base.signals if s.id not in dropped],
    )


def signal_materials(signal_id: str) -> tuple[str, ...]:
    return next(s.materials for s in _committed_seed().signals if s.id == signal_id)


def jp_materials(*others: str) -> tuple[str, ...]:
    """Every material the 2026 JP signals name (a PUT naming an unknown material is refused) plus `others`.

    moto's Query and TransactWriteItems cost time in proportion to the table, so flows that do not need the
    whole catalogue use this smaller one.
    """
    return tuple(sorted({*signal_materials(JP_DUALUSE), *signal_materials(JP_LICENCE_STALL), *others}))


def signal_body(signal_id: str, **changes: Any) -> dict[str, Any]:
    """The PUT /v1/signals/{id} body for a seed signal (optionally changed)."""
    signal = next(s for s in _committed_seed().signals if s.id == signal_id)
    body: dict[str, Any] = signal.model_dump(mode="json", exclude={"id", "version"})
    body.update(changes)
    return body


# ---------------------------------------------------------------------- table snapshots


@dataclass(frozen=True)
class TableState:
    """The table's items, comparable across tables (the table name is in none of them)."""

    #: (importer, material) -> (score, band, computed_at, inputs_hash, doc)
    scores: dict[tuple[str, str], tuple[float, str, str, str, str]]
    #: sorted (importer, material, at, score, expires_at, doc)
    history: tuple[tuple[str, str, str, float, int, str], ...]
    #: every item as sorted (pk, sk, canonical JSON): for "nothing changed at all"
    items: tuple[tuple[str, str, str], ...]

    def reference(self) -> tuple[tuple[str, str, str], ...]:
        """The reference items (materials, dependencies, governance, signals)."""
        families = ("MATERIAL", "DEPENDENCY#", "GOVERNANCE", "SIGNAL")
        return tuple(item for item in self.items if item[0].startswith(families))


def scan_all(client: Any, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        page = client.scan(**kwargs)
        items.extend(page.get("Items", []))
        if not page.get("LastEvaluatedKey"):
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def table_state(client: Any, table: str) -> TableState:
    scores: dict[tuple[str, str], tuple[float, str, str, str, str]] = {}
    history: list[tuple[str, str, str, float, int, str]] = []
    items: list[tuple[str, str, str]] = []
    for item in scan_all(client, table):
        pk, sk = item["pk"]["S"], item["sk"]["S"]
        items.append((pk, sk, json.dumps(item, sort_keys=True)))
        if pk.startswith("SCORE#"):
            scores[(pk.removeprefix("SCORE#"), sk)] = (
                float(item["score"]["N"]),
                item["band"]["S"],
                item["computed_at"]["S"],
                json.loads(item["doc"]["S"])["inputs_hash"],
                item["doc"]["S"],
            )
        elif pk.startswith("HISTORY#"):
            _, importer, material = pk.split("#", 2)
            history.append(
                (importer, material, sk, float(item["score"]["N"]), int(item["expires_at"]["N"]), item["doc"]["S"])
            )
    return TableState(scores=scores, history=tuple(sorted(history)), items=tuple(sorted(items)))


# ---------------------------------------------------------------------- stream records


def stamped(record: dict[str, Any], at: datetime) -> dict[str, Any]:
    """The record as if the change had been written at `at` (its ApproximateCreationDateTime, epoch seconds).

    The stream handler scores a change at that time, so a timeline can be replayed at logical dates.
    """
    return {**record, "dynamodb": {**record["dynamodb"], "ApproximateCreationDateTime": int(at.timestamp())}}


def record_pk(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["Keys"]["pk"]["S"])


def record_sk(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["Keys"]["sk"]["S"])


def redelivery(record: dict[str, Any], receive_count: int) -> dict[str, Any]:
    """The same SQS record delivered again (e.g. its delete was lost), with its receive count."""
    return {**record, "attributes": {**record["attributes"], "ApproximateReceiveCount": str(receive_count)}}


def signal_records(records: Sequence[dict[str, Any]], signal_id: str | None = None) -> list[dict[str, Any]]:
    return [r for r in records if record_pk(r) == "SIGNAL" and (signal_id is None or record_sk(r) == signal_id)]


# ---------------------------------------------------------------------- the harness


@dataclass
class Flow:
    """One seeded table with its queues and bus; `activate()` points the handlers at it."""

    factory: FlowFactory
    table: str
    repo: DynamoRiskRepository
    queue_url: str
    queue_arn: str
    dlq_url: str
    capture_url: str
    bus_name: str
    stream: StreamReader
    env: dict[str, str] = field(default_factory=dict)

    # -- environment

    def activate(self) -> None:
        self.factory.activate(self)

    # -- APIs (admin scope for admin routes, read scope for reads)

    def admin(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> ApiResult:
        self.activate()
        from functions.admin_api.app import lambda_handler

        return call(lambda_handler, api_event(method, path, body=body, scopes=(ADMIN,), headers=headers))

    def read(self, path: str, query: dict[str, str] | None = None) -> ApiResult:
        self.activate()
        from functions.read_api.app import lambda_handler

        return call(lambda_handler, api_event("GET", path, query, scopes=(READ,)))

    def put_signal(self, signal_id: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> ApiResult:
        return self.admin("PUT", f"/v1/signals/{signal_id}", body, headers)

    # -- stream

    def poll_stream(self) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = self.stream.poll()
        return records

    def process_stream(self, records: Sequence[dict[str, Any]] | None = None, at: datetime | None = None) -> None:
        """Invokes the real stream handler with `records` (default: everything new on the stream), optionally
        stamped as written at `at`; every record must succeed."""
        batch = list(self.poll_stream() if records is None else records)
        if at is not None:
            batch = [stamped(r, at) for r in batch]
        self.activate()
        from functions.stream_rescore.app import lambda_handler

        response = lambda_handler({"Records": batch}, FakeLambdaContext())
        assert response == {"batchItemFailures": []}, response

    # -- nightly

    def plan(self, scheduled_time: datetime) -> dict[str, Any]:
        self.activate()
        from functions.nightly_planner.app import lambda_handler

        result: dict[str, Any] = lambda_handler({"scheduled_time": scheduled_time.isoformat()}, FakeLambdaContext())
        return result

    def receive(self, max_messages: int = 10) -> list[dict[str, Any]]:
        """One ReceiveMessage on the rescoring queue, shaped as the SQS event source's records."""
        sqs = self.factory.sqs
        response = sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=max_messages,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return [self.sqs_record(m) for m in response.get("Messages", [])]

    def sqs_record(self, message: Mapping[str, Any]) -> dict[str, Any]:
        attributes = dict(message.get("Attributes", {}))
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": {
                "ApproximateReceiveCount": attributes.get("ApproximateReceiveCount", "1"),
                "SentTimestamp": attributes.get("SentTimestamp", "0"),
                "SenderId": attributes.get("SenderId", "AIDAEXAMPLE"),
                "ApproximateFirstReceiveTimestamp": attributes.get("ApproximateFirstReceiveTimestamp", "0"),
            },
            "messageAttributes": {},
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": REGION,
        }

    def invoke_worker(self, records: Sequence[dict[str, Any]]) -> set[str]:
        """The real worker handler on `records`; returns the message ids it reported as failed.

        When every record fails, Powertools raises instead of answering: the event source mapping then
        retries the whole batch, so that counts as all of them failed.
        """
        self.activate()
        from functions.rescore_worker.app import lambda_handler

        try:
            response = lambda_handler({"Records": list(records)}, FakeLambdaContext())
        except BatchProcessingError:
            return {r["messageId"] for r in records}
        return {f["itemIdentifier"] for f in response["batchItemFailures"]}

    def settle(self, records: Sequence[dict[str, Any]], failed: set[str]) -> None:
        """What the event source mapping does after an invocation: delete the successes, and (standing in for
        the visibility timeout) make the failures visible again at once."""
        sqs = self.factory.sqs
        for record in records:
            if record["messageId"] in failed:
                sqs.change_message_visibility(
                    QueueUrl=self.queue_url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=0
                )
            else:
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=record["receiptHandle"])

    def work(self, max_rounds: int = 50) -> list[set[str]]:
        """Receives and processes until the queue is empty (failures are redelivered, then go to the DLQ)."""
        failures: list[set[str]] = []
        for _ in range(max_rounds):
            records = self.receive()
            if not records:
                return failures
            failed = self.invoke_worker(records)
            failures.append(failed)
            self.settle(records, failed)
        raise AssertionError("the rescoring queue did not drain")

    def night(self, scheduled_time: datetime) -> dict[str, Any]:
        """Planner + workers for one night (no chunk may fail); returns the planner's answer."""
        planned = self.plan(scheduled_time)
        failures = self.work()
        assert not any(failures), failures
        return planned

    def queue_depth(self, url: str | None = None) -> int:
        attributes = self.factory.sqs.get_queue_attributes(
            QueueUrl=url or self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])

    # -- published events

    def published(self) -> list[dict[str, Any]]:
        """Every ScoreChanged detail delivered to the capture queue since the last call."""
        sqs = self.factory.sqs
        details: list[dict[str, Any]] = []
        while True:
            messages = sqs.receive_message(QueueUrl=self.capture_url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return details
            for message in messages:
                event = json.loads(message["Body"])
                assert (event["source"], event["detail-type"]) == (EVENT_SOURCE, SCORE_CHANGED)
                details.append(event["detail"])
                sqs.delete_message(QueueUrl=self.capture_url, ReceiptHandle=message["ReceiptHandle"])

    # -- state

    def state(self) -> TableState:
        return table_state(self.factory.dynamodb, self.table)

    def run(self, run_id: str) -> dict[str, Any]:
        result = self.admin("GET", f"/v1/rescore/{run_id}")
        assert result.status == 200, result.body
        body: dict[str, Any] = result.body
        return body


class FlowFactory:
    """Makes flows (each with its own table, queues and bus) and switches the handlers between them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, dynamodb: Any) -> None:
        self.monkeypatch = monkeypatch
        self.dynamodb = dynamodb
        self.streams = boto3.client("dynamodbstreams", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.events = boto3.client("events", region_name=REGION)
        self.active: Flow | None = None
        self._cleanup: list[Callable[[], object]] = []

    def new(
        self,
        data: SeedData | None = None,
        *,
        scored: Sequence[str] = SCORED,
        chunk_pairs: int = 100,
    ) -> Flow:
        """A table seeded with `data` (default: the whole seed), its stream already drained of the seeding."""
        table = create_table(self.dynamodb)
        self._cleanup.append(partial(self.dynamodb.delete_table, TableName=table))
        repo = DynamoRiskRepository(table, self.dynamodb)
        stream = StreamReader.for_table(self.dynamodb, self.streams, table)
        seed_reference_data(repo, data if data is not None else seed())
        stream.poll()  # the seeding's own records: not changes to react to

        suffix = uuid.uuid4().hex[:10]
        dlq_url = self.sqs.create_queue(QueueName=f"rescore-dlq-{suffix}")["QueueUrl"]
        dlq_arn = self._queue_arn(dlq_url)
        queue_url = self.sqs.create_queue(
            QueueName=f"rescore-{suffix}",
            Attributes={
                "VisibilityTimeout": "720",
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT}),
            },
        )["QueueUrl"]
        capture_url = self.sqs.create_queue(QueueName=f"score-changed-{suffix}")["QueueUrl"]
        bus_name = f"risk-bus-{suffix}"
        self.events.create_event_bus(Name=bus_name)
        rule = f"score-changed-{suffix}"
        self.events.put_rule(
            Name=rule,
            EventBusName=bus_name,
            EventPattern=json.dumps({"source": [EVENT_SOURCE], "detail-type": [SCORE_CHANGED]}),
        )
        self.events.put_targets(
            Rule=rule, EventBusName=bus_name, Targets=[{"Id": "capture", "Arn": self._queue_arn(capture_url)}]
        )
        self._cleanup.append(partial(self.events.delete_event_bus, Name=bus_name))
        self._cleanup.append(partial(self.events.delete_rule, Name=rule, EventBusName=bus_name))
        self._cleanup.append(partial(self.events.remove_targets, Rule=rule, EventBusName=bus_name, Ids=["capture"]))
        for url in (queue_url, dlq_url, capture_url):
            self._cleanup.append(partial(self.sqs.delete_queue, QueueUrl=url))

        flow = Flow(
            factory=self,
            table=table,
            repo=repo,
            queue_url=queue_url,
            queue_arn=self._queue_arn(queue_url),
            dlq_url=dlq_url,
            capture_url=capture_url,
            bus_name=bus_name,
            stream=stream,
            env={
                "RESCORE_QUEUE_URL": queue_url,
                "EVENT_BUS_NAME": bus_name,
                "SCORED_IMPORTERS": " ".join(scored),
                "CHUNK_PAIRS": str(chunk_pairs),
                "MAX_RECEIVE_COUNT": str(MAX_RECEIVE_COUNT),
                "AWS_REGION": REGION,
            },
        )
        self.activate(flow)
        return flow

    def activate(self, flow: Flow) -> None:
        if self.active is flow:
            return
        for name, value in flow.env.items():
            self.monkeypatch.setenv(name, value)
        point_handlers_at(self.monkeypatch, flow.table, None)  # also clears the cached settings and adapters
        self.active = flow

    def _queue_arn(self, url: str) -> str:
        arn: str = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return arn

    def close(self) -> None:
        factory.clear_adapter_caches()
        for cleanup in reversed(self._cleanup):
            cleanup()


@pytest.fixture
def flows(monkeypatch: pytest.MonkeyPatch, dynamodb_client: Any) -> Iterator[FlowFactory]:
    made = FlowFactory(monkeypatch, dynamodb_client)
    yield made
    made.close()


# ---------------------------------------------------------------------- fault injection


class RecordingSleep:
    """Stands in for time.sleep: records the delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def no_backoff(monkeypatch: pytest.MonkeyPatch) -> tuple[RecordingSleep, RecordingSleep]:
    """Backoff without waiting: (the repository's own retry sleeps, botocore's retry sleeps)."""
    repository_sleeps, botocore_sleeps = RecordingSleep(), RecordingSleep()
    monkeypatch.setattr(dynamodb_base, "time", SimpleNamespace(sleep=repository_sleeps))
    monkeypatch.setattr(botocore.endpoint, "time", SimpleNamespace(sleep=botocore_sleeps))
    return repository_sleeps, botocore_sleeps


class UnprocessedProxy:
    """Wraps a DynamoDB client: every `every`-th BatchWriteItem / BatchGetItem call hands back part of its
    request as UnprocessedItems / UnprocessedKeys without performing it, as DynamoDB does under load."""

    def __init__(self, client: Any, table: str, every: int = 2) -> None:
        self._client = client
        self._table = table
        self._every = every
        self.write_calls = 0
        self.get_calls = 0
        self.unprocessed_writes = 0
        self.unprocessed_gets = 0
        self.largest_write = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def batch_write_item(self, **kwargs: Any) -> dict[str, Any]:
        self.write_calls += 1
        requests = list(kwargs["RequestItems"][self._table])
        self.largest_write = max(self.largest_write, len(requests))
        if self.write_calls % self._every or len(requests) < 2:
            response: dict[str, Any] = self._client.batch_write_item(**kwargs)
            return response
        done, held_back = requests[: len(requests) // 2], requests[len(requests) // 2 :]
        self.unprocessed_writes += len(held_back)
        response = self._client.batch_write_item(RequestItems={self._table: done})
        unprocessed = list(response.get("UnprocessedItems", {}).get(self._table, []))
        response["UnprocessedItems"] = {self._table: unprocessed + held_back}
        return response

    def batch_get_item(self, **kwargs: Any) -> dict[str, Any]:
        self.get_calls += 1
        keys = list(kwargs["RequestItems"][self._table]["Keys"])
        if self.get_calls % self._every or len(keys) < 2:
            response: dict[str, Any] = self._client.batch_get_item(**kwargs)
            return response
        done, held_back = keys[: len(keys) // 2], keys[len(keys) // 2 :]
        self.unprocessed_gets += len(held_back)
        response = self._client.batch_get_item(RequestItems={self._table: {"Keys": done}})
        response["UnprocessedKeys"] = {self._table: {"Keys": held_back}}
        return response


class ThrottleInjector:
    """A `before-send` hook on one botocore client: every `every`-th attempt of the chosen operations is
    answered with a throttling error *instead of* reaching (moto's) DynamoDB, so botocore's standard retry mode
    (the production client's config) is what has to recover. It also counts the items of the attempts that do
    reach the table, so a test can show every item was written exactly once."""

    def __init__(
        self,
        operations: Sequence[str] = ("BatchWriteItem", "BatchGetItem"),
        every: int = 3,
        codes: Sequence[str] = ("ProvisionedThroughputExceededException", "ThrottlingException"),
    ) -> None:
        self.operations = tuple(operations)
        self.every = every
        self.codes = tuple(codes)
        self.attempts = 0
        self.throttled: Counter[str] = Counter()
        self.written: Counter[tuple[str, str]] = Counter()

    def install(self, client: Any) -> None:
        for operation in self.operations:
            client.meta.events.register_first(f"before-send.dynamodb.{operation}", self)

    def __call__(self, request: AWSPreparedRequest, **kwargs: Any) -> AWSResponse | None:
        target = request.headers.get("X-Amz-Target", b"")
        operation = (target.decode() if isinstance(target, bytes) else str(target)).rsplit(".", 1)[-1]
        self.attempts += 1
        if self.attempts % self.every == 1:
            code = self.codes[sum(self.throttled.values()) % len(self.codes)]
            self.throttled[f"{operation}:{code}"] += 1
            # Point the request nowhere moto serves: the mocked table never sees a throttled attempt.
            request.url = "https://throttled.invalid/"
            body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": "Rate exceeded"})
            headers = HTTPHeaders()
            headers["Content-Type"] = "application/x-amz-json-1.0"
            return AWSResponse("https://throttled.invalid/", 400, headers, RawBody(body.encode()))
        if operation == "BatchWriteItem" and isinstance(request.body, str | bytes):
            payload = json.loads(request.body)
            for requests in payload.get("RequestItems", {}).values():
                for write in requests:
                    item = write["PutRequest"]["Item"]
                    self.written[(item["pk"]["S"], item["sk"]["S"])] += 1
        if operation == "TransactWriteItems" and isinstance(request.body, str | bytes):
            # the score items' conditional puts (run counters and chunk markers are not score or history items)
            for action in json.loads(request.body).get("TransactItems", []):
                item = action.get("Put", {}).get("Item", {})
                if item.get("pk", {}).get("S", "").startswith("SCORE#"):
                    self.written[(item["pk"]["S"], item["sk"]["S"])] += 1
        return None
