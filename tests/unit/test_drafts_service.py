"""The signal-draft service (shared/services/drafts.py) on the in-memory fakes: create (idempotent, no score
change), impact like a scenario, duplicates, publish (as PUT, 409 twice), and publish interleaved with a PUT."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from typing import Any

import pytest

from shared.adapters.seed_files import read_seed
from shared.domain.errors import InvalidInputError, NotFoundError, VersionConflictError
from shared.domain.models import PolicySignal
from shared.domain.seed import SeedData
from shared.services import admin, drafts
from shared.services.seeding import seed_reference_data
from tests.fakes import InMemoryRiskStore

NOW = datetime(2026, 1, 8, 9, 0, tzinfo=UTC)
IMPORTERS = ("EU", "JP", "KR", "US")
URL = "https://example.org/news/gallium"
TEXT = (
    "Beijing banned exports of gallium to Japan on 6 January 2026, with immediate effect, while the Philippines "
    "was spared, officials said. Markets fell."
)


@cache
def seed() -> SeedData:
    return read_seed()


def seeded_store() -> InMemoryRiskStore:
    store = InMemoryRiskStore()
    seed_reference_data(store, seed())
    return store


def create(store: InMemoryRiskStore, text: str = TEXT, tenant: str = "admin") -> list[Any]:
    return drafts.create_drafts(store, tenant, text, date(2026, 1, 8), URL, NOW, IMPORTERS)


def test_a_paste_makes_stored_drafts_with_evidence_and_changes_no_signal_or_score() -> None:
    store = seeded_store()
    signals_before = store.list_signals()
    scores_before = dict(store.scores)
    made = create(store)
    assert len(made) == 1
    draft = made[0]
    fields = draft.extracted.fields
    assert (fields.issuer, fields.measure, fields.materials, fields.targets) == (
        "CN",
        "export_ban",
        ("gallium",),
        ("JP",),
    )
    assert (fields.announced, fields.effective, fields.status) == (date(2026, 1, 6), date(2026, 1, 6), "in_force")
    assert draft.extracted.other_countries == ("PH",)
    assert store.get_draft("admin", draft.id) == draft
    assert store.get_draft("other-admin", draft.id) is None
    assert store.list_signals() == signals_before and store.scores == scores_before


def test_the_same_paste_twice_stores_nothing_new() -> None:
    store = seeded_store()
    first = create(store)
    again = create(store)
    assert [d.id for d in again] == [d.id for d in first]
    assert len(store.list_drafts("admin", 50, None).items) == 1


def test_the_impact_is_the_scenario_of_the_drafts_signal() -> None:
    store = seeded_store()
    impact = create(store)[0].impact
    assert impact is not None and impact.pairs_touched == 1  # gallium x JP
    (row,) = impact.changes
    assert (row.importer, row.material) == ("JP", "gallium")
    assert row.with_draft > row.baseline and row.change == pytest.approx(row.with_draft - row.baseline, abs=0.011)


def test_a_draft_matching_a_stored_signal_proposes_updating_it() -> None:
    store = seeded_store()
    existing = admin.upsert_signal(
        store,
        "CN-GA-JP",
        {
            "issuer": "CN",
            "measure": "export_ban",
            "materials": ["gallium"],
            "targets": ["JP", "US"],
            "severity": 1.0,
            "announced": date(2026, 1, 2),
            "status": "in_force",
            "source": "https://example.org/first",
        },
        None,
    ).item
    draft = create(store)[0]
    assert draft.duplicate_of is not None
    assert (draft.duplicate_of.signal_id, draft.duplicate_of.version) == ("CN-GA-JP", existing.version)
    result = drafts.publish_draft(store, "admin", draft.id, None, {})
    assert (result.signal.item.id, result.signal.created, result.signal.item.version) == ("CN-GA-JP", False, 2)
    # only the evidenced fields replace the stored ones: the stored targets stay unless the text named others
    assert result.signal.item.targets == ("JP",) and result.signal.item.source == URL


def test_publish_creates_the_signal_with_the_url_as_source_and_twice_is_a_409() -> None:
    store = seeded_store()
    draft = create(store)[0]
    result = drafts.publish_draft(store, "admin", draft.id, None, {"severity": 0.8})
    signal = store.get_signal(f"DRAFT-{draft.id}")
    assert signal is not None and result.signal.created
    assert (signal.source, signal.severity, signal.issuer) == (URL, 0.8, "CN")
    assert result.draft.signal_id == signal.id and store.get_draft("admin", draft.id) == result.draft
    with pytest.raises(VersionConflictError, match="already published"):
        drafts.publish_draft(store, "admin", draft.id, None, {})


def test_publish_validates_like_put() -> None:
    store = seeded_store()
    draft = create(store, "Exports of gallium were banned.")[0]  # no issuer in the text
    assert draft.extracted.fields.issuer is None
    assert draft.impact is not None and "issuer" in draft.impact.note and draft.impact.pairs_touched == 0
    with pytest.raises(InvalidInputError, match="issuer"):
        drafts.publish_draft(store, "admin", draft.id, None, {})
    with pytest.raises(InvalidInputError, match="unknown materials"):
        drafts.publish_draft(store, "admin", draft.id, None, {"issuer": "CN", "materials": ["unobtainium"]})
    assert store.get_draft("admin", draft.id).signal_id is None  # type: ignore[union-attr]
    assert drafts.publish_draft(store, "admin", draft.id, None, {"issuer": "CN"}).signal.created


def test_unknown_or_other_tenants_drafts_are_404() -> None:
    store = seeded_store()
    draft = create(store)[0]
    with pytest.raises(NotFoundError):
        drafts.get_draft(store, "other-admin", draft.id)
    with pytest.raises(NotFoundError):
        drafts.publish_draft(store, "other-admin", draft.id, None, {})


def test_a_put_between_draft_and_publish_of_the_same_signal_is_a_409_not_a_lost_update() -> None:
    """The writers of a signal item: PUT /v1/signals/{id} and publish. A PUT that lands after the draft saw the
    duplicate (or after publish read it) makes the publish a 409; the PUT's signal stands."""
    store = seeded_store()
    body: dict[str, Any] = {
        "issuer": "CN",
        "measure": "export_ban",
        "materials": ["gallium"],
        "targets": ["JP"],
        "severity": 1.0,
        "announced": date(2026, 1, 5),
        "status": "in_force",
        "source": "https://example.org/first",
    }
    admin.upsert_signal(store, "CN-GA-JP", body, None)
    draft = create(store)[0]
    assert draft.duplicate_of is not None
    put = admin.upsert_signal(store, "CN-GA-JP", {**body, "severity": 0.9}, 1)  # the interleaved writer
    with pytest.raises(VersionConflictError):
        drafts.publish_draft(store, "admin", draft.id, None, {})
    stored = store.get_signal("CN-GA-JP")
    assert stored == put.item and stored.severity == 0.9
    assert store.get_draft("admin", draft.id).signal_id is None  # type: ignore[union-attr]


def test_a_put_interleaved_inside_publish_between_its_read_and_its_write_is_a_409() -> None:
    store = seeded_store()
    draft = create(store)[0]
    signal_id = f"DRAFT-{draft.id}"
    original = store.get_draft

    def get_draft_then_put(tenant: str, draft_id: str) -> Any:
        found = original(tenant, draft_id)
        if store.get_signal(signal_id) is None:  # a PUT creating the same id lands right after publish's read
            admin.upsert_signal(
                store,
                signal_id,
                {
                    "issuer": "CN",
                    "measure": "licensing",
                    "materials": ["gallium"],
                    "targets": ["ALL"],
                    "severity": 0.4,
                    "announced": date(2026, 1, 1),
                    "status": "in_force",
                    "source": "https://example.org/put",
                },
                None,
            )
        return found

    store.get_draft = get_draft_then_put  # type: ignore[method-assign]
    with pytest.raises(VersionConflictError):
        drafts.publish_draft(store, "admin", draft.id, None, {})
    stored = store.get_signal(signal_id)
    assert isinstance(stored, PolicySignal) and stored.measure == "licensing"  # the PUT's signal is not replaced


def test_a_publish_retried_after_its_signal_was_written_completes_the_draft() -> None:
    store = seeded_store()
    draft = create(store)[0]
    original = store.put_draft
    failures = iter([True])

    def fail_once(item: Any, expected: int | None) -> None:
        if next(failures, False):
            raise RuntimeError("lost before the draft was marked")
        original(item, expected)

    store.put_draft = fail_once  # type: ignore[method-assign,assignment]
    with pytest.raises(RuntimeError):
        drafts.publish_draft(store, "admin", draft.id, None, {})
    retried = drafts.publish_draft(store, "admin", draft.id, None, {})
    assert retried.draft.signal_id == f"DRAFT-{draft.id}" and not retried.signal.changed
