"""2. Warm request: the read handler answering GET /v1/scores/JP/dysprosium vs a bare GetItem, in one process.

Alternating blocks (api, floor, floor, api, ...) cancel the machine's drift; both use a client with the
repository's configuration (shared.adapters.dynamodb_repository.make_dynamodb_client) on the same DynamoDB Local.
Handler logs and EMF metrics are written to /dev/null (their cost stays in the measurement).
"""

from __future__ import annotations

import json
import time
from typing import Any

from bench.common import (
    REPO_ROOT,
    BenchResult,
    CallCounter,
    Goal,
    LocalDynamo,
    Stats,
    alternate_blocks,
    quiet_stdout,
    score_default_pairs,
)
from tests.support import FakeLambdaContext

GOAL_RATIO = 1.3


def run(quick: bool = False) -> BenchResult:
    block, blocks, warmup = (25, 8, 100) if quick else (50, 40, 300)
    started = time.perf_counter()
    with LocalDynamo() as ddb:
        table = ddb.seeded_table("warm")
        score_default_pairs(ddb.repository(table))
        with ddb.handler_environment("ReadApiFunction", table) as env:
            from functions.read_api.app import lambda_handler
            from shared.adapters.dynamodb_repository import make_dynamodb_client
            from shared.adapters.factory import get_repository

            event: dict[str, Any] = json.loads((REPO_ROOT / "events" / "get_score.json").read_text(encoding="utf-8"))
            context = FakeLambdaContext()
            floor_client = make_dynamodb_client(env["DYNAMODB_ENDPOINT_URL"], env["AWS_REGION"])
            key: Any = {"pk": {"S": "SCORE#JP"}, "sk": {"S": "dysprosium"}}

            def api_once() -> None:
                response = lambda_handler(event, context)
                if response["statusCode"] != 200:
                    raise RuntimeError(f"GET score answered {response['statusCode']}: {response['body'][:300]}")

            def floor_once() -> None:
                if "Item" not in floor_client.get_item(TableName=table, Key=key):
                    raise RuntimeError("GetItem found no score item")

            with quiet_stdout():
                counter = CallCounter(get_repository().client)
                timed_blocks = alternate_blocks(api_once, floor_once, blocks, block, warmup, counter.reset)
            calls = counter.snapshot()

    api, floor = timed_blocks.api, timed_blocks.floor
    a, f, r = Stats.of(api), Stats.of(floor), Stats.of(timed_blocks.block_ratios)
    ratio = a.median / f.median
    met = ratio <= GOAL_RATIO
    per_request = {op: n / len(api) for op, n in calls.items()}
    md = [
        "One process: `functions.read_api.app.lambda_handler` with `events/get_score.json` vs "
        "`client.get_item(SCORE#JP / dysprosium)`, against DynamoDB Local.",
        f"{len(api)} requests each after {warmup} warm-up requests each, in {blocks} alternating blocks of {block}.",
        "",
        "| | p50 | p99 | min | max |",
        "|---|---|---|---|---|",
        f"| api (handler) | {a.median * 1e3:.2f} ms | {a.p99 * 1e3:.2f} ms | {a.minimum * 1e3:.2f} ms "
        f"| {a.maximum * 1e3:.2f} ms |",
        f"| floor (GetItem) | {f.median * 1e3:.2f} ms | {f.p99 * 1e3:.2f} ms | {f.minimum * 1e3:.2f} ms "
        f"| {f.maximum * 1e3:.2f} ms |",
        "",
        f"Ratio of p50s: **{ratio:.2f}** (per-block p50 ratios: median {r.median:.2f}, "
        f"min {r.minimum:.2f}, max {r.maximum:.2f}); goal <= {GOAL_RATIO}: **{'met' if met else 'missed'}**. "
        f"Handler overhead over the GetItem at p50: {(a.median - f.median) * 1e3:.2f} ms.",
        "",
        "DynamoDB calls per handler request: "
        + (", ".join(f"{op} {n:.2f}" for op, n in per_request.items()) or "none")
        + ".",
    ]
    return BenchResult(
        name="warm_request",
        title="2. Warm request (read handler vs bare GetItem)",
        markdown="\n".join(md),
        summary=[
            f"warm request: api p50 {a.median * 1e3:.2f} ms / p99 {a.p99 * 1e3:.2f} ms vs floor p50 "
            f"{f.median * 1e3:.2f} ms / p99 {f.p99 * 1e3:.2f} ms -> ratio {ratio:.2f} "
            f"(goal <= {GOAL_RATIO}: {'met' if met else 'MISSED'})"
        ],
        goals=[
            Goal(
                "warm request p50 ratio (handler / GetItem)",
                f"<= {GOAL_RATIO}",
                f"{ratio:.2f} ({a.median * 1e3:.2f} vs {f.median * 1e3:.2f} ms)",
                met,
            )
        ],
        seconds=time.perf_counter() - started,
    )
