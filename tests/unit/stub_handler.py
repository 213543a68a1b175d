"""Stub Lambda handlers for the local-stack tooling tests (the local API and local.invoke call these)."""

from __future__ import annotations

import base64
import json
import os
import time
from typing import Any

import boto3

ENV_KEYS = (
    "TABLE_NAME",
    "DYNAMODB_ENDPOINT_URL",
    "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY_ID",
    "POWERTOOLS_SERVICE_NAME",
    "HISTORY_RETENTION_DAYS",
)


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Returns the event, the context and the environment it saw, so tests can check them."""
    print("stub handler output (must not reach local.invoke's stdout)")
    body = {
        "event": event,
        "context": {
            "function_name": context.function_name,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "invoked_function_arn": context.invoked_function_arn,
            "aws_request_id": context.aws_request_id,
            "remaining_ms": context.get_remaining_time_in_millis(),
        },
        "env": {key: os.environ.get(key) for key in ENV_KEYS},
    }
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json", "X-Stub": "echo"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": json.dumps(body),
    }


def boom(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise RuntimeError("stub handler failure with a secret-looking detail")


def binary(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {
        "statusCode": 201,
        "headers": {"Content-Type": "application/octet-stream"},
        "body": base64.b64encode(b"\x00\x01binary\xff").decode("ascii"),
        "isBase64Encoded": True,
    }


def malformed(event: dict[str, Any], context: Any) -> str:
    return "not a proxy response"


def table_roundtrip(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Writes and reads an item in TABLE_NAME through DYNAMODB_ENDPOINT_URL, like a real handler would."""
    client = boto3.client(
        "dynamodb",
        endpoint_url=os.environ["DYNAMODB_ENDPOINT_URL"],
        region_name=os.environ["AWS_DEFAULT_REGION"],
    )
    table = os.environ["TABLE_NAME"]
    key = (event.get("pathParameters") or {}).get("key", "k")
    client.put_item(TableName=table, Item={"pk": {"S": f"STUB#{key}"}, "sk": {"S": "ITEM"}, "v": {"S": key}})
    item = client.get_item(TableName=table, Key={"pk": {"S": f"STUB#{key}"}, "sk": {"S": "ITEM"}})["Item"]
    return {"statusCode": 200, "body": json.dumps({"table": table, "value": item["v"]["S"]})}


def wait_for_file(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Blocks until the file named by the `path` query parameter exists (a long invocation the test ends)."""
    path = (event.get("queryStringParameters") or {})["path"]
    while not os.path.exists(path):
        time.sleep(0.01)
    return {"statusCode": 200, "body": json.dumps({"pid": os.getpid(), "waited_for": path})}


def whoami(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The worker's process id and how many times this process has run the handler (module state is per worker)."""
    global _calls
    _calls += 1
    return {"statusCode": 200, "body": json.dumps({"pid": os.getpid(), "calls": _calls})}


def crash(event: dict[str, Any], context: Any) -> dict[str, Any]:
    os._exit(3)


_calls = 0
