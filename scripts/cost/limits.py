"""Scale limits on paper: AWS's published limits against the write and read rates our key design produces.

Published limits used (AWS docs, as known in 2025; not re-checked 2026-11-29, no network):
- DynamoDB: 1,000 WCU and 3,000 RCU per second per partition (base table and each GSI partition); an on-demand
  table's default account quota of 40,000 write / 40,000 read request units per second; a new on-demand table
  serves up to 4,000 writes/s and 12,000 reads/s at first and doubles past its previous peak (Developer Guide,
  "Service, account, and table quotas", "On-demand capacity mode").
- DynamoDB Streams: one shard per table partition, records of one item key in order; Lambda reads each shard with
  ParallelizationFactor (default 1, up to 10) concurrent batches, keeping order per partition key.
- Lambda: 1,000 concurrent executions per region by default; the SQS event source scales up to its
  MaximumConcurrency (template: 20).
- SQS standard queues: nearly unlimited API calls per second.
- API Gateway REST: 10,000 requests/s steady and 5,000 burst per account and region; the stage throttle in the
  template (100 rps, burst 200); AWS WAF's per-client rate rule (1,200 per minute = 20 rps per token).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scripts.cost.measure import Measurements
from scripts.cost.model import GSIS, SECONDS_PER_MONTH, WORKER_BATCH, Size, chunk_plan
from scripts.cost.prices import Durations

PARTITION_WCU = 1000
PARTITION_RCU = 3000
TABLE_WRU_PER_S = 40_000
NEW_TABLE_WRU_PER_S = 4_000
ACCOUNT_CONCURRENCY = 1000
WORKER_MAX_CONCURRENCY = 20
STAGE_RPS = 100
CLIENT_RPS = 1200 / 60
ACCOUNT_RPS = 10_000
NIGHT_SECONDS = 3600


@dataclass
class Limit:
    what: str
    need: float
    limit: float
    unit: str
    then: str

    @property
    def use(self) -> float:
        return self.need / self.limit


def limits(m: Measurements, d: Durations, size: Size) -> list[Limit]:
    s = m.sizes
    wru = s.score_item_write_units_mean
    chunks = chunk_plan(size.importers, size.materials, size.chunk_pairs)
    worker_pairs_per_s = 1e6 / d["worker_us_per_pair"]  # one worker, DynamoDB Local timing: conservative
    wru_per_pair = 2 * wru + GSIS * wru + s.history_item_write_units_mean
    workers_for_hour = math.ceil(size.pairs / NIGHT_SECONDS / worker_pairs_per_s)
    # every chunk's message is on the queue at once: the event source runs up to MaximumConcurrency invocations
    # of up to WORKER_BATCH chunks each, all writing at once (a lower bound: in AWS a worker is faster than here)
    workers = min(WORKER_MAX_CONCURRENCY, math.ceil(len(chunks) / WORKER_BATCH))
    at_max = workers * worker_pairs_per_s
    # measured: the most write units one gsi2 partition (a material's ranking) took in one chunk, per importer
    burst_per_importer = max(c["gsi2"][1] for c in m.nightly.hottest_per_chunk) / m.nightly.importers
    hot_material = max(m.nightly.hottest_per_chunk, key=lambda c: c["gsi2"][1])["gsi2"][0]
    out = [
        Limit(
            "nightly: workers needed to finish in 1 hour (SQS -> Lambda, MaximumConcurrency 20)",
            workers_for_hour,
            WORKER_MAX_CONCURRENCY,
            "workers",
            "raise MaximumConcurrency (account: 1,000); beyond ~1,000 chunks a night, Step Functions distributed map",
        ),
        Limit(
            f"nightly: table write units/s, {workers} workers at once (on-demand table quota)",
            at_max * wru_per_pair,
            TABLE_WRU_PER_S,
            "WRU/s",
            "throttling spreads the night out (Backoff retries); cap MaximumConcurrency so that "
            f"workers x {worker_pairs_per_s:.0f} pairs/s x {wru_per_pair:.1f} WRU stays under the quota, or raise it",
        ),
        Limit(
            "nightly: the same on a NEW on-demand table (first night after deploy; one worker alone needs "
            f"{worker_pairs_per_s * wru_per_pair:,.0f} WRU/s)",
            at_max * wru_per_pair,
            NEW_TABLE_WRU_PER_S,
            "WRU/s",
            "throttled writes are retried (botocore 3 attempts, then Backoff), but a chunk that runs out of retries "
            "fails and after 3 deliveries lands in the DLQ: set warm throughput on the table before the first run",
        ),
        Limit(
            "nightly: hottest base partition SCORE#<importer> (all workers write to every importer)",
            at_max / size.importers * 2 * wru,
            PARTITION_WCU,
            "WCU/s",
            "fine: writes spread over every importer's partition; DynamoDB splits hot partitions",
        ),
        Limit(
            f"nightly: hottest GSI partition gsi2 (measured: {hot_material}, {burst_per_importer:.0f} WCU per "
            "importer per chunk, written in one burst of <1 s), every score changed: delete + put",
            size.importers * burst_per_importer * 2,
            PARTITION_WCU,
            "WCU/s",
            "a material's scores reach its rank partition in one burst: for the materials with the largest items it "
            "is over already on a night that moves all their scores. Shard the rank partition "
            "(RANK#MATERIAL#<m>#<n>, read by merging n pages), write a material's block more slowly, or project "
            "less into gsi2 (INCLUDE score, band, groups: ~1 unit an item instead of up to 5; the ranking then "
            "reads the documents by key)",
        ),
        Limit(
            "signal burst: gsi2 partition of the signal's material (every importer's score moves; the largest "
            "measured items)",
            (size.importers - 1) * burst_per_importer * 2,
            PARTITION_WCU,
            "WCU/s",
            "the same sharding; a group signal spreads over its materials' partitions",
        ),
        Limit(
            "signal burst: stream processing, all SIGNAL items share pk SIGNAL (one shard, in order)",
            size.signals_per_day * (size.importers - 1) * d["stream_ms_per_200_pairs"] / 200 / 1000,
            24 * 3600,
            "s of serial rescoring a day",
            "ParallelizationFactor cannot help (one partition key): a burst of many signals goes through "
            "PUT /v1/signals (one bulk load = one run on the SQS workers) instead",
        ),
        Limit(
            "API: peak requests/s vs the stage throttle (100 rps, all clients)",
            size.api_calls_per_month / SECONDS_PER_MONTH * d["api_peak_to_mean"],
            STAGE_RPS,
            "rps",
            f"per-client quota (WAF, {CLIENT_RPS:.0f} rps) x {size.tenants} tenants = "
            f"{CLIENT_RPS * size.tenants:,.0f} rps possible: the stage throttle binds first; raise it toward the "
            f"account's {ACCOUNT_RPS:,} rps and lower per-client quotas, or usage plans per client",
        ),
        Limit(
            "API: hottest read partition SCORE#<importer> at peak (portfolio lines of one importer)",
            size.api_calls_per_month
            / SECONDS_PER_MONTH
            * d["api_peak_to_mean"]
            * size.mix.get("portfolio_risk", 0)
            * min(size.portfolio_lines, size.materials)
            * 0.5,
            PARTITION_RCU,
            "RCU/s",
            "cache stored scores per container for a minute (they change nightly), or DAX",
        ),
        Limit(
            "Lambda concurrency at peak (API + 20 workers) vs the account's 1,000",
            size.api_calls_per_month / SECONDS_PER_MONTH * d["api_peak_to_mean"] * 0.05 + WORKER_MAX_CONCURRENCY,
            ACCOUNT_CONCURRENCY,
            "executions",
            "reserve concurrency for the read API so the nightly cannot starve it",
        ),
    ]
    return out
