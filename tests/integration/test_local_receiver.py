"""`make receiver` (local/receiver.py): prints each webhook with whether its signature verifies."""

from __future__ import annotations

import http.server
import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from local.receiver import handler_for
from shared.domain.webhooks import signed_headers


@pytest.fixture
def receiver() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler_for("whsec_local"))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks"
    server.shutdown()
    server.server_close()


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:  # nosec B310
        return int(response.status)


def test_the_receiver_prints_verified_and_forged_deliveries(receiver: str, capsys: Any) -> None:
    payload: dict[str, Any] = {
        "pair": {"importer": "US", "material": "dysprosium"},
        "old": {"score": 40.0, "band": "moderate"},
        "new": {"score": 55.0, "band": "high"},
        "cause": {"type": "signal", "id": "CN-TEST-BAN"},
    }
    body = json.dumps(payload).encode()
    headers = signed_headers("whsec_local", "dlv_1", int(time.time()), body)
    assert post(receiver, body, headers) == 200
    assert post(receiver, body, headers) == 200
    assert post(receiver, body, signed_headers("whsec_forged", "dlv_2", int(time.time()), body)) == 200
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "webhook dlv_1: US/dysprosium 40.0 -> 55.0 (high), cause signal CN-TEST-BAN; signature verified"
    assert out[1].endswith("(again: already processed, ignored)")
    assert out[2].startswith("webhook dlv_2") and "SIGNATURE INVALID" in out[2]
