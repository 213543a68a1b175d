"""Nightly flow on moto: planner -> SQS chunks -> worker (partial batch failures, redelivery, DLQ) -> scores,
history and run counters; reruns, duplicate deliveries, crashes and DynamoDB back-pressure all converge on the
state of one clean run.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from itertools import product

from shared.adapters import factory
from shared.adapters.dynamodb_repository import BATCH_WRITE_LIMIT
from tests.integration import flows as flows_module
from tests.integration.flows import (
    MAX_RECEIVE_COUNT,
    SCORED,
    Flow,
    FlowFactory,
    TableState,
    ThrottleInjector,
    UnprocessedProxy,
    no_backoff,
    redelivery,
    seed,
)
from tests.support import SEED_AS_OF

flows = flows_module.flows

NIGHT = SEED_AS_OF  # 2026-11-28T02:00Z
RUN_ID = f"nightly-{NIGHT:%Y%m%dT%H%M}"
#: 12 materials x 4 importers = 48 pairs; 16 pairs per chunk -> 3 chunks of 4 materials
MATERIALS = (
    "antimony",
    "cobalt",
    "copper",
    "dysprosium",
    "gallium",
    "germanium",
    "lithium",
    "natural_graphite",
    "neodymium",
    "nickel",
    "terbium",
    "tungsten",
)
CHUNK_PAIRS = 16
PAIRS = len(MATERIALS) * len(SCORED)


def small_flow(flows: FlowFactory) -> Flow:
    return flows.new(seed(materials=MATERIALS), chunk_pairs=CHUNK_PAIRS)


def clean_run(flows: FlowFactory) -> TableState:
    """The state one undisturbed night leaves on its own table (what every disturbed run must end with)."""
    flow = small_flow(flows)
    planned = flow.night(NIGHT)
    assert planned["chunks_total"] == 3
    state = flow.state()
    assert len(state.scores) == len(state.history) == PAIRS
    return state


def assert_one_night(state: TableState, materials: tuple[str, ...], night: datetime = NIGHT) -> None:
    """Exactly one score item and one history row per (scored importer, material), all at `night`."""
    pairs = set(product(SCORED, materials))
    assert set(state.scores) == pairs
    assert {score[2] for score in state.scores.values()} == {night.isoformat()}
    assert len(state.history) == len(pairs)
    assert {(i, m) for i, m, *_ in state.history} == pairs
    assert {at for _, _, at, *_ in state.history} == {night.isoformat()}
    # each history row repeats its current score
    assert {(i, m, score) for i, m, _, score, *_ in state.history} == {
        (i, m, value[0]) for (i, m), value in state.scores.items()
    }


def assert_run(flow: Flow, *, done: int, failed: int = 0, pairs: int, total: int = 3, status: str = "completed"):
    run = flow.run(RUN_ID)
    expected = {
        "run_id": RUN_ID,
        "status": status,
        "chunks_total": total,
        "chunks_done": done,
        "chunks_failed": failed,
        "pairs_scored": pairs,
    }
    assert {k: run[k] for k in expected} == expected
    assert datetime.fromisoformat(run["as_of"]) == NIGHT


def test_a_night_scores_every_pair_once_and_a_rerun_changes_nothing(flows):
    flow = flows.new(seed(), chunk_pairs=100)  # the whole catalogue: 85 materials x 4 importers
    materials = tuple(sorted(m.id for m in seed().materials))
    assert len(materials) == 85

    planned = flow.plan(NIGHT)
    assert planned == {"run_id": RUN_ID, "as_of": NIGHT.isoformat(), "chunks_total": 4}  # 25 materials a chunk
    assert flow.queue_depth() == 4
    assert_run(flow, done=0, pairs=0, total=4, status="running")
    assert flow.work() == [set()]
    assert flow.queue_depth() == 0

    state = flow.state()
    assert_one_night(state, materials)
    assert len(state.scores) == len(state.history) == 340
    assert_run(flow, done=4, pairs=340, total=4)

    # the same night again (a retried schedule): the run is complete, so nothing is queued or written
    again = flow.plan(NIGHT)
    assert again == planned
    assert flow.queue_depth() == 0
    assert flow.work() == []
    assert flow.state() == state
    assert_run(flow, done=4, pairs=340, total=4)


def test_a_chunk_delivered_twice_counts_once(flows):
    flow = small_flow(flows)
    flow.plan(NIGHT)
    records = flow.receive()
    assert len(records) == 3
    assert flow.invoke_worker(records) == set()
    flow.settle(records, set())
    after_first = flow.state()
    assert_one_night(after_first, MATERIALS)
    assert_run(flow, done=3, pairs=PAIRS)

    # SQS is at-least-once: the same message again (its delete was lost), alone and inside a batch
    again = redelivery(records[1], 2)
    assert flow.invoke_worker([again]) == set()
    assert flow.invoke_worker([records[0], again, records[2]]) == set()
    assert flow.state() == after_first
    assert_run(flow, done=3, pairs=PAIRS)


def test_a_night_planned_twice_while_running_counts_each_chunk_once(flows):
    flow = small_flow(flows)
    first = flow.plan(NIGHT)
    second = flow.plan(NIGHT)  # the schedule retried before any chunk ran: the chunks are queued again
    assert first == second
    assert flow.queue_depth() == 6
    assert not any(flow.work())
    assert flow.queue_depth() == 0
    assert_one_night(flow.state(), MATERIALS)
    assert_run(flow, done=3, pairs=PAIRS)


def test_a_worker_crashing_mid_chunk_is_redelivered_and_converges(flows, monkeypatch):
    expected = clean_run(flows)
    flow = small_flow(flows)
    repo = factory.get_repository()
    real_batch_write = repo.batch_write
    calls = []

    def crash_once(requests):
        calls.append(len(requests))
        if len(calls) == 1:
            real_batch_write(requests[: len(requests) // 2])  # part of the chunk reaches the table...
            raise ConnectionResetError("worker lost its connection mid-chunk")  # ...then the worker dies
        return real_batch_write(requests)

    monkeypatch.setattr(repo, "batch_write", crash_once)

    flow.plan(NIGHT)
    records = flow.receive()
    assert len(records) == 3
    failed = flow.invoke_worker(records)
    assert failed == {records[0]["messageId"]}  # partial batch response: only the crashed chunk is retried
    flow.settle(records, failed)
    partial = flow.state()
    assert 0 < len(partial.history) < PAIRS
    assert_run(flow, done=2, pairs=2 * CHUNK_PAIRS, status="running")

    retried = flow.receive()
    assert [r["body"] for r in retried] == [records[0]["body"]]
    assert retried[0]["attributes"]["ApproximateReceiveCount"] == "2"
    assert flow.invoke_worker(retried) == set()
    flow.settle(retried, set())

    state = flow.state()
    assert state.scores == expected.scores
    assert state.history == expected.history
    assert_run(flow, done=3, pairs=PAIRS)
    assert flow.queue_depth() == 0 and flow.queue_depth(flow.dlq_url) == 0


def test_a_chunk_failing_on_its_last_delivery_is_counted_failed_once(flows, monkeypatch):
    flow = small_flow(flows)
    repo = factory.get_repository()
    real_save = repo.save_scores
    poisoned = "dysprosium"

    def save(scores, expires_at):
        if any(s.material == poisoned for s in scores):
            raise ValueError(f"cannot store {poisoned}")
        return real_save(scores, expires_at)

    monkeypatch.setattr(repo, "save_scores", save)

    flow.plan(NIGHT)
    poisoned_body = None
    for delivery in range(1, MAX_RECEIVE_COUNT + 1):
        records = flow.receive()
        failed = flow.invoke_worker(records)
        assert len(failed) == 1
        (record,) = (r for r in records if r["messageId"] in failed)
        assert record["attributes"]["ApproximateReceiveCount"] == str(delivery)
        poisoned_body = poisoned_body or record["body"]
        assert record["body"] == poisoned_body
        flow.settle(records, failed)
        # earlier deliveries will be retried: only the last one counts the chunk as failed
        failed_so_far = 1 if delivery == MAX_RECEIVE_COUNT else 0
        status = "completed_with_failures" if failed_so_far else "running"
        assert_run(flow, done=2, failed=failed_so_far, pairs=2 * CHUNK_PAIRS, status=status)

    assert flow.receive() == []  # SQS moved it to the DLQ
    assert flow.queue_depth(flow.dlq_url) == 1

    # a duplicate of the last delivery fails again but is not counted again
    last = redelivery(record, MAX_RECEIVE_COUNT + 1)
    assert flow.invoke_worker([last]) == {last["messageId"]}
    assert_run(flow, done=2, failed=1, pairs=2 * CHUNK_PAIRS, status="completed_with_failures")
    state = flow.state()
    assert len(state.scores) == len(state.history) == 2 * CHUNK_PAIRS
    assert not any(m == poisoned for _, m in state.scores)


def test_unprocessed_items_and_throttling_are_retried_until_every_item_is_written_once(flows, monkeypatch):
    expected = clean_run(flows)
    flow = small_flow(flows)
    repository_sleeps, botocore_sleeps = no_backoff(monkeypatch)
    repo = factory.get_repository()
    throttle = ThrottleInjector(("BatchWriteItem", "BatchGetItem", "TransactWriteItems"), every=3)
    throttle.install(repo.client)  # on the real client: botocore's retries see the throttling errors
    proxy = UnprocessedProxy(repo.client, flow.table, every=2)
    monkeypatch.setattr(repo, "client", proxy)

    planned = flow.night(NIGHT)
    assert planned["chunks_total"] == 3

    state = flow.state()
    assert state.scores == expected.scores
    assert state.history == expected.history
    assert_run(flow, done=3, pairs=PAIRS)

    # every score item and history row reached the table exactly once
    keys = {(f"SCORE#{i}", m) for i, m in state.scores} | {(f"HISTORY#{i}#{m}", at) for i, m, at, *_ in state.history}
    assert len(keys) == 2 * PAIRS
    assert set(throttle.written) == keys
    assert Counter(throttle.written.values()) == Counter({1: 2 * PAIRS})

    # ...although DynamoDB pushed back: partial batches, and whole calls throttled (both codes)
    assert proxy.unprocessed_writes > 0 and proxy.unprocessed_gets > 0
    assert {code.split(":")[1] for code in throttle.throttled} == {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
    }
    assert {code.split(":")[0] for code in throttle.throttled} == {
        "BatchWriteItem",
        "BatchGetItem",
        "TransactWriteItems",
    }
    assert repository_sleeps.delays and all(0 < d <= 2.0 for d in repository_sleeps.delays)
    assert len(botocore_sleeps.delays) == sum(throttle.throttled.values())
    # writes stay within DynamoDB's 25-item limit, retries included (a chunk's 16 history rows are one batch)
    assert proxy.largest_write == CHUNK_PAIRS <= BATCH_WRITE_LIMIT


def test_the_worker_scores_each_chunk_with_the_cyclic_gc_paused_and_restores_it(flows, monkeypatch):
    import gc

    import functions.rescore_worker.app  # noqa: F401  (the handler whose chunks are observed)
    from shared.services import runs
    from shared.services.rescoring import process_chunk as real_process_chunk

    flow = small_flow(flows)
    gc_during_chunks: list[bool] = []

    def observed(*args, **kwargs):
        gc_during_chunks.append(gc.isenabled())
        return real_process_chunk(*args, **kwargs)

    monkeypatch.setattr(runs, "process_chunk", observed)  # the worker scores a chunk through services.runs
    flow.plan(NIGHT)

    assert flow.work() == [set()]
    assert gc_during_chunks == [False, False, False]
    assert gc.isenabled()
    assert_run(flow, done=3, pairs=PAIRS)
