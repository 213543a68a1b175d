"""A change too big for one stream invocation, fanned out to the rescoring queue (decisions.md 85), on the fakes:
the workers' scores and ScoreChanged equal the in-process stream path's, byte for byte; a redelivered record plans
the same run; a fanned-out chunk and the nightly writer of the same scores never lose the newer one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache

import pytest

from shared.adapters.seed_files import read_seed
from shared.domain.seed import SeedData
from shared.ports import Pair, ReferenceChange, RescoreChunk
from shared.ports import RiskStore as ChunkTestStore
from shared.services import admin
from shared.services.change_fanout import FanOut, change_run_id, plan_change_chunks
from shared.services.rescoring import plan_chunks, process_chunk, rescore_all
from shared.services.runs import score_chunk_delivery
from shared.services.seeding import seed_reference_data
from shared.services.stream_changes import rescore_stream_record
from tests.fakes import InMemoryRiskStore, InProcessChunkQueue, RecordingPublisher

AS_OF = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
AT = AS_OF + timedelta(hours=1)
IMPORTERS = ("EU", "JP", "KR", "US", "DE", "IN")
GROUP_BAN = {
    "issuer": "CN",
    "measure": "export_ban",
    "materials": ["hree"],
    "targets": ["ALL"],
    "severity": 1,
    "announced": "2026-11-28",
    "status": "in_force",
    "source": "https://example.org/test",
}


@cache
def seed() -> SeedData:
    return read_seed()


def scored_store() -> InMemoryRiskStore:
    store = InMemoryRiskStore()
    seed_reference_data(store, seed())
    rescore_all(store, AS_OF, IMPORTERS)
    return store


def put_group_ban(store: InMemoryRiskStore) -> ReferenceChange:
    written = admin.upsert_signal(store, "CN-HREE-BAN", GROUP_BAN, None).item
    return ReferenceChange(kind="signal", item_id="CN-HREE-BAN", old=None, new=written, at=AT)


def rescore(
    store: InMemoryRiskStore, change: ReferenceChange, publisher: RecordingPublisher, fan_out: FanOut | None
) -> object:
    """The stream service on one record (the reader returns `change`)."""
    return rescore_stream_record(
        store, publisher, lambda *_: change, {}, None, None, AT.timestamp(), AT, IMPORTERS, 5.0, 400, fan_out
    )


def work_off(store: InMemoryRiskStore, queue: InProcessChunkQueue, publisher: RecordingPublisher) -> None:
    """The rescoring workers: every queued chunk, as read back from its message body."""
    for chunk in queue.chunks:
        score_chunk_delivery(store, chunk, lambda: publisher, 1, 3)


def test_a_fanned_out_change_writes_the_same_scores_and_alerts_as_the_stream_path() -> None:
    inline_store, inline_publisher = scored_store(), RecordingPublisher()
    inline = rescore(inline_store, put_group_ban(inline_store), inline_publisher, None)

    store, publisher, queue = scored_store(), RecordingPublisher(), InProcessChunkQueue()
    change = put_group_ban(store)
    fanned = rescore(
        store, change, publisher, FanOut(lambda: queue, store, max_pairs=10, chunk_pairs=len(IMPORTERS) * 2)
    )
    assert getattr(fanned, "fanned_out", None) is not None and publisher.events == []  # nothing scored yet
    assert len(queue.chunks) > 1 and all(c.change == change for c in queue.chunks)  # the change survives SQS
    assert all(c.alert_cause == "signal:CN-HREE-BAN" and c.as_of == AT for c in queue.chunks)
    work_off(store, queue, publisher)

    assert getattr(inline, "fanned_out", 1) is None
    assert store.scores == inline_store.scores  # every score and its inputs hash, byte for byte
    assert store.history == inline_store.history
    key = lambda e: (e.importer, e.material)  # noqa: E731
    assert sorted(publisher.events, key=key) == sorted(inline_publisher.events, key=key)
    assert publisher.events and {(e.cause_type, e.cause_id) for e in publisher.events} == {("signal", "CN-HREE-BAN")}
    run = store.get_run(change_run_id(change))
    assert (
        run is not None
        and run.status == "completed"
        and run.pairs_scored == sum(len(c.materials) * len(c.importers) for c in queue.chunks)
    )


def test_a_change_within_the_limit_is_rescored_in_the_stream_invocation() -> None:
    store, publisher, queue = scored_store(), RecordingPublisher(), InProcessChunkQueue()
    change = put_group_ban(store)
    rescored = rescore(store, change, publisher, FanOut(lambda: queue, store, max_pairs=10_000))
    assert getattr(rescored, "fanned_out", 1) is None and queue.chunks == [] and publisher.events


def test_a_redelivered_record_plans_the_same_run_and_a_completed_one_is_not_queued_again() -> None:
    store, publisher, queue = scored_store(), RecordingPublisher(), InProcessChunkQueue()
    change = put_group_ban(store)
    fan_out = FanOut(lambda: queue, store, max_pairs=10, chunk_pairs=len(IMPORTERS) * 2)
    rescore(store, change, publisher, fan_out)
    first = len(queue.chunks)
    rescore(store, change, publisher, fan_out)  # still running: queued again (chunks are idempotent)
    assert len(queue.chunks) == 2 * first
    work_off(store, queue, publisher)
    run = store.get_run(change_run_id(change))
    assert run is not None and (run.chunks_done, run.chunks_total) == (first, first)  # each counted once
    rescore(store, change, publisher, fan_out)  # completed: nothing more
    assert len(queue.chunks) == 2 * first


def test_chunks_keep_whole_materials_and_group_only_materials_with_the_same_importers() -> None:
    store = scored_store()
    change = put_group_ban(store)
    pairs = {Pair(i, m) for m in ("dysprosium", "terbium", "yttrium") for i in ("JP", "US")} | {Pair("KR", "cobalt")}
    chunks = plan_change_chunks("change-x", change, pairs, chunk_pairs=4)
    assert [(c.materials, c.importers) for c in chunks] == [
        (("cobalt",), ("KR",)),
        (("dysprosium", "terbium"), ("JP", "US")),
        (("yttrium",), ("JP", "US")),
    ]
    assert {Pair(i, m) for c in chunks for m in c.materials for i in c.importers} == pairs
    assert [c.index for c in chunks] == [0, 1, 2]


def interleave_with_nightly(store: ChunkTestStore, change_chunk: RescoreChunk, chunk_first: bool) -> datetime:
    """A fanned-out chunk and the nightly run (30 min later) over the same pairs, in the given order; returns the
    nightly's time. Used on the fake here and on DynamoDB Local in tests/local_stack."""
    night = change_chunk.as_of + timedelta(minutes=30)
    nightly = plan_chunks("nightly-x", night, change_chunk.materials, change_chunk.importers, 1000)
    publisher = RecordingPublisher()
    if chunk_first:
        score_chunk_delivery(store, change_chunk, lambda: publisher, 1, 3)
    for chunk in nightly:
        process_chunk(store, chunk)
    if not chunk_first:
        score_chunk_delivery(store, change_chunk, lambda: publisher, 1, 3)
    return night


@pytest.mark.parametrize("chunk_first", [True, False])
def test_a_fanned_out_chunk_and_the_nightly_writer_of_the_same_scores_keep_the_newer_in_either_order(
    chunk_first: bool,
) -> None:
    """The nightly run at a later minute and a late fanned-out chunk (the change's earlier time) write the same
    pairs: whichever lands last, the nightly's newer score stays."""
    store, queue = scored_store(), InProcessChunkQueue()
    change = put_group_ban(store)
    rescore(store, change, RecordingPublisher(), FanOut(lambda: queue, store, max_pairs=10, chunk_pairs=12))
    change_chunk = queue.chunks[0]
    night = interleave_with_nightly(store, change_chunk, chunk_first)
    for material in change_chunk.materials:
        for importer in change_chunk.importers:
            stored = store.get_score(importer, material)
            assert stored is not None and stored.computed_at == night, (importer, material)
            assert "CN-HREE-BAN" in stored.signal_ids  # the nightly scored the stored signal too
