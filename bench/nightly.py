"""3. Nightly rescoring of N pairs: the worker path (process_chunk over the planner's chunks) vs a write floor.

Pairs are built from the REAL seed: its default scored importers (the EU and every economy with its own trade data
for at least 5 materials, 168) x materials. 85 materials is the real size; beyond that, materials are
clones of the real profiles with distinct ids (`<id>_cNN`) and copies of their dependencies, so N grows the way a
bigger catalogue grows it (more chunks, one dependency Query per material).

- worker: shared.services.rescoring.process_chunk over plan_chunks(..., chunk_pairs = the template's CHUNK_PAIRS),
  each chunk inside shared.runtime.gc_paused() as the worker handler runs it:
  per chunk one BatchGetItem (profiles), one Query per material (dependencies), one Query each for governance
  and signals, scoring, the score items as conditional puts in TransactWriteItems of up to 100 (never over a later
  score), BatchWriteItem of the history rows, and the chunk marker transaction.
- floor: the same number of items of the same size (the very score and history items the worker writes, built
  beforehand and not timed) written with optimal 25-item BatchWriteItem calls; only the calls are timed.

Every run uses its own as_of (new history rows, score items overwritten); before the first timed run one discarded
worker run (score items only, for the largest N) writes the score items and warms DynamoDB Local's JVM, so the
worker and the floor both overwrite the score items and insert history rows, as a real night does. Worker and
floor runs alternate (W F, F W, ...) to cancel drift.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bench.common import (
    BENCH_AS_OF,
    REPO_ROOT,
    BenchResult,
    CallCounter,
    Goal,
    LocalDynamo,
    Stats,
    fmt_int,
    ratio_stats,
    write_scores_if_newer,
)

if TYPE_CHECKING:
    from shared.domain.models import ImporterDependency, MaterialProfile
    from shared.ports import RescoreChunk
    from shared.services.rescoring import ScoringContext
    from shared.services.seeding import SeedData

GOAL_RATIO = 1.3
GOAL_MEMORY_MB = 256
BATCH = 25
TRANSACT = 100  # DynamoDB's TransactWriteItems limit, the worker's score-write batch
DEFAULT_BUDGET_S = 600.0  # the 100k run is measured only if it is projected to finish within this


# ----------------------------------------------------------------------------------------- the data


def bench_importers() -> tuple[str, ...]:
    """The seed's default scored importers (data/seed/dependencies.json `default_importers`): the real size."""
    from shared.adapters.seed_files import read_default_importers

    return read_default_importers()


def synthetic_seed(seed: SeedData, material_count: int) -> SeedData:
    """`material_count` materials: the real ones in id order, then clones `<id>_cNN` with their dependencies."""
    from shared.services.seeding import SeedData

    real = sorted(seed.materials, key=lambda m: m.id)
    deps: dict[str, list[ImporterDependency]] = {}
    for d in seed.dependencies:
        deps.setdefault(d.material, []).append(d)
    materials: list[MaterialProfile] = []
    dependencies: list[ImporterDependency] = []
    for i in range(material_count):
        base, copy = real[i % len(real)], i // len(real)
        if copy == 0:
            materials.append(base)
            dependencies += deps.get(base.id, [])
            continue
        clone_id = f"{base.id}_c{copy:02d}"
        materials.append(base.model_copy(update={"id": clone_id}))
        dependencies += [d.model_copy(update={"material": clone_id}) for d in deps.get(base.id, [])]
    return SeedData(materials=materials, dependencies=dependencies, governance=seed.governance, signals=seed.signals)


def template_chunk_pairs() -> int:
    """CHUNK_PAIRS as the planner gets it: the template's variable if it sets one, else shared/config.py's default."""
    from local.lambda_runtime import function_runtime_environment
    from shared.config import Settings
    from tooling.sam_template import load_template

    env = function_runtime_environment(
        load_template(), "NightlyPlannerFunction", table_name="t", endpoint_url="http://127.0.0.1:1"
    )
    if "CHUNK_PAIRS" in env:
        return int(env["CHUNK_PAIRS"])
    return int(Settings.model_fields["chunk_pairs"].default)


def template_retention_days() -> int:
    from shared.config import Settings

    return int(Settings.model_fields["history_retention_days"].default)


# ----------------------------------------------------------------------------------------- runs


@dataclass
class RunResult:
    kind: str
    seconds: float
    pairs: int
    items: int = 0
    calls: dict[str, int] = field(default_factory=dict)
    call_seconds: dict[str, float] = field(default_factory=dict)
    http: int = 0
    per_chunk: list[tuple[int, int, dict[str, int]]] = field(default_factory=list)  # (materials, pairs, calls)
    partial: bool = False


def _score_items(context: ScoringContext, seed: SeedData, chunk: RescoreChunk, expires_at: int) -> list[Any]:
    """The worker's exact write requests for one chunk (score item + history item per pair), built untimed."""
    from shared.adapters.dynamodb_repository import DynamoRiskRepository
    from shared.services.rescoring import score_material

    by_id = {m.id: m for m in seed.materials}
    requests: list[Any] = []
    for material_id in chunk.materials:
        material = by_id[material_id]
        deps = [d for d in seed.dependencies if d.material == material_id]
        for score in score_material(context, material, deps, chunk.importers, chunk.as_of):
            requests.append({"PutRequest": {"Item": DynamoRiskRepository._score_item(score)}})
            requests.append({"PutRequest": {"Item": DynamoRiskRepository._history_item(score, expires_at)}})
    return requests


def _batches(requests: Iterator[Any]) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for request in requests:
        batch.append(request)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _write_batch(client: Any, table: str, batch: list[Any]) -> None:
    pending = batch
    attempt = 0
    while pending:
        response = client.batch_write_item(RequestItems={table: pending})
        pending = response.get("UnprocessedItems", {}).get(table, [])
        attempt += 1
        if pending and attempt > 8:
            raise RuntimeError(f"{len(pending)} items left unprocessed")


class Workload:
    """One table holding a synthetic seed of N pairs, and the two ways to (re)write its scores."""

    def __init__(
        self,
        ddb: LocalDynamo,
        seed: SeedData,
        material_count: int,
        importers: Sequence[str],
        chunk_pairs: int,
        retention_days: int,
    ) -> None:
        from shared.adapters.dynamodb_repository import DynamoRiskRepository, make_dynamodb_client
        from shared.services.rescoring import ScoringContext
        from shared.services.seeding import seed_reference_data

        self.ddb = ddb
        self.seed = synthetic_seed(seed, material_count)
        self.importers = tuple(importers)
        self.chunk_pairs = chunk_pairs
        self.retention_days = retention_days
        self.table = ddb.new_table("nightly")
        # the worker's own client configuration; a client of its own, so the counts are this workload's only
        self.client = make_dynamodb_client(ddb.endpoint_url, "us-east-1")
        self.counter = CallCounter(self.client)
        self.repo = DynamoRiskRepository(self.table, self.client)
        seed_reference_data(self.repo, self.seed)
        self.context = ScoringContext(
            governance={g.country: g for g in self.seed.governance}, signals=list(self.seed.signals)
        )
        self.material_ids = [m.id for m in self.seed.materials]
        self.materials = {m.id: m for m in self.seed.materials}
        self.dependencies: dict[str, list[ImporterDependency]] = {}
        for d in self.seed.dependencies:
            self.dependencies.setdefault(d.material, []).append(d)
        self.pairs = len(self.material_ids) * len(self.importers)
        self._runs = 0

    def _next_as_of(self) -> datetime:
        self._runs += 1
        return BENCH_AS_OF + timedelta(days=self._runs)

    def chunks(self, run_id: str, as_of: datetime) -> list[RescoreChunk]:
        from shared.services.rescoring import plan_chunks

        return plan_chunks(run_id, as_of, self.material_ids, self.importers, self.chunk_pairs)

    def _requests(self, chunk: RescoreChunk, expires_at: int) -> list[Any]:
        """The worker's exact write requests for one chunk (score item + history item per pair)."""
        from shared.adapters.dynamodb_repository import DynamoRiskRepository
        from shared.services.rescoring import score_material

        requests: list[Any] = []
        for material_id in chunk.materials:
            scores = score_material(
                self.context,
                self.materials[material_id],
                self.dependencies.get(material_id, []),
                chunk.importers,
                chunk.as_of,
            )
            for score in scores:
                requests.append({"PutRequest": {"Item": DynamoRiskRepository._score_item(score)}})
                requests.append({"PutRequest": {"Item": DynamoRiskRepository._history_item(score, expires_at)}})
        return requests

    def _create_run(self, run_id: str, as_of: datetime, chunks: int) -> None:
        from shared.ports import RescoreRun

        self.repo.create_run(
            RescoreRun(
                run_id=run_id,
                as_of=as_of,
                chunks_total=chunks,
                chunks_done=0,
                chunks_failed=0,
                pairs_scored=0,
                created_at=as_of,
            )
        )

    def prime(self) -> float:
        """Writes every score item once (not timed as a run): later runs overwrite them, as a real night does."""
        from shared.services.rescoring import history_expiry

        started = time.perf_counter()
        as_of = self._next_as_of()
        expires_at = history_expiry(as_of, self.retention_days)

        def score_items() -> Iterator[Any]:
            for chunk in self.chunks("prime", as_of):
                yield from self._requests(chunk, expires_at)[0::2]

        for batch in _batches(score_items()):
            _write_batch(self.client, self.table, batch)
        return time.perf_counter() - started

    def worker_run(self, deadline_s: float) -> RunResult:
        from shared.runtime import gc_paused
        from shared.services.rescoring import process_chunk

        as_of = self._next_as_of()
        run_id = f"bench-{as_of:%Y%m%dT%H%M}"
        chunks = self.chunks(run_id, as_of)
        self._create_run(run_id, as_of, len(chunks))
        self.counter.reset()
        per_chunk: list[tuple[int, int, dict[str, int]]] = []
        pairs = 0
        started = time.perf_counter()
        for chunk in chunks:
            before = Counter(self.counter.calls)
            with gc_paused():  # as functions/rescore_worker/app.py runs each chunk
                scored = process_chunk(self.repo, chunk, self.retention_days)
            pairs += scored
            per_chunk.append((len(chunk.materials), scored, dict(Counter(self.counter.calls) - before)))
            if time.perf_counter() - started > deadline_s:
                break
        seconds = time.perf_counter() - started
        return RunResult(
            kind="worker",
            seconds=seconds,
            pairs=pairs,
            items=2 * pairs,
            calls=self.counter.snapshot(),
            call_seconds=dict(self.counter.seconds),
            http=self.counter.http,
            per_chunk=per_chunk,
            partial=len(per_chunk) < len(chunks),
        )

    def floor_run(self, deadline_s: float) -> RunResult:
        """The write floor of the worker's writes: per chunk, its score items as conditional Puts (the worker's
        newer-only condition) in 100-item TransactWriteItems, then its history rows in 25-item BatchWriteItem
        calls, one call at a time. Only the calls are timed; the items are built between them (untimed)."""
        from shared.services.rescoring import history_expiry

        as_of = self._next_as_of()
        expires_at = history_expiry(as_of, self.retention_days)
        self.counter.reset()
        seconds = 0.0
        items = 0
        partial = False
        for chunk in self.chunks("floor", as_of):
            requests = self._requests(chunk, expires_at)
            scores, history = requests[0::2], requests[1::2]
            calls: list[tuple[str, list[Any]]] = [
                ("transact", scores[i : i + TRANSACT]) for i in range(0, len(scores), TRANSACT)
            ] + [("batch", history[i : i + BATCH]) for i in range(0, len(history), BATCH)]
            for kind, batch in calls:
                started = time.perf_counter()
                if kind == "transact":
                    write_scores_if_newer(self.client, self.table, [r["PutRequest"]["Item"] for r in batch])
                else:
                    _write_batch(self.client, self.table, batch)
                seconds += time.perf_counter() - started
                items += len(batch)
            if seconds > deadline_s:
                partial = True
                break
        return self._floor_result("floor", seconds, items, partial)

    def batch_floor_run(self, deadline_s: float) -> RunResult:
        """The same items with no condition at all, in 25-item BatchWriteItem calls (what the writes would cost if
        a late nightly chunk were allowed to overwrite a newer score). Only the calls are timed."""
        from shared.services.rescoring import history_expiry

        as_of = self._next_as_of()
        expires_at = history_expiry(as_of, self.retention_days)
        chunks = self.chunks("floor", as_of)

        def requests() -> Iterator[Any]:
            for chunk in chunks:
                yield from self._requests(chunk, expires_at)

        self.counter.reset()
        seconds = 0.0
        items = 0
        partial = False
        for batch in _batches(requests()):
            started = time.perf_counter()
            _write_batch(self.client, self.table, batch)
            seconds += time.perf_counter() - started
            items += len(batch)
            if seconds > deadline_s:
                partial = True
                break
        return self._floor_result("batch_floor", seconds, items, partial)

    def _floor_result(self, kind: str, seconds: float, items: int, stopped: bool) -> RunResult:
        return RunResult(
            kind=kind,
            seconds=seconds,
            pairs=items // 2,
            items=items,
            calls=self.counter.snapshot(),
            call_seconds=dict(self.counter.seconds),
            http=self.counter.http,
            partial=stopped and items < 2 * self.pairs,
        )

    def item_cost_us(self) -> float:
        """Microseconds per pair to build the score + history items from computed scores (best of 3)."""
        from shared.adapters.dynamodb_repository import DynamoRiskRepository
        from shared.services.rescoring import score_material

        chunk = self.chunks("items", BENCH_AS_OF)[0]
        scores = [
            score
            for m in chunk.materials
            for score in score_material(
                self.context, self.materials[m], self.dependencies.get(m, []), chunk.importers, chunk.as_of
            )
        ]
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            for score in scores:
                DynamoRiskRepository._score_item(score)
                DynamoRiskRepository._history_item(score, 0)
            best = min(best, time.perf_counter() - started)
        return best / len(scores) * 1e6

    def memory(self) -> dict[str, Any]:
        """Peak memory of ONE chunk: tracemalloc here, ru_maxrss in a fresh process running the real handler."""
        import dataclasses
        import gc

        from shared.adapters.messaging import ChunkMessage
        from shared.services.rescoring import process_chunk

        as_of = self._next_as_of()
        run_id = f"bench-mem-{as_of:%Y%m%dT%H%M}"
        chunks = self.chunks(run_id, as_of)
        chunk = next((c for c in chunks if "dysprosium" in c.materials), chunks[0])
        self._create_run(run_id, as_of, len(chunks))
        gc.collect()
        tracemalloc.start()
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        process_chunk(self.repo, chunk, self.retention_days)
        peak = tracemalloc.get_traced_memory()[1] - baseline
        tracemalloc.stop()

        child_run = f"{run_id}-child"
        self._create_run(child_run, as_of, len(chunks))
        body = ChunkMessage.of(dataclasses.replace(chunk, run_id=child_run)).model_dump_json()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_", "PYTHON"))}
        env.update(self.ddb.function_environment("RescoreWorkerFunction", self.table))
        env.update({"PYTHONPATH": str(REPO_ROOT), "LAMBDA_TASK_ROOT": str(REPO_ROOT)})
        done = subprocess.run(
            [sys.executable, "-m", "bench.worker_child", body],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_RESULT ")), None)
        if done.returncode != 0 or line is None:
            raise RuntimeError(f"worker child failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
        child = json.loads(line.removeprefix("BENCH_RESULT "))
        if child["response"].get("batchItemFailures"):
            raise RuntimeError(f"the worker reported failures: {child['response']}")
        return {
            "chunk_index": chunk.index,
            "materials": len(chunk.materials),
            "pairs": len(chunk.materials) * len(chunk.importers),
            "tracemalloc_peak_mb": peak / 2**20,
            "rss_imports_peak_mb": child["maxrss_imports_kib"] / 1024,
            "peak_reset": bool(child["peak_reset"] and child["hwm_after_kib"]),
            "rss_before_mb": child["rss_before_kib"] / 1024,
            "rss_after_mb": (child["hwm_after_kib"] if child["peak_reset"] else child["maxrss_after_kib"]) / 1024,
            "maxrss_before_mb": child["maxrss_before_kib"] / 1024,
            "maxrss_after_mb": child["maxrss_after_kib"] / 1024,
            "child_seconds": child["seconds"],
            "rss_delta_mb": (
                (child["hwm_after_kib"] if child["peak_reset"] else child["maxrss_after_kib"]) - child["rss_before_kib"]
            )
            / 1024,
        }


# ----------------------------------------------------------------------------------------- checks and report


def call_checks(run: RunResult) -> list[tuple[str, bool, str]]:
    """(what, ok, detail) for the worker's request counts."""
    chunks = run.per_chunk
    bwi_expected = sum(math.ceil(pairs / BATCH) for _, pairs, _ in chunks)  # history rows
    bwi_global = math.ceil(run.pairs / BATCH)
    bad_query = [i for i, (m, _, c) in enumerate(chunks) if c.get("Query", 0) != m + 2]
    bad_get = [i for i, (m, _, c) in enumerate(chunks) if c.get("BatchGetItem", 0) != math.ceil(m / 100)]
    # the score items (100 conditional puts per transaction) + the chunk marker
    bad_tx = [i for i, (_, p, c) in enumerate(chunks) if c.get("TransactWriteItems", 0) != math.ceil(p / 100) + 1]
    total_calls = sum(run.calls.values())
    return [
        (
            "BatchWriteItem == sum over chunks of ceil(pairs / 25) (history rows)",
            run.calls.get("BatchWriteItem", 0) == bwi_expected,
            f"{run.calls.get('BatchWriteItem', 0)} calls, expected {bwi_expected} "
            f"(ceil(items/25) over the whole run would be {bwi_global}: +{bwi_expected - bwi_global} "
            "for the last partial batch of each chunk)",
        ),
        (
            "Query per chunk == materials in the chunk + 2 (governance, signals)",
            not bad_query,
            "all chunks" if not bad_query else f"chunks {bad_query[:5]} differ",
        ),
        (
            "BatchGetItem per chunk == ceil(materials / 100)",
            not bad_get,
            "all chunks" if not bad_get else f"chunks {bad_get[:5]} differ",
        ),
        (
            "TransactWriteItems per chunk == ceil(pairs / 100) (scores) + 1 (chunk marker)",
            not bad_tx,
            f"{run.calls.get('TransactWriteItems', 0)}",
        ),
        ("no retried HTTP attempts", run.http == total_calls, f"{run.http} attempts for {total_calls} calls"),
    ]


def _median(runs: Sequence[RunResult]) -> float:
    return Stats.of([r.seconds for r in runs]).median


def run(
    quick: bool = False,
    budget_s: float = DEFAULT_BUDGET_S,
    large: bool = True,
    material_counts: tuple[int, ...] | None = None,
    large_materials: int | None = None,
) -> BenchResult:
    """N = materials x the 168 default importers: 85 materials (the real size, 14,280 pairs) and 170, then 595
    (100k) within the budget; --quick: 17 and 34. `material_counts` / `large_materials` override (for testing)."""
    from shared.adapters.seed_files import read_seed

    material_counts = material_counts or ((17, 34) if quick else (85, 170))
    repeats = 2 if quick else 5  # the write floor on DynamoDB Local varies by ~10% from run to run
    large_count = (large_materials or 595) if (large and (not quick or large_materials)) else 0
    started = time.perf_counter()
    measured: dict[int, tuple[list[RunResult], list[RunResult]]] = {}
    batch_floors: dict[int, list[RunResult]] = {}
    first_worker: dict[int, RunResult] = {}
    priming: dict[int, float] = {}
    memory: dict[str, Any] = {}
    notes: list[str] = []
    skipped: tuple[str, str] | None = None
    chunk_pairs = template_chunk_pairs()
    retention = template_retention_days()
    seed = read_seed()
    importers = bench_importers()
    # A DynamoDB Local per N: in a process that held earlier tables, writes to a new table get slower (2-4x
    # with the old tables kept, 15-30x after DeleteTable, measured while writing this benchmark).
    for count in material_counts:
        with LocalDynamo() as ddb:
            workload = Workload(ddb, seed, count, importers, chunk_pairs, retention)
            # one untimed worker run: writes the score items and warms DynamoDB Local's JVM on every call type
            priming[workload.pairs] = workload.worker_run(budget_s).seconds
            workers: list[RunResult] = []
            floors: list[RunResult] = []
            plain: list[RunResult] = []
            for r in range(repeats):
                if r % 2 == 0:
                    workers.append(workload.worker_run(budget_s))
                    floors.append(workload.floor_run(budget_s))
                    plain.append(workload.batch_floor_run(budget_s))
                else:
                    plain.append(workload.batch_floor_run(budget_s))
                    floors.append(workload.floor_run(budget_s))
                    workers.append(workload.worker_run(budget_s))
            measured[workload.pairs] = (workers, floors)
            batch_floors[workload.pairs] = plain
            first_worker[workload.pairs] = workers[0]
            if not memory:
                memory = workload.memory()
                memory["item_us"] = workload.item_cost_us()

    if large_count:
        largest = max(measured)
        workers, floors = measured[largest]
        # worker + floor + batch floor + priming (scores)
        per_pair = (_median(workers) + _median(floors) + _median(batch_floors[largest]) * 1.5) / largest
        large_pairs = large_count * len(importers)
        projected = per_pair * large_pairs
        if projected <= budget_s:
            load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
            with LocalDynamo() as ddb:
                workload = Workload(ddb, seed, large_count, importers, chunk_pairs, retention)
                priming[workload.pairs] = workload.prime()
                w = workload.worker_run(budget_s)
                f = workload.floor_run(budget_s)
                batch_floors[workload.pairs] = [workload.batch_floor_run(budget_s)]
            measured[workload.pairs] = ([w], [f])
            first_worker[workload.pairs] = w
            notes.append(
                f"The {fmt_int(large_pairs)}-pair night is a single worker run and a single floor run (projected "
                f"{projected / 60:.1f} min, measured {(w.seconds + f.seconds) / 60:.1f} min without priming; load "
                f"average {load} at its start on this shared machine), so its ratio is one sample."
            )
            if w.partial or f.partial:
                notes.append(
                    f"The {fmt_int(large_pairs)}-pair run hit the {budget_s:.0f} s budget and was stopped: "
                    f"the worker scored {fmt_int(w.pairs)} pairs, the floor wrote {fmt_int(f.items)} items."
                )
        else:
            skipped = (fmt_int(large_pairs), f"not measured: projected {projected / 60:.1f} min > budget")
            notes.append(
                f"{fmt_int(large_pairs)} pairs were NOT measured: projected {projected / 60:.1f} min (worker + "
                f"floor + priming at the {fmt_int(largest)}-pair rates) exceeds the {budget_s / 60:.0f} min budget "
                "(`--nightly-budget` raises it)."
            )
    result = _report(
        measured,
        batch_floors,
        first_worker,
        priming,
        memory,
        notes,
        chunk_pairs,
        importers,
        repeats,
        time.perf_counter() - started,
    )
    if skipped is not None:
        result.goals.insert(
            len(measured),
            Goal(f"nightly {skipped[0]} pairs, worker / write floor", f"<= {GOAL_RATIO}", skipped[1], None),
        )
    return result


def _report(
    measured: dict[int, tuple[list[RunResult], list[RunResult]]],
    batch_floors: dict[int, list[RunResult]],
    first_worker: dict[int, RunResult],
    priming: dict[int, float],
    memory: dict[str, Any],
    notes: list[str],
    chunk_pairs: int,
    importers: Sequence[str],
    repeats: int,
    seconds: float,
) -> BenchResult:
    sizes = sorted(measured)
    per_chunk_materials = max(1, chunk_pairs // len(importers))
    md = [
        f"{len(importers)} importers (the default scored set: the EU and every economy with its own trade data for "
        "at least 5 materials) x materials: the 85 real profiles (the real size), and beyond that "
        "clones of them with distinct ids (`<id>_cNN`) and copies of their dependencies (signals that name a "
        "material by id do not cover its clones; group-wide signals do). So N grows like a bigger catalogue: "
        "more chunks, one dependency Query per material.",
        "",
        f"Chunk size: CHUNK_PAIRS = {chunk_pairs} (template/config default) -> {per_chunk_materials} materials x "
        f"{len(importers)} importers = {per_chunk_materials * len(importers)} pairs per chunk.",
        "",
        "- **worker**: `process_chunk` over `plan_chunks(...)`, timed end to end (reads, scoring, BatchWriteItem of "
        "scores + history, chunk marker transaction), each chunk inside `shared.runtime.gc_paused()` as the worker "
        "handler runs it.",
        "- **floor** (the goal's): the same score + history items (built untimed), written the least way the same "
        "writes can be made: per chunk the score items as conditional Puts with the worker's newer-only condition in "
        "100-item TransactWriteItems (DynamoDB's only batched conditional write), then the history rows in 25-item "
        "BatchWriteItem calls; one call at a time, only the calls timed.",
        "- **batch floor** (reported): the same items with no condition, all in 25-item BatchWriteItem calls: what "
        "the writes would cost if a late chunk could overwrite a newer score (it cannot since issue 12; "
        "docs/decisions.md 53).",
        f"- {repeats} worker, {repeats} floor and {repeats} batch-floor runs per N (1 each for the 100k night), "
        "alternating, after one "
        "discarded priming run; every run has its own as_of (history rows inserted, score items overwritten); "
        "a fresh DynamoDB Local per N (one that held earlier tables writes 2-30x slower to a new one).",
        "",
        "| pairs | chunks | worker | floor | ratio worker/floor (median of pairs, min-max) | worker us/pair "
        "| floor us/pair | worker time in DynamoDB calls | batch floor | worker / batch floor | floor / batch floor |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    goals: list[Goal] = []
    summary: list[str] = []
    for n in sizes:
        workers, floors = measured[n]
        w, f = Stats.of([r.seconds for r in workers]), Stats.of([r.seconds for r in floors])
        plain_seconds = [r.seconds for r in batch_floors[n]]
        b = Stats.of(plain_seconds)
        ratio = ratio_stats([r.seconds for r in workers], [r.seconds for r in floors])
        fw = first_worker[n]
        in_calls = sum(fw.call_seconds.values()) / fw.seconds if fw.seconds else 0.0
        partial = " (partial)" if any(r.partial for r in workers + floors) else ""
        md.append(
            f"| {fmt_int(n)}{partial} | {len(fw.per_chunk)} | {w.s()} | {f.s()} | **{ratio.median:.2f}** "
            f"({ratio.minimum:.2f}-{ratio.maximum:.2f}) | {w.median / max(workers[0].pairs, 1) * 1e6:.0f} "
            f"| {f.median / max(floors[0].pairs, 1) * 1e6:.0f} | {in_calls:.0%} | {b.s()} "
            f"| {ratio_stats([r.seconds for r in workers], plain_seconds).median:.2f} "
            f"| {ratio_stats([r.seconds for r in floors], plain_seconds).median:.2f} |"
        )
        met = ratio.median <= GOAL_RATIO and not partial
        goals.append(
            Goal(
                f"nightly {fmt_int(n)} pairs, worker / write floor",
                f"<= {GOAL_RATIO}",
                f"{ratio.median:.2f} ({w.median:.1f} vs {f.median:.1f} s){partial}",
                met,
            )
        )
        summary.append(
            f"nightly {fmt_int(n)} pairs: worker {w.s()} vs floor {f.s()} -> ratio {ratio.median:.2f} "
            f"(goal <= {GOAL_RATIO}: {'met' if met else 'MISSED'})"
        )
    if notes:
        md += ["", *notes]

    md += [
        "",
        "Where the worker's time goes (first worker run of each N). A DynamoDB column is the time inside that "
        "client method (parameter validation, serialisation, HTTP, parsing: what the floor's timing covers); the "
        "rest is the worker's own work:",
    ]
    md += [
        "",
        "| pairs | BatchWriteItem | Query | BatchGetItem | TransactWriteItems | the rest (scoring, building items) "
        "| the rest per pair |",
        "|---|---|---|---|---|---|---|",
    ]
    for n in sizes:
        fw = first_worker[n]
        cs = fw.call_seconds
        rest = fw.seconds - sum(cs.values())
        cells = [
            f"{cs.get(op, 0.0):.2f} s ({cs.get(op, 0.0) / fw.seconds:.0%})"
            for op in ("BatchWriteItem", "Query", "BatchGetItem", "TransactWriteItems")
        ]
        md.append(
            f"| {fmt_int(n)} | {' | '.join(cells)} | {rest:.2f} s ({rest / fw.seconds:.0%}) "
            f"| {rest / max(fw.pairs, 1) * 1e6:.0f} us |"
        )

    item_us = float(memory.get("item_us", 0.0))
    rest_shares = [
        (first_worker[n].seconds - sum(first_worker[n].call_seconds.values())) / first_worker[n].seconds
        for n in sizes
        if first_worker[n].seconds
    ]
    md += [
        "",
        f"The worker's time above the floor is mostly its own CPU work ({min(rest_shares):.0%}-{max(rest_shares):.0%} "
        "of its time: scoring, which section 4 measures alone, then building each score's two items, "
        f"{item_us:.0f} us per pair), which the engine work in section 4 cuts directly; its reads (one "
        "Query per material, one BatchGetItem, two reference Queries) and the chunk "
        "transaction are small. On DynamoDB a BatchWriteItem costs less than on DynamoDB Local here, so that CPU "
        "share, and the ratio, will be larger there: besides a faster engine, writing a chunk's batches from a "
        "few threads while the next material is scored would hide the writes behind the scoring.",
    ]
    md += ["", "DynamoDB requests by operation (first worker run of each N; the batch floor's in the last column):", ""]
    md += [
        "| pairs | chunks | BatchWriteItem | Query | BatchGetItem | TransactWriteItems | other | reads per chunk "
        "(max) | batch floor BatchWriteItem |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    all_checks_ok = True
    check_lines: list[str] = []
    for n in sizes:
        fw = first_worker[n]
        calls = dict(fw.calls)
        main_ops = ("BatchWriteItem", "Query", "BatchGetItem", "TransactWriteItems")
        other = {k: v for k, v in calls.items() if k not in main_ops}
        reads = max((c.get("Query", 0) + c.get("BatchGetItem", 0)) for _, _, c in fw.per_chunk)
        floor_bwi = batch_floors[n][0].calls.get("BatchWriteItem", 0)
        md.append(
            f"| {fmt_int(n)} | {len(fw.per_chunk)} | "
            + " | ".join(fmt_int(calls.get(op, 0)) for op in main_ops)
            + f" | {', '.join(f'{k} {v}' for k, v in other.items()) or '0'} | {reads} | {fmt_int(floor_bwi)} "
            f"(ceil(items/25) = {fmt_int(math.ceil(batch_floors[n][0].items / BATCH))}) |"
        )
        for what, ok, detail in call_checks(fw):
            all_checks_ok &= ok
            check_lines.append(f"- {fmt_int(n)} pairs: {what}: {'ok' if ok else '**FAILED**'} ({detail})")
    md += ["", "Checks:", "", *check_lines]
    reads_by_n = {
        n: max((c.get("Query", 0) + c.get("BatchGetItem", 0)) for _, _, c in first_worker[n].per_chunk) for n in sizes
    }
    bound = math.ceil(per_chunk_materials / 100) + per_chunk_materials + 2
    flat = all(r <= bound for r in reads_by_n.values())
    md.append(
        f"- read calls per chunk do not grow with N (at most {bound} = 1 BatchGetItem + one Query per material of "
        f"a full chunk + 2, whatever N): {'ok' if flat else '**FAILED**'} (max per chunk: "
        f"{', '.join(f'{fmt_int(n)} pairs {r}' for n, r in reads_by_n.items())})"
    )
    all_checks_ok &= flat
    goals.append(
        Goal(
            "nightly request counts (per chunk: history BatchWriteItem = ceil(pairs/25), score "
            "TransactWriteItems = ceil(pairs/100), flat reads)",
            "all checks",
            "ok" if all_checks_ok else "failed",
            all_checks_ok,
        )
    )

    # growth
    md += [
        "",
        "Growth (ideal: time grows like pairs):",
        "",
        "| from -> to | pairs x | worker time x | floor time x |",
        "|---|---|---|---|",
    ]
    base = sizes[0]
    growth_ok = True
    for n in sizes[1:]:
        wx = _median(measured[n][0]) / _median(measured[base][0])
        fx = _median(measured[n][1]) / _median(measured[base][1])
        px = n / base
        md.append(f"| {fmt_int(base)} -> {fmt_int(n)} | {px:.2f} | {wx:.2f} | {fx:.2f} |")
        growth_ok &= wx <= px * 1.25
    summary.append(
        "  growth: "
        + ", ".join(
            f"{fmt_int(n)}/{fmt_int(base)} = {_median(measured[n][0]) / _median(measured[base][0]):.2f}x "
            f"(pairs {n / base:.2f}x)"
            for n in sizes[1:]
        )
    )
    goals.append(
        Goal(
            "nightly growth (worker time grows ~linearly with pairs)",
            "time(kN)/time(N) <= 1.25 k",
            "; ".join(
                f"{n / base:.1f}x pairs -> {_median(measured[n][0]) / _median(measured[base][0]):.2f}x"
                for n in sizes[1:]
            ),
            growth_ok,
        )
    )

    if memory:
        how_peak = (
            "VmHWM, reset through /proc/self/clear_refs just before the chunk"
            if memory["peak_reset"]
            else "ru_maxrss, not reset"
        )
        worst = max(memory["tracemalloc_peak_mb"], memory["rss_delta_mb"])
        mem_ok = worst < GOAL_MEMORY_MB
        md += [
            "",
            f"Peak memory of ONE chunk ({memory['materials']} materials x {len(importers)} importers = "
            f"{memory['pairs']} pairs, chunk {memory['chunk_index']}, the one holding dysprosium):",
            "",
            "- tracemalloc peak during `process_chunk` (Python allocations): "
            f"**{memory['tracemalloc_peak_mb']:.1f} MB**",
            f"- fresh process running the real worker handler (`functions.rescore_worker.app.lambda_handler`, SQS "
            f"event): RSS {memory['rss_before_mb']:.1f} MB after imports and client; peak RSS during the chunk "
            f"{memory['rss_after_mb']:.1f} MB ({how_peak}): delta **{memory['rss_delta_mb']:.1f} MB** (chunk took "
            f"{memory['child_seconds']:.2f} s). ru_maxrss: {memory['maxrss_before_mb']:.1f} MB before, "
            f"{memory['maxrss_after_mb']:.1f} MB after (it cannot be reset, and a child spawned with vfork starts "
            "at its parent's peak, so it hides a chunk smaller than that).",
            f"- goal < {GOAL_MEMORY_MB} MB for the chunk: **{'met' if mem_ok else 'missed'}**; the whole process "
            f"peaks at {memory['rss_after_mb']:.0f} MB against the worker's MemorySize of 1024 MB.",
        ]
        goals.append(
            Goal(
                "nightly peak memory of one chunk",
                f"< {GOAL_MEMORY_MB} MB",
                f"{memory['tracemalloc_peak_mb']:.1f} MB tracemalloc, {memory['rss_delta_mb']:.1f} MB RSS delta "
                f"({memory['rss_after_mb']:.0f} MB RSS total)",
                mem_ok,
            )
        )
        summary.append(
            f"  one chunk: tracemalloc peak {memory['tracemalloc_peak_mb']:.1f} MB, RSS delta "
            f"{memory['rss_delta_mb']:.1f} MB (RSS {memory['rss_after_mb']:.0f} MB)"
        )
    md += [
        "",
        "Untimed priming (a discarded worker run, which also warms DynamoDB Local's JVM; score items only for the "
        "100k night): " + ", ".join(f"{fmt_int(n)} pairs {s:.1f} s" for n, s in sorted(priming.items())) + ".",
    ]
    if not any(n >= 100_000 for n in sizes) and not notes:
        md += ["", "The 100k-pair run is not part of `--quick`."]
    return BenchResult(
        name="nightly",
        title="3. Nightly rescoring (worker path vs write floor)",
        markdown="\n".join(md),
        summary=summary,
        goals=goals,
        seconds=seconds,
    )
