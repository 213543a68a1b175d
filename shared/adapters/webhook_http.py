"""Sends one signed webhook POST (shared.ports.WebhookSender) with the outbound safety rules of issue 16:

- the host is resolved on every attempt and EVERY address it resolves to must be public
  (shared.domain.webhooks.address_refusal: no private, loopback, link-local, metadata, reserved or multicast
  address; the local stack alone may send to 127.0.0.1), and the connection goes to the address that was checked
  (pinned, so a second DNS answer cannot swap in another: no rebinding between check and connect);
- https only (plain http only to 127.0.0.1 where allowed), certificate and host name verified;
- no redirect is followed (http.client never follows one): a 3xx is a final answer;
- short timeouts; at most `max_response_bytes` of the answer are read, and only an excerpt is kept.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from shared.domain.subscriptions import is_loopback_url
from shared.domain.webhooks import address_refusal
from shared.ports.webhooks import SendResult

USER_AGENT = "materials-risk-webhooks/1"
EXCERPT_CHARS = 200

Resolver = Callable[..., list[tuple[Any, ...]]]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._tls = context

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Retry-After as delay-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class HttpWebhookSender:
    """Implements shared.ports.WebhookSender over http.client (no extra dependency in the Lambda package)."""

    def __init__(
        self,
        *,
        allow_loopback: bool,
        loopback_only: bool = False,
        connect_timeout_s: float = 3.0,
        read_timeout_s: float = 5.0,
        max_response_bytes: int = 4096,
        resolve: Resolver = socket.getaddrinfo,
    ) -> None:
        self.allow_loopback = allow_loopback
        #: the local stack: nothing but http://127.0.0.1 is even resolved (no DNS, no traffic off this machine)
        self.loopback_only = loopback_only
        self.connect_timeout_s = connect_timeout_s
        self.read_timeout_s = read_timeout_s
        self.max_response_bytes = max_response_bytes
        self.resolve = resolve
        self.tls = ssl.create_default_context()

    def _refused(self, reason: str, started: float) -> SendResult:
        return SendResult(status=None, latency_ms=self._since(started), error=f"refused: {reason}", refused=True)

    @staticmethod
    def _since(started: float) -> int:
        return int((time.perf_counter() - started) * 1000)

    def send(self, url: str, headers: Mapping[str, str], body: bytes) -> SendResult:
        started = time.perf_counter()
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.scheme == "http" and not (self.allow_loopback and is_loopback_url(url)):
            return self._refused("plain http is only allowed to the local stack's 127.0.0.1", started)
        if self.loopback_only and not is_loopback_url(url):
            return self._refused("the local stack delivers to http://127.0.0.1:<port> only", started)
        if parts.scheme not in ("https", "http") or not host:
            return self._refused(f"not an https URL: {parts.scheme!r}", started)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            resolved = self.resolve(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            return SendResult(status=None, latency_ms=self._since(started), error=f"DNS: {exc.__class__.__name__}")
        addresses = list(dict.fromkeys(str(info[4][0]) for info in resolved))
        if not addresses:
            return SendResult(status=None, latency_ms=self._since(started), error="DNS: no address")
        for address in addresses:
            refusal = address_refusal(address, allow_loopback=self.allow_loopback)
            if refusal:
                return self._refused(f"{host} resolves to {refusal}", started)
        connection: http.client.HTTPConnection
        if parts.scheme == "https":
            connection = _PinnedHTTPSConnection(host, port, addresses[0], self.connect_timeout_s, self.tls)
        else:
            connection = _PinnedHTTPConnection(host, port, addresses[0], self.connect_timeout_s)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            connection.connect()
            if connection.sock is not None:
                connection.sock.settimeout(self.read_timeout_s)
            connection.request("POST", path, body=body, headers={**headers, "User-Agent": USER_AGENT})
            response = connection.getresponse()
            excerpt = response.read(self.max_response_bytes).decode("utf-8", errors="replace")[:EXCERPT_CHARS]
            status = response.status
            retry_after = retry_after_seconds(response.getheader("Retry-After"), datetime.now(UTC))
        except TimeoutError:
            return SendResult(status=None, latency_ms=self._since(started), error="timed out")
        except (OSError, http.client.HTTPException) as exc:
            return SendResult(
                status=None, latency_ms=self._since(started), error=f"connection: {exc.__class__.__name__}"
            )
        finally:
            connection.close()
        note = "redirect not followed" if 300 <= status < 400 else None
        return SendResult(
            status=status, latency_ms=self._since(started), retry_after_s=retry_after, error=note, excerpt=excerpt
        )
