"""Helpers shared by the test tiers: API Gateway events, handler calls, tables made from template.yaml."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from tooling.sam_template import load_template, table_create_kwargs

#: The logical time the seeded test data is scored at (a fixed instant keeps every tier deterministic).
SEED_AS_OF = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)

READ = "risk/read"
PORTFOLIO = "risk/portfolio"
ADMIN = "risk/admin"


def create_table(client: Any, table_name: str | None = None) -> str:
    """Creates the table exactly as template.yaml defines it (keys, GSIs, stream) and waits for it."""
    name = table_name or f"risk-test-{uuid.uuid4().hex[:12]}"
    client.create_table(**table_create_kwargs(load_template(), name))
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})
    return name


class FakeLambdaContext:
    function_name = "test-function"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    aws_request_id = "00000000-0000-0000-0000-000000000000"
    log_group_name = "/aws/lambda/test-function"
    log_stream_name = "test"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000


def api_event(
    method: str,
    path: str,
    query: dict[str, str] | None = None,
    body: Any = None,
    scopes: tuple[str, ...] = (READ,),
    client_id: str = "test-client",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway REST (payload v1) proxy event, as the Cognito authorizer would pass it."""
    raw_body = body if isinstance(body, str) or body is None else json.dumps(body)
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": None,
        "stageVariables": None,
        "body": raw_body,
        "isBase64Encoded": False,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": method,
            "path": f"/prod{path}" + (f"?{urlencode(query)}" if query else ""),
            "stage": "prod",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "127.0.0.1"},
            "authorizer": {"claims": {"client_id": client_id, "sub": client_id, "scope": " ".join(scopes)}},
        },
    }


@dataclass(frozen=True)
class ApiResult:
    status: int
    body: Any
    headers: dict[str, str]


def call(handler: Any, event: dict[str, Any]) -> ApiResult:
    response = handler(event, FakeLambdaContext())
    body = response.get("body")
    headers = {k: v[-1] for k, v in (response.get("multiValueHeaders") or {}).items()}
    headers.update(response.get("headers") or {})
    parsed = json.loads(body) if body and headers.get("Content-Type", "").startswith("application/json") else body
    return ApiResult(status=response["statusCode"], body=parsed, headers=headers)


class RawBody:
    """The raw body of a botocore AWSResponse built in a test (a before-send hook answering instead of the server)."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def wait_until(condition: Callable[[], object], timeout_s: float = 60.0) -> bool:
    """Polls `condition` every 0.1 s until it is truthy or `timeout_s` passes; the last check decides."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return bool(condition())


#: how long an e2e test waits for the local stack's queues and stream to drain before it starts: the fuzzing
#: module before it may leave rescoring runs and fanned-out changes queued (minutes on a loaded 2-core machine);
#: the wait ends as soon as the stack is idle
IDLE_TIMEOUT_S = 240.0
