"""6. Portfolio risk with company sourcing: GET /v1/portfolios/{id}/risk for 1,000 lines that all carry their own
sourcing (company scores computed on read next to the stored national ones) vs the floor of reading their pairs'
inputs with BatchGetItem, in one process; a scenario over the same portfolio is reported beside it.

Floor: the portfolio item (GetItem) and, in BatchGetItem calls of 100 keys (UnprocessedKeys retried), each
distinct pair's stored score and dependency item and each distinct material's profile: the reads the company
score of every line needs at the least (governance and signals, read once per request, are left out of it).
Alternating blocks (api, floor, floor, api, ...) cancel the machine's drift. Handler logs and metrics go to
/dev/null (their cost stays in the measurement). Reported beside it: the same request with the in-process caches
emptied before each one (what a warm function keeps across requests, decision 84).
"""

from __future__ import annotations

import random
import time
from typing import Any

from bench.common import (
    BenchResult,
    CallCounter,
    Goal,
    LocalDynamo,
    Stats,
    alternate_blocks,
    quiet_stdout,
    score_default_pairs,
)
from tests.support import PORTFOLIO, READ, FakeLambdaContext, api_event

GOAL_RATIO = 1.5
LINES = 1000
TENANT = "bench-tenant"
PORTFOLIO_ID = "company-1000"


def _portfolio_items(materials: list[Any], importers: list[str], n: int) -> list[dict[str, Any]]:
    """n lines over (importer, material) pairs, each bought from two or three of the material's producers at the
    stage it buys, with 0-20% left unknown (deterministic)."""
    rng = random.Random(15)
    items = []
    for _ in range(n):
        material = rng.choice(materials)
        stage = "processing" if "processing" in material.stages else "extraction"
        producers = [s.country for s in material.stages[stage]] or ["AU"]
        countries = rng.sample(producers, min(len(producers), rng.choice((2, 3))))
        known = 1.0 - rng.choice((0.0, 0.1, 0.2))
        shares = [round(known / len(countries), 4) for _ in countries]
        items.append(
            {
                "material": material.id,
                "importer": rng.choice(importers),
                "annual_spend": float(rng.randint(1_000, 5_000_000)),
                "sourcing": [{"country": c, "share": s} for c, s in zip(countries, shares, strict=True)],
            }
        )
    return items


def _clear_caches() -> None:
    """Every in-process cache the route reads through: parsed items and portfolios, the scoring's caches."""
    from shared.adapters.dynamodb.parsed import PARSED, PORTFOLIOS
    from shared.domain import scoring

    PARSED.clear()
    PORTFOLIOS.clear()
    for name in dir(scoring):
        found = getattr(scoring, name)
        if isinstance(found, scoring._IdentityCache):
            found._entries.clear()


def run(quick: bool = False) -> BenchResult:
    block, blocks, warmup = (3, 4, 3) if quick else (5, 12, 5)
    started = time.perf_counter()
    with LocalDynamo() as ddb:
        table = ddb.seeded_table("company")
        repo = ddb.repository(table)
        score_default_pairs(repo)
        from shared.config import DEFAULT_IMPORTERS

        materials = sorted(repo.list_materials(), key=lambda m: m.id)
        items = _portfolio_items(materials, list(DEFAULT_IMPORTERS), LINES)
        with ddb.handler_environment("PortfolioApiFunction", table) as env:
            from functions.portfolio_api.app import lambda_handler
            from shared.adapters.dynamodb_repository import make_dynamodb_client
            from shared.adapters.factory import get_repository

            context = FakeLambdaContext()
            put = api_event(
                "PUT",
                f"/v1/portfolios/{PORTFOLIO_ID}",
                body={"name": "1,000 lines, company sourcing", "items": items},
                scopes=(PORTFOLIO,),
                client_id=TENANT,
            )
            put["resource"] = "/v1/portfolios/{portfolio_id}"
            with quiet_stdout():
                answer = lambda_handler(put, context)
            if answer["statusCode"] != 201:
                raise RuntimeError(f"PUT portfolio answered {answer['statusCode']}: {answer['body'][:300]}")
            risk_event = api_event("GET", f"/v1/portfolios/{PORTFOLIO_ID}/risk", scopes=(PORTFOLIO,), client_id=TENANT)

            floor_client = make_dynamodb_client(env["DYNAMODB_ENDPOINT_URL"], env["AWS_REGION"])
            pairs = sorted({(i["importer"], i["material"]) for i in items})
            keys: list[dict[str, Any]] = [{"pk": {"S": f"SCORE#{imp}"}, "sk": {"S": mat}} for imp, mat in pairs]
            keys += [{"pk": {"S": f"DEPENDENCY#{mat}"}, "sk": {"S": imp}} for imp, mat in pairs]
            keys += [{"pk": {"S": "MATERIAL"}, "sk": {"S": mat}} for mat in sorted({m for _, m in pairs})]

            def api_once() -> None:
                response = lambda_handler(risk_event, context)
                if response["statusCode"] != 200:
                    raise RuntimeError(f"GET risk answered {response['statusCode']}: {response['body'][:300]}")

            def floor_once() -> None:
                floor_client.get_item(
                    TableName=table, Key={"pk": {"S": f"TENANT#{TENANT}"}, "sk": {"S": f"PORTFOLIO#{PORTFOLIO_ID}"}}
                )
                for start in range(0, len(keys), 100):
                    pending: Any = {table: {"Keys": keys[start : start + 100]}}
                    while pending:
                        pending = floor_client.batch_get_item(RequestItems=pending).get("UnprocessedKeys") or None

            with quiet_stdout():
                counter = CallCounter(get_repository().client)
                timed_blocks = alternate_blocks(api_once, floor_once, blocks, block, warmup, counter.reset)
                api, floor = timed_blocks.api, timed_blocks.floor
                calls = counter.snapshot()
                # the same request with every in-process cache emptied first (decision 84): a new execution
                # environment's first request after its init, or one after every input changed
                cold: list[float] = []
                for _ in range(3 if quick else 5):
                    _clear_caches()
                    t0 = time.perf_counter()
                    api_once()
                    cold.append(time.perf_counter() - t0)

        # a scenario over the same portfolio (read API; national scores of its lines: reported)
        with ddb.handler_environment("ReadApiFunction", table):
            from functions.read_api.app import lambda_handler as read_handler

            scenario_event = api_event(
                "POST",
                "/v1/scenarios",
                body={
                    "portfolio_id": PORTFOLIO_ID,
                    "changes": [
                        {
                            "type": "add_signal",
                            "signal": {
                                "issuer": "CN",
                                "measure": "export_ban",
                                "materials": ["gallium", "germanium", "rare_earths"],
                                "targets": ["ALL"],
                                "severity": 0.8,
                            },
                        }
                    ],
                },
                scopes=(READ, PORTFOLIO),
                client_id=TENANT,
            )
            scenario: list[float] = []
            with quiet_stdout():
                for _ in range(2 if quick else 5):
                    t0 = time.perf_counter()
                    response = read_handler(scenario_event, context)
                    scenario.append(time.perf_counter() - t0)
            scenario_status = response["statusCode"]

    a, f, c = Stats.of(api), Stats.of(floor), Stats.of(cold)
    ratio = a.median / f.median
    met = ratio <= GOAL_RATIO
    s = Stats.of(scenario)
    per_request = {op: n / len(api) for op, n in calls.items()}
    md = [
        f"One process: `functions.portfolio_api.app.lambda_handler` answering GET /v1/portfolios/{{id}}/risk for "
        f"{LINES:,} lines ({len(pairs)} distinct pairs, every line with its own 2-3 country sourcing, so every line "
        "gets a company score computed on read) vs the floor: GetItem of the portfolio + BatchGetItem (100 keys a "
        f"call) of {len(keys)} keys (each pair's score and dependency, each material's profile), DynamoDB Local.",
        f"{len(api)} requests each after {warmup} warm-up requests each, in {blocks} alternating blocks of {block}.",
        "",
        "| | p50 | p99 | min | max |",
        "|---|---|---|---|---|",
        f"| api (handler) | {a.median * 1e3:.1f} ms | {a.p99 * 1e3:.1f} ms | {a.minimum * 1e3:.1f} ms "
        f"| {a.maximum * 1e3:.1f} ms |",
        f"| floor (BatchGetItem) | {f.median * 1e3:.1f} ms | {f.p99 * 1e3:.1f} ms | {f.minimum * 1e3:.1f} ms "
        f"| {f.maximum * 1e3:.1f} ms |",
        f"| api, caches emptied before each request (reported) | {c.median * 1e3:.1f} ms | {c.p99 * 1e3:.1f} ms "
        f"| {c.minimum * 1e3:.1f} ms | {c.maximum * 1e3:.1f} ms |",
        f"| scenario on the portfolio (POST /v1/scenarios, status {scenario_status}) | {s.median * 1e3:.1f} ms "
        f"| {s.p99 * 1e3:.1f} ms | {s.minimum * 1e3:.1f} ms | {s.maximum * 1e3:.1f} ms |",
        "",
        f"Ratio of p50s: **{ratio:.2f}**; goal <= {GOAL_RATIO}: **{'met' if met else 'missed'}**. The api rows "
        "are a warm function answering the same portfolio again: parsed items, portfolios and company scores are "
        "kept across requests by the value of what they derive from (docs/decisions.md 84); the caches-emptied "
        f"row is the same request with none of that (ratio {c.median / f.median:.2f}).",
        "",
        "DynamoDB calls per risk request: "
        + (", ".join(f"{op} {n:.2f}" for op, n in per_request.items()) or "none")
        + ".",
    ]
    return BenchResult(
        name="portfolio_company",
        title="6. Portfolio risk with company sourcing (1,000 lines vs BatchGetItem of their inputs)",
        markdown="\n".join(md),
        summary=[
            f"portfolio company risk: api p50 {a.median * 1e3:.1f} ms vs floor p50 {f.median * 1e3:.1f} ms -> "
            f"ratio {ratio:.2f} (goal <= {GOAL_RATIO}: {'met' if met else 'MISSED'}); scenario p50 "
            f"{s.median * 1e3:.1f} ms"
        ],
        goals=[
            Goal(
                "portfolio company risk p50 ratio (handler / BatchGetItem floor), 1,000 lines",
                f"<= {GOAL_RATIO}",
                f"{ratio:.2f} ({a.median * 1e3:.1f} vs {f.median * 1e3:.1f} ms)",
                met,
            ),
            Goal(
                "scenario on the same portfolio p50",
                "reported",
                f"{s.median * 1e3:.1f} ms (status {scenario_status})",
                None,
            ),
        ],
        seconds=time.perf_counter() - started,
    )
