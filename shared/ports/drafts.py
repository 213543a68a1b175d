"""Draft signals (issue 19): a tenant's drafts, each stored whole."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from shared.ports.common import Page

if TYPE_CHECKING:  # annotations only: a function that never handles these keeps their models out of its init
    from shared.domain.drafts import SignalDraft


class DraftStore(Protocol):
    """A tenant's drafts (the tenant is part of every key: another tenant's draft is not found)."""

    def get_draft(self, tenant: str, draft_id: str) -> SignalDraft | None: ...

    def list_drafts(self, tenant: str, limit: int, cursor: str | None) -> Page[SignalDraft]:
        """The tenant's drafts in id order, `limit` per page; a cursor from another query is an InvalidInputError."""
        ...

    def put_draft(self, draft: SignalDraft, expected_version: int | None) -> None:
        """Conditional: None = nothing stored yet; VersionConflictError when the stored version differs."""
        ...
