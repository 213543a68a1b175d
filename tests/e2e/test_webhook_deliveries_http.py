"""The whole alert loop over real HTTP (issue 16): subscribe, PUT a signal, the stream rescores, ScoreChanged goes
bus -> rule -> AlertDeliveryQueue -> AlertDeliveryFunction, and signed webhooks reach real receivers on 127.0.0.1:
one that is up (exactly one verified delivery with the right content), one that answers 500 twice then 200 (the
same delivery id three times, recorded delivered once), one that answers 410 (not retried: DLQ + the failure on
the subscription) and one that is down at first and up later (it gets the delivery once)."""

from __future__ import annotations

import http.server
import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest

from local.dynamodb_local import local_client
from local.messaging import local_sqs_client
from local.stack import LocalStack
from shared.adapters.dynamodb import DynamoRiskRepository
from shared.domain.webhooks import verify
from tests.e2e.client import ApiClient, eventually
from tests.e2e.conftest import E2E_WEBHOOK_RETRY_WINDOW_S
from tests.support import IDLE_TIMEOUT_S

TIMEOUT_S = 60.0


class Receiver(http.server.BaseHTTPRequestHandler):
    """Records every request; /flaky answers 500 to its first two, /gone 410, /redirect 302 to /internal-only,
    anything else 200."""

    requests: ClassVar[list[tuple[str, dict[str, str], bytes]]] = []
    lock = threading.Lock()

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with Receiver.lock:
            Receiver.requests.append((self.path, dict(self.headers), body))
            flaky_so_far = sum(1 for p, _, _ in Receiver.requests if p == "/flaky")
        status = 200
        if self.path == "/flaky" and flaky_so_far <= 2:
            status = 500
        elif self.path == "/gone":
            status = 410
        elif self.path == "/redirect":
            # SSRF by redirect: toward the metadata address; loopback (a private address in AWS) is where we can see
            # whether it was followed, so the test uses that one
            status = 302
        self.send_response(status)
        if status == 302:
            port = self.server.server_port  # type: ignore[attr-defined]
            self.send_header("Location", f"http://127.0.0.1:{port}/internal-only")
        self.send_header("Content-Length", "0")
        self.end_headers()


def serve(server: http.server.HTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def receivers() -> Iterator[tuple[str, http.server.HTTPServer]]:
    """(the base URL of a receiver that is up, a second one bound but not listening yet: connections refused)"""
    Receiver.requests.clear()
    up = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    serve(up)
    later = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver, bind_and_activate=False)
    later.server_bind()  # bound, not listening: the receiver is down
    yield f"http://127.0.0.1:{up.server_address[1]}", later
    for server in (up, later):
        if getattr(server, "_serving", False) or server is up:
            server.shutdown()
        server.server_close()


def requests_to(path: str, cause: str) -> list[tuple[dict[str, str], bytes]]:
    with Receiver.lock:
        return [(h, b) for p, h, b in Receiver.requests if p == path and json.loads(b)["cause"]["id"] == cause]


def test_signal_put_to_signed_webhooks(
    api: ApiClient, e2e_stack: LocalStack, receivers: tuple[str, http.server.HTTPServer]
) -> None:
    assert e2e_stack.wait_until_idle(timeout_s=IDLE_TIMEOUT_S)
    base, later = receivers
    suffix = uuid.uuid4().hex[:6]
    watch = {"pairs": [{"importer": "US", "material": "terbium"}], "min_change": 0.5}
    secrets: dict[str, str] = {}
    for name, url in {
        "up": f"{base}/up",
        "flaky": f"{base}/flaky",
        "gone": f"{base}/gone",
        "later": f"http://127.0.0.1:{later.server_address[1]}/later",
    }.items():
        created = api.put(f"/v1/subscriptions/e2e-{name}-{suffix}", {**watch, "url": url}, token="team-a")
        assert created.status == 201, created.body
        secrets[name] = created.body["secret"]

    before = api.get("/v1/scores/US/terbium").body
    signal_id = f"CN-E2E-HOOK-{suffix.upper()}"
    ban = {
        "issuer": "CN",
        "measure": "export_ban",
        "materials": ["terbium"],
        "targets": ["US"],
        "severity": 1,
        "announced": "2026-11-28",
        "status": "in_force",
        "source": "https://example.org/e2e-webhook-ban",
    }
    assert api.put(f"/v1/signals/{signal_id}", ban).status == 201

    # the receiver that is up: exactly one verified delivery with the right content
    got = eventually(lambda: requests_to("/up", signal_id) or None, timeout_s=TIMEOUT_S)
    assert got, f"no webhook for {signal_id} arrived; the receiver saw {[p for p, _, _ in Receiver.requests]}"
    headers, body = got[0]
    assert verify(secrets["up"], headers, body, now=int(time.time()))
    payload = json.loads(body)
    after = api.get("/v1/scores/US/terbium").body
    assert payload["type"] == "score.changed" and payload["pair"] == {"importer": "US", "material": "terbium"}
    assert payload["old"] == {"score": before["score"], "band": before["band"]}
    assert payload["new"] == {"score": after["score"], "band": after["band"]}
    assert payload["cause"] == {"type": "signal", "id": signal_id}
    assert payload["drivers"] and payload["links"]["history"] == "/v1/scores/US/terbium/history"
    assert headers["Webhook-Id"] == payload["delivery_id"]

    # now the receiver that was down comes up
    later.server_activate()
    serve(later)

    # 500, 500, 200: three requests with one delivery id, each freshly signed; delivered once
    flaky = eventually(
        lambda: ((r := requests_to("/flaky", signal_id)) and len(r) >= 3 and r) or None, timeout_s=TIMEOUT_S
    )
    assert flaky and len({h["Webhook-Id"] for h, _ in flaky}) == 1
    assert all(verify(secrets["flaky"], h, b, now=int(time.time())) for h, b in flaky)
    repo = DynamoRiskRepository(e2e_stack.table_name, local_client(e2e_stack.dynamodb_endpoint))
    flaky_id = flaky[0][0]["Webhook-Id"]
    assert repo.was_delivered("team-a", f"e2e-flaky-{suffix}", flaky_id)
    assert not repo.mark_delivered("team-a", f"e2e-flaky-{suffix}", flaky_id, datetime.now(UTC))

    # the attempt log over HTTP: 500 (retry, next one scheduled), 500 (retry), 200 (delivered), newest first
    def flaky_log() -> list[dict[str, Any]] | None:
        reply = api.get(f"/v1/subscriptions/e2e-flaky-{suffix}/deliveries", token="team-a")
        assert reply.status == 200, reply.body
        items = [a for a in reply.body["items"] if a["delivery_id"] == flaky_id]
        return items if len(items) >= 3 else None

    log = eventually(flaky_log, timeout_s=TIMEOUT_S)
    assert log is not None
    assert [(a["attempt"], a["outcome"], a["status_code"]) for a in log] == [
        (3, "delivered", 200),
        (2, "retry", 500),
        (1, "retry", 500),
    ]
    assert all(a["next_retry_at"] > a["attempted_at"] for a in log[1:]) and log[0]["next_retry_at"] is None
    assert all(a["latency_ms"] >= 0 for a in log)
    assert api.get(f"/v1/subscriptions/e2e-flaky-{suffix}/deliveries", token="team-b").status == 404

    # 410 is final: one request, the failure on the subscription
    def failed() -> dict[str, Any] | None:
        failure: dict[str, Any] | None = api.get(f"/v1/subscriptions/e2e-gone-{suffix}", token="team-a").body[
            "last_failure"
        ]
        return failure

    failure = eventually(failed, timeout_s=TIMEOUT_S)
    assert failure is not None and failure["status_code"] == 410
    gone_log = api.get(f"/v1/subscriptions/e2e-gone-{suffix}/deliveries", token="team-a").body["items"]
    assert [(a["outcome"], a["status_code"]) for a in gone_log if a["delivery_id"] == failure["delivery_id"]] == [
        ("failed", 410)
    ]
    assert len(requests_to("/gone", signal_id)) == 1

    # the receiver that was down gets it once it is up
    late = eventually(lambda: requests_to("/later", signal_id) or None, timeout_s=TIMEOUT_S)
    assert late and len({h["Webhook-Id"] for h, _ in late}) == 1

    # once idle, nothing arrived twice: one 2xx per delivery id
    assert e2e_stack.wait_until_idle(timeout_s=IDLE_TIMEOUT_S)
    ok = [h["Webhook-Id"] for p in ("/up", "/later") for h, _ in requests_to(p, signal_id)]
    assert len(ok) == len(set(ok)) == 2


def test_a_test_event_arrives_signed(
    api: ApiClient, e2e_stack: LocalStack, receivers: tuple[str, http.server.HTTPServer]
) -> None:
    base, _ = receivers
    path = f"/v1/subscriptions/e2e-test-{uuid.uuid4().hex[:6]}"
    created = api.put(path, {"materials": ["copper"], "min_change": 50.0, "url": f"{base}/up"}, token="team-a")
    assert created.status == 201, created.body
    assert api.post(f"{path}/test", None, token="team-b").status == 404
    queued = api.post(f"{path}/test", None, token="team-a")
    assert queued.status == 202, queued.body

    def arrived() -> list[tuple[dict[str, str], bytes]] | None:
        with Receiver.lock:
            found = [(h, b) for p, h, b in Receiver.requests if h.get("Webhook-Id") == queued.body["delivery_id"]]
        return found or None

    got = eventually(arrived, timeout_s=TIMEOUT_S)
    assert got and len(got) == 1
    headers, body = got[0]
    assert verify(created.body["secret"], headers, body, now=int(time.time()))
    assert json.loads(body)["type"] == "test"


def test_the_deliveries_route_rules(api: ApiClient, e2e_stack: LocalStack) -> None:
    path = f"/v1/subscriptions/e2e-log-{uuid.uuid4().hex[:6]}"
    created = api.put(
        path, {"materials": ["copper"], "min_change": 50.0, "url": "https://hooks.example.com/x"}, token="team-a"
    )
    assert created.status == 201, created.body
    assert api.get(f"{path}/deliveries", token=None).status == 401
    assert api.get(f"{path}/deliveries", token="dev-reader").status == 403  # risk/read only
    assert api.get(f"{path}/deliveries", token="team-b").status == 404  # another tenant's
    missing = api.get("/v1/subscriptions/e2e-no-such/deliveries", token="team-a")
    assert missing.status == 404 and set(missing.body) == {"error", "message", "details"}
    assert api.get(f"{path}/deliveries", token="team-a", params={"cursor": "x"}).status == 422
    empty = api.get(f"{path}/deliveries", token="team-a")
    assert empty.status == 200 and empty.body == {"items": [], "next_cursor": None}


def dead_letters(e2e_stack: LocalStack) -> list[dict[str, Any]]:
    resources = e2e_stack.resources
    assert resources is not None
    sqs = local_sqs_client(resources.endpoint_url)
    url = resources.queue_urls["AlertDeliveryDLQ"]
    found: list[dict[str, Any]] = []
    for _ in range(10):
        got = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], WaitTimeSeconds=1
        )
        messages = got.get("Messages", [])
        if not messages:
            break
        for message in messages:  # left in the queue (visible again after the timeout) for other readers
            found.append(
                {**json.loads(message["Body"]), "reason": message["MessageAttributes"]["reason"]["StringValue"]}
            )
    return found


def test_a_receiver_down_past_the_retry_window_ends_in_the_dlq_with_the_failure_on_the_subscription(
    api: ApiClient,
    e2e_stack: LocalStack,
    receivers: tuple[str, http.server.HTTPServer],
) -> None:
    # the e2e stack retries for E2E_WEBHOOK_RETRY_WINDOW_S (tests/e2e/conftest.py), not 10 minutes
    _, down = receivers  # bound, never listening: every connection is refused
    path = f"/v1/subscriptions/e2e-down-{uuid.uuid4().hex[:6]}"
    url = f"http://127.0.0.1:{down.server_address[1]}/down"
    assert api.put(path, {"materials": ["copper"], "min_change": 50.0, "url": url}, token="team-a").status == 201
    queued = api.post(f"{path}/test", None, token="team-a")
    assert queued.status == 202, queued.body
    delivery_id = queued.body["delivery_id"]

    def failed() -> dict[str, Any] | None:
        failure: dict[str, Any] | None = api.get(path, token="team-a").body["last_failure"]
        return failure

    failure = eventually(failed, timeout_s=TIMEOUT_S)
    assert failure is not None and failure["delivery_id"] == delivery_id and failure["status_code"] is None
    assert f"retry window of {E2E_WEBHOOK_RETRY_WINDOW_S} s over" in failure["reason"]
    log = api.get(f"{path}/deliveries", token="team-a").body["items"]
    assert len(log) >= 2 and log[0]["outcome"] == "failed" and {a["outcome"] for a in log[1:]} == {"retry"}
    assert [a["attempt"] for a in log] == list(range(len(log), 0, -1))
    dead = [m for m in dead_letters(e2e_stack) if m["delivery_id"] == delivery_id]
    assert len(dead) == 1 and "retry window" in dead[0]["reason"]


def test_a_redirect_is_final_and_never_followed(
    api: ApiClient, e2e_stack: LocalStack, receivers: tuple[str, http.server.HTTPServer]
) -> None:
    base, _ = receivers
    path = f"/v1/subscriptions/e2e-redirect-{uuid.uuid4().hex[:6]}"
    body = {"materials": ["copper"], "min_change": 50.0, "url": f"{base}/redirect"}
    assert api.put(path, body, token="team-a").status == 201
    queued = api.post(f"{path}/test", None, token="team-a")
    assert queued.status == 202, queued.body

    def failed() -> dict[str, Any] | None:
        failure: dict[str, Any] | None = api.get(path, token="team-a").body["last_failure"]
        return failure

    failure = eventually(failed, timeout_s=TIMEOUT_S)
    assert failure is not None and failure["status_code"] == 302
    log = api.get(f"{path}/deliveries", token="team-a").body["items"]
    assert [(a["outcome"], a["status_code"]) for a in log] == [("failed", 302)]
    with Receiver.lock:
        paths = [p for p, h, _ in Receiver.requests if h.get("Webhook-Id") == queued.body["delivery_id"]]
    assert paths == ["/redirect"]  # one request, and nothing reached the redirect's target
    with Receiver.lock:
        assert not [p for p, _, _ in Receiver.requests if p == "/internal-only"]
