"""The local stack's asynchronous plumbing on its own: moto's server as SQS/EventBridge, the event-source pollers
(retries, partial failures, redrive to the DLQ, filters) and `make rescore`'s checks. Stub functions stand in for
the handlers, so each behaviour is forced and observed directly."""

from __future__ import annotations

import dataclasses
import json
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from local import rescore as local_rescore
from local.dynamodb_local import local_client, local_streams_client
from local.messaging import LocalMessaging, MessagingResources, local_events_client, local_sqs_client
from local.pollers import AlertsPoller, QueuePoller, StreamPoller, format_alert, matches_filter
from local.stack import StackInfo, write_stack_file
from local.streams import StreamReader
from shared.adapters.messaging import EVENT_SOURCE, SCORE_CHANGED
from tests.support import wait_until
from tooling.sam_template import dynamodb_event_sources, load_template, sqs_event_sources, sqs_queues

TEMPLATE = load_template()
STREAM_SOURCE = next(s for s in dynamodb_event_sources(TEMPLATE) if s.function_logical_id == "StreamRescoreFunction")
WORKER_SOURCE = next(s for s in sqs_event_sources(TEMPLATE) if s.function_logical_id == "RescoreWorkerFunction")


@pytest.fixture(scope="module")
def messaging() -> Iterator[MessagingResources]:
    """moto's server with the template's queues; a 1 s visibility timeout makes redeliveries quick."""
    server = LocalMessaging(TEMPLATE, visibility_timeout_s=1, stack_name=f"pollers-{uuid.uuid4().hex[:6]}")
    with server as resources:
        yield resources


# ----------------------------------------------------------------------------------------- template reading


def test_event_sources_and_queues_come_from_the_template() -> None:
    assert STREAM_SOURCE.table_logical_id == "RiskTable"
    assert STREAM_SOURCE.batch_size == 10 and STREAM_SOURCE.max_retry_attempts == 5
    assert STREAM_SOURCE.report_batch_item_failures and STREAM_SOURCE.bisect_on_error
    assert STREAM_SOURCE.on_failure_logical_id == "StreamFailuresDLQ"
    assert len(STREAM_SOURCE.filter_patterns) == 1
    assert (WORKER_SOURCE.queue_logical_id, WORKER_SOURCE.batch_size) == ("RescoreQueue", 2)
    assert WORKER_SOURCE.report_batch_item_failures
    queue = sqs_queues(TEMPLATE)["RescoreQueue"]
    assert (queue.dead_letter_logical_id, queue.max_receive_count) == ("RescoreDLQ", 3)


@pytest.mark.parametrize(
    ("pk", "delivered"),
    [("SIGNAL", True), ("MATERIAL", True), ("GOVERNANCE", True), ("DEPENDENCY#dysprosium", True),
     ("SCORE#US", False), ("HISTORY#US#dysprosium", False), ("RUN#nightly-1", False)],
)  # fmt: skip
def test_the_template_filter_delivers_only_inputs_of_a_score(pk: str, delivered: bool) -> None:
    record = {"eventName": "INSERT", "dynamodb": {"Keys": {"pk": {"S": pk}, "sk": {"S": "x"}}}}
    assert any(matches_filter(p, record) for p in STREAM_SOURCE.filter_patterns) is delivered


def test_filter_operators() -> None:
    assert matches_filter({"a": [{"suffix": "z"}]}, {"a": "xyz"})
    assert matches_filter({"a": [{"anything-but": ["x"]}]}, {"a": "y"})
    assert not matches_filter({"a": [{"anything-but": "y"}]}, {"a": "y"})
    assert matches_filter({"a": [{"exists": False}]}, {"b": 1})
    assert not matches_filter({"a": ["v"]}, {"b": "v"})
    with pytest.raises(ValueError, match="unsupported filter operator"):
        matches_filter({"a": [{"numeric": [">", 1]}]}, {"a": 2})


# ----------------------------------------------------------------------------------------- messaging


def test_botocore_reaches_the_local_endpoint_through_the_environment_alone(
    messaging: MessagingResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The production adapters build clients without endpoint_url: the per-service variables must be the ones
    botocore reads (AWS_ENDPOINT_URL_EVENTBRIDGE, not ..._EVENTS)."""
    for name, value in messaging.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    for service in ("sqs", "events"):
        client = boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
        assert client.meta.endpoint_url == messaging.endpoint_url, service


def test_queues_have_the_template_redrive_policy(messaging: MessagingResources) -> None:
    sqs = local_sqs_client(messaging.endpoint_url)
    attributes = sqs.get_queue_attributes(QueueUrl=messaging.queue_urls["RescoreQueue"], AttributeNames=["All"])
    redrive = json.loads(attributes["Attributes"]["RedrivePolicy"])
    assert redrive == {"deadLetterTargetArn": messaging.queue_arn("RescoreDLQ"), "maxReceiveCount": 3}
    values = messaging.resource_values()
    assert values["RescoreQueue"] == messaging.queue_urls["RescoreQueue"]
    assert values["ScoreEventsBus"] == messaging.event_buses["ScoreEventsBus"]


def test_score_changed_events_reach_the_alerts_poller(messaging: MessagingResources) -> None:
    lines: list[str] = []
    poller = AlertsPoller(local_sqs_client(messaging.endpoint_url), messaging.alerts_queue_url, echo=lines.append)
    poller.start()
    try:
        detail = {
            "importer": "US", "material": "dysprosium", "old_score": 64.8, "new_score": 94.5,
            "old_band": "high", "new_band": "critical", "cause": {"type": "signal", "id": "CN-X"},
        }  # fmt: skip
        events = local_events_client(messaging.endpoint_url)
        bus = messaging.event_buses["ScoreEventsBus"]
        events.put_events(
            Entries=[
                {
                    "Source": EVENT_SOURCE,
                    "DetailType": SCORE_CHANGED,
                    "Detail": json.dumps(detail),
                    "EventBusName": bus,
                },
                {"Source": "someone-else", "DetailType": "Other", "Detail": "{}", "EventBusName": bus},
            ]
        )
        assert poller.wait_for(lambda d: d.get("cause", {}).get("id") == "CN-X", timeout_s=10) == detail
    finally:
        poller.stop()
    assert poller.received == [detail]  # the rule forwards ScoreChanged only
    assert lines == [format_alert(detail)]
    assert lines[0] == "[alert] ScoreChanged US dysprosium: 64.8 (high) -> 94.5 (critical), cause signal CN-X"


def test_failed_chunks_come_back_then_go_to_the_dlq_and_good_ones_are_deleted(messaging: MessagingResources) -> None:
    sqs = local_sqs_client(messaging.endpoint_url)
    queue_url, dlq_url = messaging.queue_urls["RescoreQueue"], messaging.queue_urls["RescoreDLQ"]
    seen: list[tuple[str, str]] = []
    lock = threading.Lock()

    def worker(event: dict[str, Any]) -> dict[str, Any]:
        failures = []
        for record in event["Records"]:
            assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"] == messaging.queue_arn(
                "RescoreQueue"
            )
            with lock:
                seen.append((record["body"], record["attributes"]["ApproximateReceiveCount"]))
            if record["body"] == "bad":
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}

    sqs.send_message(QueueUrl=queue_url, MessageBody="good")
    sqs.send_message(QueueUrl=queue_url, MessageBody="bad")
    poller = QueuePoller(sqs, queue_url, messaging.queue_arn("RescoreQueue"), WORKER_SOURCE, worker, log=lambda _: None)
    poller.start()
    try:
        # 3 deliveries (maxReceiveCount), then SQS moves the message to the DLQ on the next receive
        assert wait_until(lambda: [c for b, c in seen if b == "bad"] == ["1", "2", "3"], timeout_s=20)
        dead = sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=5)["Messages"]
    finally:
        poller.stop()
    assert [m["Body"] for m in dead] == ["bad"]
    assert [c for b, c in seen if b == "good"] == ["1"]  # processed once, deleted
    assert poller.processed == 1 and poller.failed_deliveries == 3


def test_a_raising_worker_leaves_the_whole_batch_for_redelivery(messaging: MessagingResources) -> None:
    sqs = local_sqs_client(messaging.endpoint_url)
    queue_url = messaging.queue_urls["RescoreQueue"]
    calls: list[list[str]] = []

    def flaky(event: dict[str, Any]) -> None:
        calls.append([r["attributes"]["ApproximateReceiveCount"] for r in event["Records"]])
        if len(calls) == 1:
            raise RuntimeError("first delivery fails")

    sqs.send_message(QueueUrl=queue_url, MessageBody="once-failing")
    poller = QueuePoller(sqs, queue_url, messaging.queue_arn("RescoreQueue"), WORKER_SOURCE, flaky, log=lambda _: None)
    poller.start()
    try:
        assert wait_until(lambda: len(calls) >= 2, timeout_s=10)
    finally:
        poller.stop()
    assert calls[:2] == [["1"], ["2"]]
    assert poller.processed == 1


# ----------------------------------------------------------------------------------------- stream


def _put(client: Any, table: str, pk: str, sk: str) -> None:
    client.put_item(TableName=table, Item={"pk": {"S": pk}, "sk": {"S": sk}})


def test_stream_poller_filters_batches_retries_from_the_failed_record_and_gives_up(
    dynamodb_local_endpoint: str, local_table: str
) -> None:
    client = local_client(dynamodb_local_endpoint)
    reader = StreamReader.for_table(client, local_streams_client(dynamodb_local_endpoint), local_table)
    _put(client, local_table, "SIGNAL", "seeded-before-start")
    assert reader.skip_existing() == 1

    source = dataclasses.replace(STREAM_SOURCE, batch_size=3, max_retry_attempts=2)
    calls: list[list[str]] = []
    given_up: list[dict[str, Any]] = []

    def handler(event: dict[str, Any]) -> dict[str, Any]:
        sks = [r["dynamodb"]["Keys"]["sk"]["S"] for r in event["Records"]]
        calls.append(sks)
        failing = [r for r in event["Records"] if r["dynamodb"]["Keys"]["sk"]["S"] in ("s2", "s4")]
        return {"batchItemFailures": [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in failing[:1]]}

    for pk, sk in [("SIGNAL", "s1"), ("SCORE#US", "not-an-input"), ("MATERIAL", "s2"), ("SIGNAL", "s3"),
                   ("GOVERNANCE", "s4"), ("DEPENDENCY#x", "s5")]:  # fmt: skip
        _put(client, local_table, pk, sk)
    poller = StreamPoller(reader, source, handler, on_failure=given_up.append, retry_wait_s=0.01, log=lambda _: None)
    poller.start()
    try:
        assert wait_until(lambda: len(given_up) == 2, timeout_s=15)
    finally:
        poller.stop()
    # batch [s1 s2 s3]: s1 done, s2 fails -> [s2 s3] x2 retries -> given up; then [s4 s5] the same way
    assert calls == [["s1", "s2", "s3"], ["s2", "s3"], ["s2", "s3"], ["s4", "s5"], ["s4", "s5"], ["s4", "s5"]]
    assert poller.delivered == 1  # s1; s3 and s5 waited behind a failing record and went with it
    assert [info["DDBStreamBatchInfo"]["batchSize"] for info in given_up] == [2, 2]
    assert given_up[0]["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert given_up[0]["DDBStreamBatchInfo"]["streamArn"] == reader.stream_arn


def test_stream_poller_bisects_a_batch_when_the_handler_raises(dynamodb_local_endpoint: str, local_table: str) -> None:
    client = local_client(dynamodb_local_endpoint)
    reader = StreamReader.for_table(client, local_streams_client(dynamodb_local_endpoint), local_table)
    source = dataclasses.replace(STREAM_SOURCE, batch_size=4, max_retry_attempts=0)
    calls: list[list[str]] = []

    def handler(event: dict[str, Any]) -> None:
        sks = [r["dynamodb"]["Keys"]["sk"]["S"] for r in event["Records"]]
        calls.append(sks)
        if "poison" in sks:
            raise RuntimeError("poison record")

    for sk in ("a", "b", "poison", "d"):
        _put(client, local_table, "SIGNAL", sk)
    given_up: list[dict[str, Any]] = []
    poller = StreamPoller(reader, source, handler, on_failure=given_up.append, retry_wait_s=0.01, log=lambda _: None)
    poller.start()
    try:
        assert wait_until(lambda: poller.delivered == 3 and len(given_up) == 1, timeout_s=15)
    finally:
        poller.stop()
    assert calls == [["a", "b", "poison", "d"], ["a", "b"], ["poison", "d"], ["poison"], ["d"]]
    assert given_up[0]["DDBStreamBatchInfo"]["batchSize"] == 1


# ----------------------------------------------------------------------------------------- make rescore


def test_rescore_without_a_running_stack_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert local_rescore.main(["--stack-file", str(tmp_path / "stack.json")]) == 1
    err = capsys.readouterr().err
    assert "the local stack is not running" in err and "make run" in err


def test_rescore_with_a_stale_stack_file_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], messaging: MessagingResources
) -> None:
    stale = tmp_path / "stack.json"
    dead_pid = 2**22 + 12345  # above Linux's default pid_max: no such process
    write_stack_file(
        stale,
        StackInfo(
            dead_pid, "2026-01-01T00:00:00+00:00", "http://127.0.0.1:1", "http://127.0.0.1:1", "T", "s", messaging
        ),
    )
    assert local_rescore.main(["--stack-file", str(stale)]) == 1
    err = capsys.readouterr().err
    assert f"pid {dead_pid}" in err and "not running" in err and "make run" in err


def test_stack_file_round_trips(tmp_path: Path, messaging: MessagingResources) -> None:
    info = StackInfo(os.getpid(), "now", "http://a", "http://b", "T", "s", messaging)
    write_stack_file(tmp_path / "s.json", info)
    assert StackInfo.from_json(json.loads((tmp_path / "s.json").read_text())) == info
