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
from local.stack import LocalStack
from shared.adapters.dynamodb import DynamoRiskRepository
from shared.domain.webhooks import verify
from tests.e2e.client import ApiClient, eventually

TIMEOUT_S = 60.0


class Receiver(http.server.BaseHTTPRequestHandler):
    """Records every request; /flaky answers 500 to its first two, /gone 410, anything else 200."""

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
        self.send_response(status)
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
    assert e2e_stack.wait_until_idle(timeout_s=60)
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

    # 410 is final: one request, the failure on the subscription
    def failed() -> dict[str, Any] | None:
        failure: dict[str, Any] | None = api.get(f"/v1/subscriptions/e2e-gone-{suffix}", token="team-a").body[
            "last_failure"
        ]
        return failure

    failure = eventually(failed, timeout_s=TIMEOUT_S)
    assert failure is not None and failure["status_code"] == 410
    assert len(requests_to("/gone", signal_id)) == 1

    # the receiver that was down gets it once it is up
    late = eventually(lambda: requests_to("/later", signal_id) or None, timeout_s=TIMEOUT_S)
    assert late and len({h["Webhook-Id"] for h, _ in late}) == 1

    # once idle, nothing arrived twice: one 2xx per delivery id
    assert e2e_stack.wait_until_idle(timeout_s=60)
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
