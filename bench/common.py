"""What the benchmarks share: statistics, machine facts, DynamoDB Local with the seed data, call counting.

Every benchmark measures a RATIO against a floor measured in the same run (the machine has 2 cores and other
processes may be running), reports medians with min/max over several runs, and starts its own DynamoDB Local.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local.dynamodb_local import (
    DynamoDBLocal,
    create_table_from_template,
    find_free_port,
    local_client,
    local_environment_defaults,
)
from local.lambda_runtime import apply_environment, function_runtime_environment, restore_environment
from local.lambda_worker import LOCAL_REGION
from tooling.sam_template import load_template

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from shared.adapters.dynamodb_repository import DynamoRiskRepository
    from shared.services.seeding import SeedData

REPO_ROOT = Path(__file__).resolve().parent.parent
PERFORMANCE_MD = REPO_ROOT / "docs" / "performance.md"

#: The logical time the benchmarks score at (fixed, so every run scores the same inputs).
BENCH_AS_OF = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


# ----------------------------------------------------------------------------------------- statistics


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Stats:
    """Summary of repeated measurements (seconds, or any unit)."""

    n: int
    median: float
    minimum: float
    maximum: float
    p95: float
    p99: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Stats:
        if not values:
            raise ValueError("no samples")
        return cls(
            n=len(values),
            median=statistics.median(values),
            minimum=min(values),
            maximum=max(values),
            p95=percentile(values, 95),
            p99=percentile(values, 99),
        )

    def ms(self, digits: int = 1) -> str:
        """'median (min-max) ms'."""
        return f"{self.median * 1e3:.{digits}f} ms ({self.minimum * 1e3:.{digits}f}-{self.maximum * 1e3:.{digits}f})"

    def s(self, digits: int = 2) -> str:
        return f"{self.median:.{digits}f} s ({self.minimum:.{digits}f}-{self.maximum:.{digits}f})"


def ratio_stats(numerators: Sequence[float], denominators: Sequence[float]) -> Stats:
    """Per-repeat ratios (paired measurements taken side by side cancel slow drift of the machine)."""
    return Stats.of([a / b for a, b in zip(numerators, denominators, strict=True) if b > 0])


# ----------------------------------------------------------------------------------------- machine


def machine_facts() -> dict[str, str]:
    cpu_model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        usable = os.cpu_count() or 0
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": f"{os.cpu_count()} cores ({usable} usable){f', {cpu_model}' if cpu_model else ''}",
        "python": f"{platform.python_implementation()} {platform.python_version()} ({sys.executable})",
        "platform": platform.platform(),
        "load average at start (1, 5, 15 min)": load,
    }


def facts_markdown(facts: Mapping[str, str], command: str) -> str:
    lines = [f"Reproduce: `{command}` (from the repository root)", ""]
    lines += [f"- {name}: {value}" for name, value in facts.items()]
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------- DynamoDB calls


class CallCounter:
    """Counts DynamoDB API calls per operation name on one boto3 client, and the time each operation takes inside
    the client: from botocore's before-parameter-build event (before the request is validated and serialised) to
    after-call (response parsed), i.e. what timing the client method from outside measures.

    `http` counts HTTP attempts (retries included), so calls == attempts means nothing was retried.
    """

    def __init__(self, client: Any) -> None:
        self.calls: Counter[str] = Counter()
        self.seconds: dict[str, float] = {}
        self.http = 0
        self._started: dict[int, float] = {}
        client.meta.events.register("before-parameter-build.dynamodb", self._on_start)
        client.meta.events.register("after-call.dynamodb", self._on_done)
        client.meta.events.register("before-send.dynamodb", self._on_send)

    def _on_start(self, model: Any = None, context: Any = None, **_: Any) -> None:
        self.calls[str(getattr(model, "name", "?"))] += 1
        self._started[id(context)] = time.perf_counter()

    def _on_done(self, model: Any = None, context: Any = None, **_: Any) -> None:
        started = self._started.pop(id(context), None)
        if started is not None:
            name = str(getattr(model, "name", "?"))
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

    def _on_send(self, **_: Any) -> None:
        self.http += 1

    def reset(self) -> None:
        self.calls.clear()
        self.seconds.clear()
        self.http = 0
        self._started.clear()

    def snapshot(self) -> dict[str, int]:
        return dict(sorted(self.calls.items()))

    def total_seconds(self) -> float:
        return float(sum(self.seconds.values()))


# ----------------------------------------------------------------------------------------- DynamoDB Local


class LocalDynamo:
    """A DynamoDB Local started for one benchmark (free port, in memory) with tables made from template.yaml."""

    def __init__(self) -> None:
        self.server = DynamoDBLocal(find_free_port(), quiet=True)
        self.template = load_template()
        self._client: DynamoDBClient | None = None
        self._env_saved: dict[str, str | None] | None = None

    @property
    def endpoint_url(self) -> str:
        return self.server.endpoint_url

    @property
    def client(self) -> DynamoDBClient:
        if self._client is None:
            self._client = local_client(self.endpoint_url, timeout_s=60.0)
        return self._client

    def __enter__(self) -> LocalDynamo:
        self.server.start()
        # Region and fake credentials for clients built by the production code (it reads the environment).
        self._env_saved = apply_environment(local_environment_defaults())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._env_saved is not None:
            restore_environment(self._env_saved)
            self._env_saved = None
        self.server.stop()

    def new_table(self, prefix: str = "bench") -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        create_table_from_template(self.client, name, template=self.template)
        return name

    def drop_table(self, name: str) -> None:
        self.client.delete_table(TableName=name)

    def repository(self, table: str, client: Any | None = None) -> DynamoRiskRepository:
        from shared.adapters.dynamodb_repository import DynamoRiskRepository

        return DynamoRiskRepository(table, client if client is not None else self.client)

    def seeded_table(self, prefix: str = "bench", seed: SeedData | None = None) -> str:
        """A new table holding the seed data (shared.adapters.seed_files.read_seed)."""
        from shared.adapters.seed_files import read_seed
        from shared.services.seeding import seed_reference_data

        table = self.new_table(prefix)
        seed_reference_data(self.repository(table), seed if seed is not None else read_seed())
        return table

    def function_environment(self, logical_id: str, table: str, **extra: str) -> dict[str, str]:
        """The function's environment as `sam local invoke` gives it, pointed at `table` on this DynamoDB Local."""
        env = function_runtime_environment(self.template, logical_id, table_name=table, endpoint_url=self.endpoint_url)
        return {**env, "AWS_REGION": LOCAL_REGION, **extra}

    @contextlib.contextmanager
    def handler_environment(self, logical_id: str, table: str, **extra: str) -> Iterator[dict[str, str]]:
        """Points the in-process handlers at `table` (and clears their cached settings/clients) for a block."""
        env = self.function_environment(logical_id, table, **extra)
        saved = apply_environment(env)
        try:
            yield env
        finally:
            restore_environment(saved)


def score_default_pairs(repo: DynamoRiskRepository, importers: Sequence[str] | None = None) -> int:
    """Scores every material for the default importers (what `make run` does) at BENCH_AS_OF."""
    from shared.config import DEFAULT_IMPORTERS
    from shared.services.rescoring import rescore_all

    summary = rescore_all(repo, BENCH_AS_OF, importers if importers is not None else DEFAULT_IMPORTERS)
    return summary.pairs_scored


# ----------------------------------------------------------------------------------------- timing helpers


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Handlers print logs and EMF metrics to stdout (CloudWatch in Lambda): the cost stays, the noise goes.

    Redirects file descriptor 1 (Powertools' Logger keeps the sys.stdout it saw at import time).
    """
    sys.stdout.flush()
    saved = os.dup(1)
    sink = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(sink, 1)
        with open(os.devnull, "w", encoding="utf-8") as text_sink, contextlib.redirect_stdout(text_sink):
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(sink)


# ----------------------------------------------------------------------------------------- results


@dataclass
class Goal:
    name: str
    target: str
    measured: str
    met: bool | None  # None: reported without a goal, or not measured (the text says which)

    def as_row(self) -> str:
        verdict = {True: "met", False: "**missed**", None: "reported"}[self.met]
        return f"| {self.name} | {self.target} | {self.measured} | {verdict} |"


@dataclass
class BenchResult:
    """One benchmark's outcome: the markdown section for docs/performance.md and a console summary."""

    name: str
    title: str
    markdown: str
    summary: list[str] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    seconds: float = 0.0

    def goals_json(self) -> str:
        return json.dumps([g.__dict__ for g in self.goals], separators=(",", ":"))


def fmt_int(value: float) -> str:
    return f"{value:,.0f}"


def write_scores_if_newer(client: Any, table: str, items: Sequence[Any]) -> None:
    """One TransactWriteItems of score items (up to 100) as conditional Puts with the repository's newer-only
    condition (`computed_at <=` the item's own): the floors' form of the writes the worker and the stream make."""
    client.transact_write_items(
        TransactItems=[
            {
                "Put": {
                    "TableName": table,
                    "Item": item,
                    "ConditionExpression": "attribute_not_exists(pk) OR computed_at <= :at",
                    "ExpressionAttributeValues": {":at": item["computed_at"]},
                }
            }
            for item in items
        ]
    )


@dataclass(frozen=True)
class AlternatedSamples:
    """Per-call seconds of an api and its floor, timed in alternating blocks (see `alternate_blocks`)."""

    api: list[float]
    floor: list[float]
    block_ratios: list[float]  # per block: api p50 / floor p50


def _time_calls(fn: Callable[[], Any], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return samples


def alternate_blocks(
    api_once: Callable[[], Any],
    floor_once: Callable[[], Any],
    blocks: int,
    block: int,
    warmup: int,
    on_warm: Callable[[], Any] = lambda: None,
) -> AlternatedSamples:
    """Both warmed up (then `on_warm()`, e.g. a call counter's reset), then `blocks` blocks of `block` calls each,
    api first in even blocks and floor first in odd ones, so drift in the machine's load falls on both sides alike."""
    _time_calls(api_once, warmup)
    _time_calls(floor_once, warmup)
    on_warm()
    api: list[float] = []
    floor: list[float] = []
    ratios: list[float] = []
    for b in range(blocks):
        first, second = (api_once, floor_once) if b % 2 == 0 else (floor_once, api_once)
        first_samples, second_samples = _time_calls(first, block), _time_calls(second, block)
        api_block, floor_block = (first_samples, second_samples) if b % 2 == 0 else (second_samples, first_samples)
        api += api_block
        floor += floor_block
        ratios.append(percentile(api_block, 50) / percentile(floor_block, 50))
    return AlternatedSamples(api, floor, ratios)
