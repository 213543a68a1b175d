"""AlertDeliveryFunction's real handler on moto (DynamoDB, SQS, KMS) with a receiver on 127.0.0.1 (issue 16): a
ScoreChanged message fans out into delivery tasks on the queue; a task is delivered signed, re-queued with a delay
on a 503, or dead-lettered with its reason and recorded on the subscription on a 410."""

from __future__ import annotations

import http.server
import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any, ClassVar

import boto3
import pytest

from shared.adapters.aws import CLIENT_CONFIG
from shared.adapters.dynamodb_repository import DynamoRiskRepository
from shared.adapters.factory import clear_adapter_caches
from shared.adapters.seed_files import read_seed
from shared.domain.webhooks import verify
from shared.ports import Pair
from shared.services.rescoring import score_pairs_live
from shared.services.seeding import seed_reference_data
from tests.conftest import point_handlers_at
from tests.support import PORTFOLIO, SEED_AS_OF, FakeLambdaContext, api_event, call, create_table


class Receiver(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list[tuple[str, dict[str, str], bytes]]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Receiver.requests.append((self.path, dict(self.headers), body))
        status = {"/ok": 200, "/busy": 503, "/gone": 410}.get(self.path, 404)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture(scope="module")
def receiver() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def table(dynamodb_client: Any) -> Iterator[str]:
    name = create_table(dynamodb_client)
    repo = DynamoRiskRepository(name, dynamodb_client)
    seed_reference_data(repo, read_seed())
    # one stored score: the deliveries' drivers come from it
    repo.save_scores(list(score_pairs_live(repo, [Pair("US", "dysprosium")], SEED_AS_OF).values()), 2_000_000_000)
    yield name
    dynamodb_client.delete_table(TableName=name)


class Stack:
    def __init__(self, queue_url: str, dlq_url: str) -> None:
        self.sqs = boto3.client("sqs", region_name="us-east-1", config=CLIENT_CONFIG)
        self.queue_url, self.dlq_url = queue_url, dlq_url

    def take(self, url: str) -> list[Any]:
        messages: list[Any] = self.sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], AttributeNames=["All"]
        ).get("Messages", [])
        for m in messages:
            self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return messages


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch, table: str, dynamodb_client: Any) -> Iterator[Stack]:
    sqs = boto3.client("sqs", region_name="us-east-1", config=CLIENT_CONFIG)
    suffix = uuid.uuid4().hex[:8]
    queue = sqs.create_queue(QueueName=f"deliveries-{suffix}")["QueueUrl"]
    dlq = sqs.create_queue(QueueName=f"deliveries-dlq-{suffix}")["QueueUrl"]
    key = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
    for name, value in {
        "SUBSCRIPTION_KEY_ID": key,
        "DELIVERY_QUEUE_URL": queue,
        "DELIVERY_DLQ_URL": dlq,
        "ALLOW_LOOPBACK_WEBHOOKS": "true",
        "WEBHOOK_LOOPBACK_ONLY": "true",
        "WEBHOOK_BASE_DELAY_SECONDS": "0.4",  # the re-queued task is receivable at once (DelaySeconds rounds to 0)
    }.items():
        monkeypatch.setenv(name, value)
    point_handlers_at(monkeypatch, table, None)
    yield Stack(queue, dlq)
    clear_adapter_caches()


def sqs_event(*bodies: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "r",
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1",
                    "SenderId": "s",
                    "ApproximateFirstReceiveTimestamp": "1",
                },
                "messageAttributes": {},
                "md5OfBody": "0" * 32,
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:deliveries",
                "awsRegion": "us-east-1",
            }
            for body in bodies
        ]
    }


def score_changed(cause_id: str) -> str:
    detail = {
        "importer": "US",
        "material": "dysprosium",
        "old_score": 40.0,
        "new_score": 52.0,
        "old_band": "moderate",
        "new_band": "high",
        "cause": {"type": "signal", "id": cause_id},
        "computed_at": "2026-11-28T09:00:00+00:00",
    }
    return json.dumps({"detail-type": "ScoreChanged", "source": "materials-risk", "detail": detail, "id": "x"})


def test_a_score_change_is_matched_queued_and_delivered_retried_or_dead_lettered(stack: Stack, receiver: str) -> None:
    from functions.alert_delivery.app import lambda_handler
    from functions.portfolio_api.app import lambda_handler as portfolio_handler

    tenant = f"team-{uuid.uuid4().hex[:6]}"
    secrets = {}
    for path in ("ok", "busy", "gone"):
        body = {"materials": ["dysprosium"], "bands": ["high"], "url": f"{receiver}/{path}"}
        created = call(
            portfolio_handler,
            api_event("PUT", f"/v1/subscriptions/{path}", body=body, scopes=(PORTFOLIO,), client_id=tenant),
        )
        assert created.status == 201, created.body
        secrets[path] = created.body["secret"]
    cause = f"CN-{uuid.uuid4().hex[:6]}"

    assert lambda_handler(sqs_event(score_changed(cause)), FakeLambdaContext()) == {"batchItemFailures": []}
    tasks = stack.take(stack.queue_url)
    assert sorted(json.loads(m["Body"])["subscription_id"] for m in tasks) == ["busy", "gone", "ok"]

    Receiver.requests.clear()
    assert lambda_handler(sqs_event(*(m["Body"] for m in tasks)), FakeLambdaContext()) == {"batchItemFailures": []}
    by_path = {p: (h, b) for p, h, b in Receiver.requests}
    ok_headers, ok_body = by_path["/ok"]
    assert verify(secrets["ok"], ok_headers, ok_body, now=int(time.time()))
    assert json.loads(ok_body)["cause"]["id"] == cause and json.loads(ok_body)["drivers"]

    retried = stack.take(stack.queue_url)
    assert [json.loads(m["Body"])["subscription_id"] for m in retried] == ["busy"]
    assert json.loads(retried[0]["Body"])["attempt"] == 2
    dead = stack.take(stack.dlq_url)
    assert [json.loads(m["Body"])["subscription_id"] for m in dead] == ["gone"]
    assert "410" in dead[0]["MessageAttributes"]["reason"]["StringValue"]
    gone = call(portfolio_handler, api_event("GET", "/v1/subscriptions/gone", scopes=(PORTFOLIO,), client_id=tenant))
    assert gone.body["last_failure"]["status_code"] == 410

    # the same tasks again (an SQS redelivery): the delivered one is not sent twice
    Receiver.requests.clear()
    ok_task = next(m["Body"] for m in tasks if json.loads(m["Body"])["subscription_id"] == "ok")
    assert lambda_handler(sqs_event(ok_task), FakeLambdaContext()) == {"batchItemFailures": []}
    assert Receiver.requests == []
