"""Service logic on the in-memory fakes (tests/fakes): no moto, no sockets. The fakes keep the adapter's
conditional rules (tests/contract holds both to them), so these tests say what the services do with them."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import cache

import pytest

from shared.adapters.seed_files import SEED_DIR, read_seed
from shared.domain.errors import InvalidInputError, NotFoundError, VersionConflictError
from shared.domain.models import ImporterDependency, RiskScore
from shared.domain.runs import RunStatus, run_status
from shared.domain.seed import SeedData
from shared.ports import ReferenceChange
from shared.services import admin, portfolios
from shared.services.importers import MIN_OWN_MATERIALS, scored_importers
from shared.services.rescoring import (
    WRITE_BLOCK,
    affected_pairs,
    plan_run,
    process_chunk,
    rescore_all,
    rescore_change_pairs,
)
from shared.services.seeding import seed_reference_data
from tests.fakes import InMemoryRiskStore, InProcessChunkQueue, RecordingPublisher

AS_OF = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
IMPORTERS = ("EU", "JP", "KR", "US")


@cache
def seed() -> SeedData:
    return read_seed()


def seeded_store() -> InMemoryRiskStore:
    store = InMemoryRiskStore()
    seed_reference_data(store, seed())
    return store


# ----------------------------------------------------------------------------------------- importer index


def test_seeding_writes_one_index_entry_per_economy_with_its_materials() -> None:
    expected: dict[str, set[str]] = {}
    for d in seed().dependencies:
        expected.setdefault(d.importer, set()).add(d.material)
    index = seeded_store().list_importer_index()
    assert {code: set(materials) for code, materials in index.items()} == expected
    assert "cobalt" in index["KR"]


def test_the_default_scored_set_is_every_economy_with_5_materials_plus_the_eu() -> None:
    store = seeded_store()
    counts = Counter(d.importer for d in seed().dependencies)
    defaults = scored_importers(store)
    assert set(defaults) == {c for c, n in counts.items() if n >= MIN_OWN_MATERIALS} | {"EU"}
    committed = json.loads((SEED_DIR / "dependencies.json").read_text(encoding="utf-8"))["default_importers"]
    assert list(defaults) == sorted(committed)  # what the seed builder says, too
    assert scored_importers(store, ("JP", "EU")) == ("EU", "JP")  # SCORED_IMPORTERS overrides


# ----------------------------------------------------------------------------------------- runs


@pytest.mark.parametrize(
    ("total", "done", "failed", "status"),
    [
        (3, 0, 0, RunStatus.RUNNING),
        (3, 2, 0, RunStatus.RUNNING),
        (3, 3, 0, RunStatus.COMPLETED),
        (3, 2, 1, RunStatus.COMPLETED_WITH_FAILURES),
        (0, 0, 0, RunStatus.COMPLETED),
    ],
)
def test_the_run_status_follows_from_the_counters(total: int, done: int, failed: int, status: RunStatus) -> None:
    assert run_status(total, done, failed) is status


def test_a_planned_run_completes_once_every_chunk_is_counted_however_often_delivered() -> None:
    store, queue = seeded_store(), InProcessChunkQueue()
    materials = ["cobalt", "dysprosium", "gallium", "terbium"]
    run = plan_run(store, queue, "manual-abc", AS_OF, AS_OF, IMPORTERS, materials, chunk_pairs=8)
    assert (run.status, run.chunks_total, len(queue.chunks)) == ("running", 2, 2)
    for chunk in [*queue.chunks, queue.chunks[0]]:  # the first chunk delivered twice
        assert process_chunk(store, chunk) == 2 * len(IMPORTERS)
    done = store.get_run("manual-abc")
    assert done is not None
    assert (done.status, done.chunks_done, done.pairs_scored) == ("completed", 2, len(materials) * len(IMPORTERS))
    assert {(s.importer, s.material) for s in store.scores.values()} == {(i, m) for i in IMPORTERS for m in materials}
    # planned again (a retried request): completed, so nothing is queued again
    again = plan_run(store, queue, "manual-abc", AS_OF, AS_OF, IMPORTERS, materials, chunk_pairs=8)
    assert again.status == "completed" and len(queue.chunks) == 2


def test_an_idempotency_key_reused_for_another_request_is_refused_and_queues_nothing() -> None:
    store, queue = seeded_store(), InProcessChunkQueue()
    plan_run(store, queue, "manual-key", AS_OF, AS_OF, IMPORTERS, ["cobalt"], bound_to_request=True)
    with pytest.raises(InvalidInputError) as refused:
        plan_run(store, queue, "manual-key", AS_OF, AS_OF, IMPORTERS, ["gallium"], bound_to_request=True)
    assert refused.value.field == "Idempotency-Key"
    assert len(queue.chunks) == 1


def test_a_late_chunk_never_replaces_a_later_stream_score() -> None:
    store = seeded_store()
    rescore_all(store, AS_OF + timedelta(hours=1), ["JP"])
    later = store.get_score("JP", "dysprosium")
    queue = InProcessChunkQueue()
    plan_run(store, queue, "nightly-x", AS_OF, AS_OF, ["JP"], ["dysprosium"])
    process_chunk(store, queue.chunks[0])
    assert store.get_score("JP", "dysprosium") == later
    assert len(store.history[next(p for p in store.history if p.material == "dysprosium")]) == 2


class _SlowWritesStore(InMemoryRiskStore):
    """Score writes that take a while, and a record of any read that starts while one is in flight (moto, the
    in-process store of the integration tier, fails such reads: it iterates a dict another thread changes)."""

    def __init__(self) -> None:
        super().__init__()
        self.in_flight = 0
        self.overlaps: list[str] = []
        self.written_sizes: list[int] = []
        self.lock = threading.Lock()

    def _slow_write(self, scores: Sequence[RiskScore], expires_at: int, writer: str) -> list[RiskScore]:
        with self.lock:
            self.in_flight += 1
            self.written_sizes.append(len(scores))
        try:
            time.sleep(0.02)  # long enough that the next material is scored meanwhile
            written: list[RiskScore] = getattr(super(), writer)(scores, expires_at)
            return written
        finally:
            with self.lock:
                self.in_flight -= 1

    def save_scores(self, scores: Sequence[RiskScore], history_expires_at: int) -> list[RiskScore]:
        return self._slow_write(scores, history_expires_at, "save_scores")

    def save_scores_if_newer(self, scores: Sequence[RiskScore], history_expires_at: int) -> list[RiskScore]:
        return self._slow_write(scores, history_expires_at, "save_scores_if_newer")

    def list_dependencies(self, material_id: str) -> list[ImporterDependency]:
        if self.in_flight:
            self.overlaps.append(f"list_dependencies({material_id})")
        return super().list_dependencies(material_id)


def test_a_chunk_writes_in_blocks_behind_its_scoring_and_never_reads_while_writing() -> None:
    store = _SlowWritesStore()
    seed_reference_data(store, seed())
    importers = scored_importers(store)
    queue = InProcessChunkQueue()
    materials = ["cobalt", "dysprosium", "gallium", "lithium", "terbium"]
    plan_run(store, queue, "nightly-x", AS_OF, AS_OF, importers, materials, chunk_pairs=len(materials) * len(importers))
    assert len(queue.chunks) == 1
    pairs = len(materials) * len(importers)
    assert process_chunk(store, queue.chunks[0]) == pairs
    # whole blocks of WRITE_BLOCK scores while the next materials are scored, the rest at the end: the store's
    # transactions (100) and batches (25) are as full as in one write of the whole chunk
    sizes = store.written_sizes
    assert len(sizes) > 1 and sum(sizes) == pairs
    assert all(size % WRITE_BLOCK == 0 for size in sizes[:-1]) and sizes[-1] == pairs % WRITE_BLOCK
    assert {(p.importer, p.material) for p in store.scores} == {(i, m) for i in importers for m in materials}
    assert store.overlaps == []


# ----------------------------------------------------------------------------------------- event path


def test_a_new_export_ban_publishes_score_changes_and_stores_the_new_scores() -> None:
    store, publisher = seeded_store(), RecordingPublisher()
    rescore_all(store, AS_OF, IMPORTERS)
    before = store.get_score("JP", "dysprosium")
    assert before is not None
    result = admin.upsert_signal(
        store,
        "CN-TEST-BAN",
        {
            "issuer": "CN",
            "measure": "export_ban",
            "materials": ["dysprosium"],
            "targets": ["JP"],
            "severity": 1,
            "announced": "2026-11-28",
            "status": "in_force",
            "source": "https://example.org/test",
        },
        None,
    )
    at = AS_OF + timedelta(hours=1)
    change = ReferenceChange(kind="signal", item_id="CN-TEST-BAN", old=None, new=result.item, at=at)
    events = rescore_change_pairs(
        store, publisher, change, affected_pairs(store, change, IMPORTERS), alert_threshold=5.0
    )
    after = store.get_score("JP", "dysprosium")
    assert after is not None and after.computed_at == at and after.score > before.score
    assert publisher.events == events
    assert [(e.importer, e.material, e.cause_id) for e in events] == [("JP", "dysprosium", "CN-TEST-BAN")]
    assert store.get_score("KR", "dysprosium") == next(  # not a target: untouched
        s for s in store.scores.values() if (s.importer, s.material) == ("KR", "dysprosium")
    )


# ----------------------------------------------------------------------------------------- admin and portfolios


def test_a_stale_admin_write_is_a_conflict_and_changes_nothing() -> None:
    store = seeded_store()
    current = store.get_material("dysprosium")
    assert current is not None
    fields = current.model_dump(mode="json", exclude={"id", "version"})
    updated = admin.upsert_material(store, "dysprosium", {**fields, "name": "Dy"}, current.version)
    assert updated.item.version == current.version + 1
    with pytest.raises(VersionConflictError):
        admin.upsert_material(store, "dysprosium", {**fields, "name": "stale"}, current.version)
    assert store.get_material("dysprosium") == updated.item


def test_portfolio_rules_unknown_materials_versions_and_tenants() -> None:
    store = seeded_store()
    item = {"material": "dysprosium", "importer": "JP", "annual_spend": 100}
    with pytest.raises(InvalidInputError):
        portfolios.upsert_portfolio(
            store, "team-a", "p1", {"name": "x", "items": [item, {**item, "material": "unobtainium"}]}, None, AS_OF
        )
    assert store.portfolios == {}
    created = portfolios.upsert_portfolio(store, "team-a", "p1", {"name": "x", "items": [item]}, None, AS_OF)
    assert created.created and created.item.version == 1
    with pytest.raises(VersionConflictError):
        portfolios.upsert_portfolio(store, "team-a", "p1", {"name": "y", "items": [item]}, None, AS_OF)
    with pytest.raises(NotFoundError):
        portfolios.get_portfolio(store, "team-b", "p1")
    with pytest.raises(NotFoundError):
        portfolios.delete_portfolio(store, "team-b", "p1", None)
    report = portfolios.portfolio_risk(store, "team-a", "p1", AS_OF)  # no stored score: scored live
    assert report.live_scored == 1 and store.scores == {}
    portfolios.delete_portfolio(store, "team-a", "p1", 1)
    assert store.portfolios == {}
