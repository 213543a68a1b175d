"""InMemoryDraftStore: shared.ports.DraftStore in a dict (mixed into InMemoryRiskStore), held to the adapter by
tests/contract/test_drafts_contract.py."""

from __future__ import annotations

import base64
import binascii
import json

from shared.domain.drafts import SignalDraft
from shared.domain.errors import InvalidInputError, StoreUnavailableError, VersionConflictError
from shared.ports import Page


class InMemoryDraftStore:
    """Implements shared.ports.DraftStore. Its state lives in `drafts` (created on first use, so it mixes into
    the dataclass InMemoryRiskStore without a field); `available` and `calls` are the host store's when mixed in."""

    available: bool = True
    calls: list[str]

    @property
    def drafts(self) -> dict[tuple[str, str], SignalDraft]:
        if "_drafts" not in self.__dict__:
            self.__dict__["_drafts"] = {}
        drafts: dict[tuple[str, str], SignalDraft] = self.__dict__["_drafts"]
        return drafts

    def _draft_call(self, name: str) -> None:
        self.__dict__.setdefault("calls", []).append(name)
        if not self.available:
            raise StoreUnavailableError(f"in-memory store {name}: unavailable")

    def get_draft(self, tenant: str, draft_id: str) -> SignalDraft | None:
        self._draft_call("get_draft")
        return self.drafts.get((tenant, draft_id))

    def list_drafts(self, tenant: str, limit: int, cursor: str | None) -> Page[SignalDraft]:
        self._draft_call("list_drafts")
        ids = sorted(i for t, i in self.drafts if t == tenant)
        start = 0
        if cursor:
            try:
                payload = json.loads(base64.urlsafe_b64decode(cursor.encode()))
                if not isinstance(payload, dict) or payload.get("q") != ["drafts", tenant]:
                    raise ValueError("cursor belongs to another query")
                start = next((n for n, i in enumerate(ids) if i > str(payload["k"])), len(ids))
            except (ValueError, KeyError, binascii.Error, UnicodeDecodeError) as exc:
                raise InvalidInputError("cursor is not valid for this query", field="cursor") from exc
        chunk = ids[start : start + limit]
        more = start + limit < len(ids)
        next_cursor = (
            base64.urlsafe_b64encode(json.dumps({"q": ["drafts", tenant], "k": chunk[-1]}).encode()).decode()
            if more and chunk
            else None
        )
        return Page(items=[self.drafts[(tenant, i)] for i in chunk], next_cursor=next_cursor)

    def put_draft(self, draft: SignalDraft, expected_version: int | None) -> None:
        self._draft_call("put_draft")
        current = self.drafts.get((draft.tenant, draft.id))
        stored = current.version if current is not None else None
        if stored != expected_version:
            raise VersionConflictError(
                f"draft {draft.id}: expected version {expected_version}, stored {stored}", field="version"
            )
        self.drafts[(draft.tenant, draft.id)] = draft
