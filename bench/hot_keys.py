"""7. Hot keys: the nightly write pattern and a group signal replayed against DynamoDB Local, per partition key.

A seeded table; a `WriteRecorder` (scripts/cost/key_rate.py) on the clients the real code writes with records every
written item's table partition key and each GSI partition key it lands on (the keys from template.yaml), its write
units (DynamoDB's item-size rules, scripts/cost/item_size.py) and when DynamoDB answered.

- nightly: the planner (`start_nightly_run`, chunks of the planner's CHUNK_PAIRS) and the worker path
  (`process_chunk` per chunk, GC paused as the worker handler runs it) for the default importers x the whole
  catalogue, twice: the first night writes every score (recorded, not reported, so the recorder knows each item's
  old index entries), the second is the one reported: an ordinary night over yesterday's scores;
- group signal: a CN export ban on the rare earths group targeting ALL, PUT through the admin handler, its stream
  record read from DynamoDB Local's stream and handed to the real stream handler (as bench/event_path.py does).

Per key: write units, share of its index's units, the most one request put on it (those arrive at once), the peak
in any 1-second window of the local timestamps, and a projection to AWS: that peak x the workers that can write
the key at once (min(the chunks that wrote it, the nightly concurrency of docs/cost-and-scale.md), 1 for the
stream). The per-worker pace is DynamoDB Local's (as in the cost model): in AWS a worker is likely faster, so the
projection is a floor for the keys one worker writes in a burst and the 'one request' column is the hard part.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import BENCH_AS_OF, BenchResult, Goal, LocalDynamo, fmt_int, quiet_stdout
from scripts.cost.key_rate import (
    HOT_KEYS_PATH,
    PARTITION_WCU,
    HotKeys,
    KeySchema,
    PhaseKeys,
    ProjectedKey,
    WriteRecorder,
    key_stats,
    named_keys,
    project,
)

GROUP = "rare_earths"
#: named in every phase's report whatever their rank: the rank partition of the material the paper limits flag
#: (its items are among the largest) and the one partition every signal lives in
NAMED = (("gsi2", "RANK#MATERIAL#dysprosium"), ("table", "SIGNAL"))
QUICK_IMPORTERS = 20
QUICK_OUTPUT = HOT_KEYS_PATH.parents[2] / ".local" / "bench" / "hot_keys.json"


def nightly_concurrency(importers: int, materials: int, chunk_pairs: int) -> int:
    """Workers writing at once in AWS, as docs/cost-and-scale.md's limits take it: every chunk's message is on the
    queue at once; the event source runs up to MaximumConcurrency invocations of WORKER_BATCH chunks each."""
    from scripts.cost.limits import WORKER_MAX_CONCURRENCY
    from scripts.cost.model import WORKER_BATCH, chunk_plan

    chunks = chunk_plan(importers, materials, chunk_pairs)
    return min(WORKER_MAX_CONCURRENCY, math.ceil(len(chunks) / WORKER_BATCH))


def _night(repo: Any, recorder: WriteRecorder, as_of: datetime, importers: tuple[str, ...], chunk_pairs: int) -> int:
    """One night through the planner and the worker path; returns the pairs scored."""
    from bench.nightly import template_retention_days
    from shared.runtime import gc_paused
    from shared.services.rescoring import process_chunk
    from shared.services.runs import start_nightly_run
    from tests.fakes import InProcessChunkQueue

    queue = InProcessChunkQueue()
    recorder.tag = "planner"
    start_nightly_run(repo, queue, as_of, as_of, override_importers=importers, chunk_pairs=chunk_pairs)
    pairs = 0
    for chunk in queue.chunks:
        recorder.tag = f"chunk-{chunk.index}"
        with gc_paused():  # as functions/rescore_worker/app.py runs each chunk
            pairs += process_chunk(repo, chunk, template_retention_days())
    return pairs


def _group_signal(ddb: LocalDynamo, table: str, recorder: WriteRecorder, importers: tuple[str, ...]) -> int:
    """A group signal for ALL through the admin handler and the stream handler; returns the pairs it touches."""
    from bench.event_path import ADMIN_ENV, ISSUER, _put_and_read_record, _signal_body
    from bench.nightly import template_retention_days
    from local.dynamodb_local import local_streams_client
    from local.streams import StreamReader
    from shared.services.rescoring import process_chunk
    from tests.fakes import InProcessChunkQueue, RecordingPublisher
    from tests.support import ADMIN, FakeLambdaContext, api_event

    reader = StreamReader.for_table(ddb.client, local_streams_client(ddb.endpoint_url), table)
    reader.skip_existing()
    with ddb.handler_environment("StreamRescoreFunction", table, SCORED_IMPORTERS=" ".join(importers), **ADMIN_ENV):
        import functions.stream_rescore.app as stream_app
        from functions.admin_api.app import lambda_handler as admin_handler
        from shared.adapters.factory import get_repository

        repo = get_repository()
        recorder.attach(repo.client)  # the admin PUT and the stream handler write through the factory's client
        members = [m for m in repo.list_materials() if GROUP in m.groups]
        saved_get_publisher = getattr(stream_app, "get_publisher")  # noqa: B009
        saved_get_queue = getattr(stream_app, "get_chunk_queue")  # noqa: B009
        queue = InProcessChunkQueue()  # a change over STREAM_MAX_PAIRS is fanned out (decisions.md 85)
        setattr(stream_app, "get_publisher", RecordingPublisher)  # noqa: B010  # loopback only: no EventBridge
        setattr(stream_app, "get_chunk_queue", lambda: queue)  # noqa: B010
        try:
            with quiet_stdout():
                recorder.tag = "signal"
                body = {**_signal_body(0, ["ALL"]), "materials": [GROUP]}
                event = api_event("PUT", "/v1/signals/BENCH-HOT-KEYS", body=body, scopes=(ADMIN,))
                _, _, records = _put_and_read_record(admin_handler, event, reader)
                result = stream_app.lambda_handler({"Records": records}, FakeLambdaContext())
                if result.get("batchItemFailures"):
                    raise RuntimeError(f"stream handler failures: {result}")
                # the fanned-out chunks, one after another here (the queue's workers run them in parallel)
                for chunk in queue.chunks:
                    process_chunk(repo, chunk, template_retention_days(), RecordingPublisher())
        finally:
            setattr(stream_app, "get_publisher", saved_get_publisher)  # noqa: B010
            setattr(stream_app, "get_chunk_queue", saved_get_queue)  # noqa: B010
    return len(members) * len([i for i in importers if i != ISSUER])


def _phase(name: str, what: str, recorder: WriteRecorder, pairs: int, seconds: float, at_once: int) -> PhaseKeys:
    if recorder.failed_requests:
        raise RuntimeError(f"{name}: {recorder.failed_requests} write requests failed")
    units: dict[str, int] = {}
    stats = key_stats(recorder.writes)
    for w in recorder.writes:
        units[w.index] = units.get(w.index, 0) + w.units
    return PhaseKeys(
        name=name,
        what=what,
        pairs=pairs,
        local_seconds=round(seconds, 2),
        at_once=at_once,
        units_by_index=dict(sorted(units.items())),
        hottest=project(stats, at_once),
        named=named_keys(stats, at_once, NAMED),
    )


def measure(quick: bool = False) -> list[PhaseKeys]:
    from bench.nightly import template_chunk_pairs
    from shared.adapters.dynamodb_repository import DynamoRiskRepository, make_dynamodb_client
    from shared.adapters.seed_files import read_default_importers

    importers = read_default_importers()[: QUICK_IMPORTERS if quick else None]
    chunk_pairs = template_chunk_pairs()
    with LocalDynamo() as ddb:
        table = ddb.seeded_table("hotkeys")  # the seed load is not recorded: it is not a nightly write
        client = make_dynamodb_client(ddb.endpoint_url, "us-east-1")  # the worker's own client configuration
        recorder = WriteRecorder(KeySchema.of(_create_kwargs(ddb, table)))
        recorder.attach(client)
        repo = DynamoRiskRepository(table, client)
        materials = len(repo.list_materials())
        at_once = nightly_concurrency(len(importers), materials, chunk_pairs)
        # the first night writes every score item (recorded: the recorder learns the old index entries)
        _night(repo, recorder, BENCH_AS_OF - timedelta(days=1), importers, chunk_pairs)
        recorder.reset()
        started = time.perf_counter()
        pairs = _night(repo, recorder, BENCH_AS_OF, importers, chunk_pairs)
        night = _phase(
            "nightly",
            f"the second night: {len(importers)} importers x {materials} materials over yesterday's scores, "
            f"chunks of {chunk_pairs} pairs",
            recorder,
            pairs,
            time.perf_counter() - started,
            at_once,
        )
        recorder.reset()
        started = time.perf_counter()
        signal_pairs = _group_signal(ddb, table, recorder, importers)
        signal = _phase(
            "group_signal",
            f"a CN export ban on the {GROUP} group for ALL: PUT, stream record, stream handler",
            recorder,
            signal_pairs,
            time.perf_counter() - started,
            1,
        )
    return [night, signal]


def _create_kwargs(ddb: LocalDynamo, table: str) -> dict[str, Any]:
    from tooling.sam_template import table_create_kwargs

    return table_create_kwargs(ddb.template, table)


def _row(k: ProjectedKey) -> str:
    flag = " **over**" if k.use > 1 else (" (close)" if k.use > 0.7 else "")
    return (
        f"| {k.index} | `{k.key}` | {fmt_int(k.units)} | {k.share:.1%} | {k.requests} | {k.writers} | "
        f"{fmt_int(k.max_units_one_request)} | {fmt_int(k.peak_window_units)} | "
        f"{fmt_int(k.projected_wcu_per_s)} | {k.use:.0%}{flag} |"
    )


def phase_table(phase: PhaseKeys) -> list[str]:
    total = ", ".join(f"{index} {fmt_int(units)}" for index, units in phase.units_by_index.items())
    return [
        f"**{phase.name}**: {phase.what}; {fmt_int(phase.pairs)} pairs, {phase.local_seconds:.1f} s locally; "
        f"write units: {total}; projected with {phase.at_once} writer(s) at once.",
        "",
        "| index | partition key | units | share of the index's units | requests | writers (chunks) | most in one "
        "request | peak in 1 s (local) | projected WCU/s (AWS) | of 1,000 |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *[_row(k) for k in phase.hottest],
        *[_row(k).replace(f"`{k.key}`", f"`{k.key}` (named)", 1) for k in phase.named if k not in phase.hottest],
        "",
    ]


def run(quick: bool = False) -> BenchResult:
    started = time.perf_counter()
    phases = measure(quick)
    seconds = time.perf_counter() - started
    command = ".venv/bin/python -m bench.run --only hot_keys" + (" --quick" if quick else "")
    out = QUICK_OUTPUT if quick else HOT_KEYS_PATH
    out.parent.mkdir(parents=True, exist_ok=True)
    found = HotKeys(measured=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), command=command, phases=phases)
    out.write_text(found.model_dump_json(indent=1) + "\n")
    doc = __doc__ or ""
    lines = [
        doc.split("\n\n", 1)[1].strip(),
        "",
        f"Written to `{out.relative_to(HOT_KEYS_PATH.parents[2])}` for `make cost` (docs/cost-and-scale.md, scale "
        "limits). Rules: `scripts/cost/key_rate.py`; the accounting is checked on a hand-made write pattern in "
        "`tests/unit/test_key_rate.py`.",
        "",
    ]
    goals: list[Goal] = []
    summary: list[str] = []
    for phase in phases:
        lines += phase_table(phase)
        top = phase.top()
        goals.append(
            Goal(
                f"{phase.name}: hottest partition, projected to AWS",
                f"<= {PARTITION_WCU:,} WCU/s",
                f"{fmt_int(top.projected_wcu_per_s)} WCU/s ({top.index} {top.key})",
                top.projected_wcu_per_s <= PARTITION_WCU,
            )
        )
        burst = max(phase.hottest, key=lambda k: k.max_units_one_request)
        summary.append(
            f"{phase.name}: hottest {top.index} {top.key} ~{top.projected_wcu_per_s:,.0f} WCU/s projected; "
            f"largest single request {burst.max_units_one_request:,} units on {burst.index} {burst.key}"
        )
    return BenchResult(
        name="hot_keys",
        title="7. Hot keys: per-partition write rates, nightly and a group signal",
        markdown="\n".join(lines),
        summary=summary,
        goals=goals,
        seconds=seconds,
    )
