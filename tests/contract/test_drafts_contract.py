"""The DraftStore contract (issue 19) on the fake, moto and DynamoDB Local: conditional writes, tenant isolation,
paging with cursors bound to the tenant."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from shared.domain.drafts import DraftSignalFields, ExtractedDraft, SignalDraft
from shared.domain.errors import InvalidInputError, VersionConflictError
from shared.ports import RiskStore
from tests.contract.test_store_contract import portfolio


def draft(tenant: str, draft_id: str, version: int = 1, signal_id: str | None = None) -> SignalDraft:
    return SignalDraft(
        id=draft_id,
        tenant=tenant,
        url="https://example.org/a",
        published=date(2026, 1, 8),
        created_at=datetime(2026, 1, 8, 9, tzinfo=UTC),
        extracted=ExtractedDraft(fields=DraftSignalFields(issuer="CN", materials=("gallium",), confidence=0.8)),
        signal_id=signal_id,
        version=version,
    )


def test_draft_writes_are_conditional_and_per_tenant(store: RiskStore) -> None:
    store.put_draft(draft("admin-a", "d1"), None)
    assert store.get_draft("admin-a", "d1") == draft("admin-a", "d1")
    assert store.get_draft("admin-b", "d1") is None
    with pytest.raises(VersionConflictError):
        store.put_draft(draft("admin-a", "d1"), None)  # already there
    store.put_draft(draft("admin-a", "d1", 2, signal_id="S-1"), 1)
    with pytest.raises(VersionConflictError):
        store.put_draft(draft("admin-a", "d1", 2, signal_id="S-2"), 1)  # a second publisher read version 1 too
    stored = store.get_draft("admin-a", "d1")
    assert stored is not None and (stored.version, stored.signal_id) == (2, "S-1")


def test_draft_listing_pages_per_tenant(store: RiskStore) -> None:
    ids = ["a1", "b2", "c3", "d4", "e5"]
    for draft_id in ids:
        store.put_draft(draft("admin-a", draft_id), None)
    store.put_draft(draft("admin-b", "zz"), None)
    store.put_portfolio(portfolio("admin-a", "p1"), None)  # same partition, another family: never listed
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = store.list_drafts("admin-a", 2, cursor)
        seen += [d.id for d in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == ids
    assert [d.id for d in store.list_drafts("admin-b", 10, None).items] == ["zz"]
    first = store.list_drafts("admin-a", 2, None)
    with pytest.raises(InvalidInputError):
        store.list_drafts("admin-b", 2, first.next_cursor)  # admin-a's cursor
