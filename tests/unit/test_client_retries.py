"""One retry setting for every AWS client (shared.adapters.aws.standard_retries): attempts counted, not retries.

Each client below answers every request with a 500 (a botocore `before-send` hook, so nothing leaves the process)
and the test counts how often botocore sent it: MAX_ATTEMPTS times in all, the first included. botocore's
`max_attempts` key counts retries only, so a config with {"max_attempts": 3} would send four.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from botocore.exceptions import ClientError
from botocore.retries.standard import ExponentialBackoff

from local.dynamodb_local import local_client
from local.messaging import local_events_client, local_sqs_client
from shared.adapters.aws import CLIENT_CONFIG, MAX_ATTEMPTS, aws_client, standard_retries

ENDPOINT = "http://127.0.0.1:1"  # never reached: the before-send hook answers first


class _Body:
    def stream(self, **_: Any) -> Any:
        yield b""


def count_attempts(client: Any, call: Callable[[], Any], monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)  # no backoff sleeps
    sent: list[str] = []

    def always_500(request: Any, **_: Any) -> AWSResponse:
        sent.append(request.url)
        return AWSResponse(request.url, 500, HTTPHeaders(), _Body())

    client.meta.events.register("before-send", always_500)
    with pytest.raises(ClientError):
        call()
    return len(sent)


def test_every_client_has_the_one_retry_setting() -> None:
    expected = {"mode": "standard", "total_max_attempts": MAX_ATTEMPTS}
    clients = [local_sqs_client(ENDPOINT), local_events_client(ENDPOINT), local_client(ENDPOINT)]
    assert [vars(c.meta.config)["retries"] for c in clients] == [expected] * 3
    assert vars(CLIENT_CONFIG)["retries"] == vars(standard_retries())["retries"] == expected


def test_the_local_sqs_client_makes_max_attempts_in_all(monkeypatch: pytest.MonkeyPatch) -> None:
    client = local_sqs_client(ENDPOINT)
    assert count_attempts(client, lambda: client.list_queues(), monkeypatch) == MAX_ATTEMPTS


def test_the_local_eventbridge_client_makes_max_attempts_in_all(monkeypatch: pytest.MonkeyPatch) -> None:
    client = local_events_client(ENDPOINT)
    assert count_attempts(client, lambda: client.list_event_buses(), monkeypatch) == MAX_ATTEMPTS


def test_the_local_dynamodb_client_makes_the_attempts_it_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    client = local_client(ENDPOINT)
    assert count_attempts(client, lambda: client.list_tables(), monkeypatch) == MAX_ATTEMPTS
    once = local_client(ENDPOINT, max_attempts=1)
    assert count_attempts(once, lambda: once.list_tables(), monkeypatch) == 1


def test_the_functions_clients_make_max_attempts_in_all(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    client = aws_client("sqs", "us-east-1", endpoint_url=ENDPOINT)
    assert count_attempts(client, lambda: client.list_queues(), monkeypatch) == MAX_ATTEMPTS
