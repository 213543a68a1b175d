"""A fresh process for the cold-start benchmark (bench.cold_start starts it; not for direct use).

    python -m bench.cold_child api    imports functions.read_api.app, answers events/get_score.json once
    python -m bench.cold_child floor  imports boto3, creates a DynamoDB client, one GetItem of the same item

Prints one line `BENCH_RESULT {json}` (seconds since this module started executing: init, first call, total; and
the cyclic-GC collections that ran meanwhile, with the seconds spent in them).
Only the standard library is imported before the clock starts.
"""

from __future__ import annotations

import gc
import time

_STARTED = time.perf_counter()
_GC_RUNS: list[float] = []  # seconds spent in each cyclic-GC collection during the run


def _time_collections(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _GC_RUNS.append(-time.perf_counter())
    else:
        _GC_RUNS[-1] += time.perf_counter()


gc.callbacks.append(_time_collections)

import json  # noqa: E402  (after the clock on purpose)
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

EVENT_PATH = Path(__file__).resolve().parent.parent / "events" / "get_score.json"


class _Context:
    function_name = "ReadApiFunction"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ReadApiFunction"
    aws_request_id = "00000000-0000-0000-0000-000000000001"
    log_group_name = "/aws/lambda/ReadApiFunction"
    log_stream_name = "bench"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 15_000


def _api() -> dict[str, Any]:
    from functions.read_api.app import lambda_handler

    imported = time.perf_counter()
    event = json.loads(EVENT_PATH.read_text(encoding="utf-8"))
    response = lambda_handler(event, _Context())
    answered = time.perf_counter()
    body = json.loads(response["body"])
    return {
        "init": imported - _STARTED,
        "first_call": answered - imported,
        "total": answered - _STARTED,
        "status": response["statusCode"],
        "ok": response["statusCode"] == 200 and body.get("material") == "dysprosium",
    }


def _floor() -> dict[str, Any]:
    import boto3

    imported = time.perf_counter()
    client = boto3.client("dynamodb", endpoint_url=os.environ["DYNAMODB_ENDPOINT_URL"], region_name="us-east-1")
    item = client.get_item(
        TableName=os.environ["TABLE_NAME"], Key={"pk": {"S": "SCORE#JP"}, "sk": {"S": "dysprosium"}}
    ).get("Item")
    answered = time.perf_counter()
    return {
        "init": imported - _STARTED,
        "first_call": answered - imported,
        "total": answered - _STARTED,
        "status": 200 if item else 404,
        "ok": item is not None,
    }


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "api":
        result = _api()
    elif mode == "floor":
        result = _floor()
    else:
        raise SystemExit("usage: python -m bench.cold_child api|floor")
    result["gc_collections"] = len(_GC_RUNS)
    result["gc_seconds"] = sum(_GC_RUNS)
    sys.stdout.flush()
    print("BENCH_RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
