"""The cost model: the request counts the code makes (formulas checked against the measured sample by
tests/unit/test_cost_model.py), times the item sizes measured over the default nightly, times the price table.

Every count formula here mirrors one code path:
- nightly (`plan_chunks` + `process_chunk`): per chunk one BatchGetItem of the profiles, one Query per material
  and two reference Queries; ceil(pairs/100) TransactWriteItems of conditional score Puts (2 write units per KB:
  transactional) + one marker transaction (a Put and an Update); ceil(pairs/25) BatchWriteItem of history rows;
  each score item is also written to gsi1 and gsi2 (projection ALL), twice more where its score (the GSI sort
  key) changed;
- a signal change on the stream path (`rescore_change_pairs`): the same reads for the touched materials,
  one projected BatchGetItem per 100 pairs (computed_at), the same writes; ScoreChanged events for moved pairs;
- the API: per route, the calls its service makes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from scripts.cost.item_size import READ_UNIT_BYTES
from scripts.cost.measure import Measurements
from scripts.cost.prices import Durations, PriceTable

TRANSACT_LIMIT = 100
BATCH_WRITE_LIMIT = 25
BATCH_GET_LIMIT = 100
SQS_BATCH = 10
GSIS = 2
NIGHTS_PER_MONTH = 30
SECONDS_PER_MONTH = 30 * 24 * 3600
HISTORY_RETENTION_DAYS = 400
#: template.yaml: worker MemorySize 1024, the other functions 512 (Globals); worker SQS BatchSize 2
WORKER_GB = 1.0
FUNCTION_GB = 0.5
WORKER_BATCH = 2


def chunk_plan(importers: int, materials: int, chunk_pairs: int) -> list[int]:
    """Materials per chunk, as `plan_chunks` cuts them (whole materials, ~chunk_pairs pairs each)."""
    per_chunk = max(1, chunk_pairs // max(1, importers))
    return [min(per_chunk, materials - start) for start in range(0, materials, per_chunk)]


@dataclass
class Counts:
    """DynamoDB calls per operation and items written per kind for one piece of work."""

    calls: dict[str, int] = field(default_factory=dict)
    items_written: dict[str, int] = field(default_factory=dict)
    gsi_item_writes: int = 0

    def add(self, op: str, n: int) -> None:
        if n:
            self.calls[op] = self.calls.get(op, 0) + n

    def wrote(self, kind: str, n: int) -> None:
        if n:
            self.items_written[kind] = self.items_written.get(kind, 0) + n


def nightly_chunk_counts(importers: int, materials_per_chunk: Sequence[int]) -> Counts:
    """What the workers' `process_chunk` calls make for these chunks (no alert cause)."""
    counts = Counts()
    for materials in materials_per_chunk:
        pairs = materials * importers
        counts.add("BatchGetItem", math.ceil(materials / BATCH_GET_LIMIT))
        counts.add("Query", materials + 2)
        counts.add("TransactWriteItems", math.ceil(pairs / TRANSACT_LIMIT) + 1)
        counts.add("BatchWriteItem", math.ceil(pairs / BATCH_WRITE_LIMIT))
        counts.wrote("transact_put", pairs + 1)  # the scores and the chunk marker
        counts.wrote("transact_update", 1)  # the run's counters
        counts.wrote("batch_put", pairs)  # the history rows
        counts.gsi_item_writes += GSIS * pairs
    return counts


def signal_change_counts(targets: int, materials: int) -> Counts:
    """A changed signal on `materials` materials for `targets` scored importers (ALL: every one but the issuer),
    on the stream path."""
    pairs = materials * targets
    counts = Counts()
    counts.add("Query", materials + 3)  # the catalogue (which materials it touches), dependencies, governance, signals
    counts.add("BatchGetItem", math.ceil(materials / BATCH_GET_LIMIT) + math.ceil(pairs / BATCH_GET_LIMIT))
    counts.add("TransactWriteItems", math.ceil(pairs / TRANSACT_LIMIT))
    counts.add("BatchWriteItem", math.ceil(pairs / BATCH_WRITE_LIMIT))
    counts.wrote("transact_put", pairs)
    counts.wrote("batch_put", pairs)
    counts.gsi_item_writes += GSIS * pairs
    return counts


# --- sizes and prices ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Size:
    """One deployment size of issue 18."""

    name: str
    importers: int
    materials: int
    tenants: int
    portfolio_lines: int
    api_calls_per_month: int
    signals_per_day: float
    #: route mix: share of API calls per route (get_score, rank_page, batch_20, portfolio_risk)
    mix: dict[str, float]
    chunk_pairs: int = 1000

    @property
    def pairs(self) -> int:
        return self.importers * self.materials


TODAY = Size(
    "1. today's default",
    importers=168,
    materials=85,
    tenants=3,
    portfolio_lines=100,
    api_calls_per_month=100_000,
    signals_per_day=1,
    mix={"get_score": 0.6, "rank_page": 0.25, "batch_20": 0.1, "portfolio_risk": 0.05},
)
SIZES = (
    TODAY,
    replace(TODAY, name="2. 10x materials", materials=2000),
    replace(
        TODAY,
        name="3. 1,000 tenants",
        tenants=1000,
        portfolio_lines=1000,
        api_calls_per_month=10_000_000,
        signals_per_day=100,
        mix={"get_score": 0.4, "rank_page": 0.2, "batch_20": 0.2, "portfolio_risk": 0.2},
    ),
)


@dataclass
class Line:
    service: str
    what: str
    quantity: float
    unit: str
    usd: float


@dataclass
class Bill:
    size: Size
    lines: list[Line] = field(default_factory=list)

    def add(self, service: str, what: str, quantity: float, unit: str, price: float) -> None:
        self.lines.append(Line(service, what, quantity, unit, quantity * price))

    @property
    def total(self) -> float:
        return sum(line.usd for line in self.lines)

    def biggest(self, n: int = 3) -> list[Line]:
        return sorted(self.lines, key=lambda line: -line.usd)[:n]


@dataclass(frozen=True)
class Options:
    """The cuts the report compares with today's code."""

    skip_unchanged_scores: bool = False
    history_only_on_change: bool = False
    #: a portfolio's risk stored once per night (and per signal change) instead of read line by line per call
    portfolio_risk_stored: bool = False


def _billed_ms(ms: float) -> float:
    return float(math.ceil(ms))


def route_read_units(route: str, m: Measurements, size: Size, options: Options = Options()) -> tuple[float, int]:
    """(read units, sequential DynamoDB calls) of one API call on a route at this size, from the measured calls
    and item sizes: the catalogue Query scales with the materials, score reads with the score item size."""
    s = m.sizes
    score_rru = math.ceil(s.score_item_bytes_mean / READ_UNIT_BYTES) / 2
    catalogue_rru = s.catalogue_query_read_units * size.materials / s.materials
    if route == "get_score":
        return score_rru, sum(m.api.get_score.calls.values())
    if route == "rank_page":
        return math.ceil(50 * s.score_item_bytes_mean / READ_UNIT_BYTES) / 2, sum(m.api.rank_page.calls.values())
    if route == "batch_20":
        return catalogue_rru + 20 * score_rru, sum(m.api.batch_20.calls.values())
    if route == "portfolio_risk":
        lines = size.portfolio_lines
        portfolio_rru = math.ceil(lines * 40 / READ_UNIT_BYTES) / 2  # ~40 B per gzip-compressed line
        if options.portfolio_risk_stored:  # one GetItem of the stored report (~100 B a line)
            return math.ceil(lines * 100 / READ_UNIT_BYTES) / 2, 1
        calls = 2 + math.ceil(lines / BATCH_GET_LIMIT)
        return portfolio_rru + catalogue_rru + lines * score_rru, calls
    raise ValueError(route)


def route_ms(route: str, calls: int, size: Size, d: Durations) -> float:
    ms = d["api_warm_ms"] + calls * d["aws_dynamodb_call_ms"]
    if route == "portfolio_risk":
        ms += size.portfolio_lines * d["portfolio_us_per_line"] / 1000
    return ms


def monthly_bill(m: Measurements, prices: PriceTable, d: Durations, size: Size, options: Options = Options()) -> Bill:
    s = m.sizes
    bill = Bill(size)
    chunks = chunk_plan(size.importers, size.materials, size.chunk_pairs)
    nights = NIGHTS_PER_MONTH
    changed = 1 - s.unchanged_next_day_share
    written_share = changed if options.skip_unchanged_scores else 1.0
    history_share = changed if options.history_only_on_change else 1.0
    pairs = size.pairs

    # --- nightly: scores (transactional), GSIs, history, markers (the counts of `nightly_chunk_counts`)
    night = nightly_chunk_counts(size.importers, chunks)
    score_puts = night.items_written["transact_put"] - len(chunks)
    marker_writes = len(chunks) + night.items_written["transact_update"]
    score_wru = 2 * s.score_item_write_units_mean * score_puts * written_share * nights
    gsi_wru = s.score_item_write_units_mean * night.gsi_item_writes * (written_share + changed) * nights
    history_wru = s.history_item_write_units_mean * night.items_written["batch_put"] * history_share * nights
    marker_wru = (2 * marker_writes + 1) * nights  # small items, transactional; + the run item
    nightly_rru = (
        len(chunks) * (s.governance_query_read_units + s.signals_query_read_units)
        + size.materials * (s.dependency_query_read_units_mean + s.materials_batch_get_read_units_per_material)
    ) * nights
    if options.skip_unchanged_scores:  # read the stored inputs hash of every pair first (whole item counts)
        nightly_rru += pairs * math.ceil(s.score_item_bytes_mean / READ_UNIT_BYTES) / 2 * nights
    bill.add(
        "DynamoDB", "nightly score writes (transactional: 2 units per KB)", score_wru, "WRU", prices["dynamodb_wru"]
    )
    bill.add("DynamoDB", "nightly GSI writes (gsi1 + gsi2, projection ALL)", gsi_wru, "WRU", prices["dynamodb_wru"])
    bill.add("DynamoDB", "nightly history rows", history_wru, "WRU", prices["dynamodb_wru"])
    bill.add("DynamoDB", "nightly run + chunk markers", marker_wru, "WRU", prices["dynamodb_wru"])
    bill.add("DynamoDB", "nightly reference reads", nightly_rru, "RRU", prices["dynamodb_rru"])

    # --- signal changes (stream path): one material for every importer per signal, plus the admin PUT
    signals = size.signals_per_day * nights
    change = signal_change_counts(size.importers - 1, 1)  # ALL targets but the issuer
    signal_pairs = change.items_written["transact_put"]
    moved = m.event.rescoring.events / max(1, m.event.pairs)
    ev_wru = signals * (
        change.items_written["transact_put"] * 2 * s.score_item_write_units_mean
        + change.gsi_item_writes * s.score_item_write_units_mean * (1 + moved)
        + change.items_written["batch_put"]
        * s.history_item_write_units_mean
        * (moved if options.history_only_on_change else 1)
    )
    ev_rru = signals * (
        s.governance_query_read_units
        + s.signals_query_read_units
        + s.dependency_query_read_units_mean
        + signal_pairs * math.ceil(s.score_item_bytes_mean / READ_UNIT_BYTES) / 2
        + m.event.admin_put.read_units
    )
    bill.add(
        "DynamoDB", "signal changes: rescored pairs (scores, GSIs, history)", ev_wru, "WRU", prices["dynamodb_wru"]
    )
    bill.add("DynamoDB", "signal changes: reads", ev_rru, "RRU", prices["dynamodb_rru"])
    events = signals * signal_pairs * moved
    bill.add("EventBridge", "ScoreChanged events", events, "events", prices["eventbridge_events"])

    # --- API reads
    api_rru = 0.0
    api_gb_s = 0.0
    for route, share in size.mix.items():
        rru, calls = route_read_units(route, m, size, options)
        n = size.api_calls_per_month * share
        api_rru += n * rru
        api_gb_s += n * _billed_ms(route_ms(route, calls, size, d)) / 1000 * FUNCTION_GB
    bill.add("DynamoDB", "API reads", api_rru, "RRU", prices["dynamodb_rru"])
    if options.portfolio_risk_stored:
        # recomputed whole each night; on a signal change only the lines of its material (lines / materials)
        lines = size.portfolio_lines
        score_rru = math.ceil(s.score_item_bytes_mean / READ_UNIT_BYTES) / 2
        reads = size.tenants * (nights * lines + signals * lines / size.materials) * score_rru
        writes = size.tenants * (nights + signals) * math.ceil(lines * 100 / 1024)
        bill.add("DynamoDB", "stored portfolio risk: recompute reads", reads, "RRU", prices["dynamodb_rru"])
        bill.add("DynamoDB", "stored portfolio risk: report writes", writes, "WRU", prices["dynamodb_wru"])

    # --- storage (steady state: history kept HISTORY_RETENTION_DAYS), + PITR of the same
    history_rows = pairs * HISTORY_RETENTION_DAYS * history_share + signals / nights * signal_pairs * 365
    storage_gb = (
        pairs * s.score_item_storage_bytes * (1 + GSIS)
        + history_rows * s.history_item_storage_bytes
        + s.reference_storage_bytes * size.materials / s.materials
        + size.tenants * size.portfolio_lines * 60
    ) / 1e9
    bill.add(
        "DynamoDB",
        "storage (table + 2 GSIs, history at 400 days)",
        storage_gb,
        "GB-month",
        prices["dynamodb_storage_gb_month"],
    )
    bill.add("DynamoDB", "point-in-time recovery", storage_gb, "GB-month", prices["dynamodb_pitr_gb_month"])

    # --- Lambda
    worker_invocations = math.ceil(len(chunks) / WORKER_BATCH) * nights
    worker_gb_s = pairs * d["worker_us_per_pair"] / 1e6 * WORKER_GB * nights
    stream_gb_s = signals * signal_pairs * d["stream_ms_per_200_pairs"] / 200 / 1000 * FUNCTION_GB
    planner_gb_s = nights * d["planner_ms"] / 1000 * FUNCTION_GB
    cold_gb_s = size.api_calls_per_month * d["cold_start_share"] * d["api_cold_start_ms"] / 1000 * FUNCTION_GB
    invocations = size.api_calls_per_month + signals * 2 + worker_invocations + nights
    bill.add("Lambda", "API functions (warm)", api_gb_s, "GB-s", prices["lambda_gb_second_arm64"])
    bill.add(
        "Lambda",
        "API cold starts (INIT billed)",
        cold_gb_s * prices["lambda_init_billed"],
        "GB-s",
        prices["lambda_gb_second_arm64"],
    )
    bill.add(
        "Lambda", "nightly workers + planner", worker_gb_s + planner_gb_s, "GB-s", prices["lambda_gb_second_arm64"]
    )
    bill.add("Lambda", "stream rescoring", stream_gb_s, "GB-s", prices["lambda_gb_second_arm64"])
    bill.add("Lambda", "invocations", invocations, "requests", prices["lambda_requests"])

    # --- API Gateway, WAF, X-Ray
    api_requests = size.api_calls_per_month + signals
    bill.add("API Gateway", "REST requests", api_requests, "requests", prices["apigw_rest_requests"])
    bill.add("WAF", "web ACL + 3 rules", 1, "month", prices["waf_web_acl_month"] + 3 * prices["waf_rule_month"])
    bill.add("WAF", "requests inspected", api_requests, "requests", prices["waf_requests"])
    traces = xray_traces(api_requests) + worker_invocations + signals
    bill.add("X-Ray", "traces (default sampling: 1/s + 5%)", traces, "traces", prices["xray_traces"])

    # --- SQS and Scheduler
    sqs_requests = (
        math.ceil(len(chunks) / SQS_BATCH) * nights + 2 * worker_invocations + d["sqs_idle_receives_per_month"]
    )
    bill.add(
        "SQS", "chunk messages, receives, deletes, idle long polling", sqs_requests, "requests", prices["sqs_requests"]
    )
    bill.add("Scheduler", "nightly schedule", nights, "invocations", prices["scheduler_invocations"])

    # --- CloudWatch
    log_gb = (invocations * d["log_bytes_per_invocation"] + api_requests * d["access_log_bytes_per_request"]) / 1e9
    bill.add("CloudWatch", "logs ingested (functions + access logs)", log_gb, "GB", prices["logs_ingest_gb"])
    bill.add("CloudWatch", "logs stored (30-day retention)", log_gb, "GB-month", prices["logs_storage_gb_month"])
    bill.add(
        "CloudWatch",
        "custom metrics (EMF) + 2 alarms",
        1,
        "month",
        len(m.custom_metrics) * prices["metrics_custom_month"] + 2 * prices["alarm_standard_month"],
    )
    return bill


def xray_traces(requests_per_month: float) -> float:
    """X-Ray's default sampling rule: the first request each second, then 5% of the rest."""
    mean_per_s = requests_per_month / SECONDS_PER_MONTH
    reservoir = min(requests_per_month, SECONDS_PER_MONTH * min(1.0, mean_per_s))
    return reservoir + 0.05 * (requests_per_month - reservoir)
