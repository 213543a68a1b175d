"""The webhook sender against a real receiver on 127.0.0.1 (issue 16): what it sends, and what it does with the
answers: statuses, Retry-After, redirects (never followed), large bodies (capped), a receiver that does not answer."""

from __future__ import annotations

import contextlib
import http.server
import socket
import threading
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from shared.adapters.webhook_http import HttpWebhookSender
from shared.domain.webhooks import signed_headers, verify


class Receiver(http.server.BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, dict[str, str], bytes]]] = []
    hold = threading.Event()

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Receiver.received.append((self.path, dict(self.headers), body))
        if self.path == "/ok":
            self._answer(200, b"ok")
        elif self.path == "/fail":
            self._answer(500, b"boom")
        elif self.path == "/busy":
            self._answer(429, b"", {"Retry-After": "120"})
        elif self.path == "/moved":
            self._answer(302, b"", {"Location": "http://169.254.169.254/latest/meta-data/"})
        elif self.path == "/huge":
            self._answer(200, b"x" * 1_000_000)
        elif self.path == "/silent":
            Receiver.hold.wait(10)  # answers only after the sender gave up
            self._answer(200, b"late")

    def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(OSError):  # the sender stopped reading: its cap
            self.wfile.write(body)


@pytest.fixture(scope="module")
def receiver() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    Receiver.hold.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def sender() -> HttpWebhookSender:
    return HttpWebhookSender(allow_loopback=True, connect_timeout_s=2, read_timeout_s=0.5)


def test_a_signed_post_arrives_verifiable(receiver: str, sender: HttpWebhookSender) -> None:
    body = b'{"type":"test"}'
    result = sender.send(f"{receiver}/ok", {**signed_headers("whsec_k", "dlv_9", 1_800_000_000, body)}, body)
    assert result.status == 200 and result.excerpt == "ok"
    path, headers, got = Receiver.received[-1]
    assert path == "/ok" and got == body and headers["Webhook-Id"] == "dlv_9"
    assert headers["User-Agent"].startswith("materials-risk-webhooks")
    assert verify("whsec_k", headers, got, now=1_800_000_000)


def test_answers_are_reported_as_they_are(receiver: str, sender: HttpWebhookSender) -> None:
    assert sender.send(f"{receiver}/fail", {}, b"{}").status == 500
    busy = sender.send(f"{receiver}/busy", {}, b"{}")
    assert busy.status == 429 and busy.retry_after_s == 120


def test_a_redirect_is_not_followed(receiver: str, sender: HttpWebhookSender) -> None:
    before = len(Receiver.received)
    moved = sender.send(f"{receiver}/moved", {}, b"{}")
    assert moved.status == 302 and moved.error == "redirect not followed"
    assert len(Receiver.received) == before + 1  # one request: the redirect target was never asked


def test_a_huge_answer_is_read_only_up_to_the_cap(receiver: str, sender: HttpWebhookSender) -> None:
    huge = sender.send(f"{receiver}/huge", {}, b"{}")
    assert huge.status == 200 and len(huge.excerpt) == 200


def test_a_receiver_that_does_not_answer_is_a_timeout(receiver: str, sender: HttpWebhookSender) -> None:
    silent = sender.send(f"{receiver}/silent", {}, b"{}")
    assert silent.status is None and silent.error == "timed out" and not silent.refused


def test_a_receiver_that_is_down_is_a_connection_failure(sender: HttpWebhookSender) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = sender.send(f"http://127.0.0.1:{port}/x", {}, b"{}")
    assert down.status is None and down.error and down.error.startswith("connection") and not down.refused


def test_loopback_is_refused_outside_the_local_stack(receiver: str) -> None:
    before = len(Receiver.received)
    refused = HttpWebhookSender(allow_loopback=False).send(f"{receiver}/ok", {}, b"{}")
    assert refused.refused and len(Receiver.received) == before
