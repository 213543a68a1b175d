"""Draft signals from a pasted article (issue 19): extract, store, list, publish (decisions.md 70-71).

A draft changes no score: it is stored beside the tenant's other items (not in the SIGNAL partition the stream
and the scoring read). Publishing writes the signal exactly as PUT /v1/signals/{id} does (`admin.upsert_signal`),
so the stream rescoring, alerts and webhooks follow as for any signal.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from shared.domain.drafts import (
    DraftImpact,
    DuplicateMatch,
    ExtractedDraft,
    PairImpact,
    SignalDraft,
)
from shared.domain.errors import InvalidInputError, NotFoundError, VersionConflictError
from shared.domain.extraction import KnownSite, extract_drafts, material_table
from shared.domain.models import ALL_TARGETS, MaterialProfile, PolicySignal
from shared.domain.scenarios import AddSignalChange
from shared.ports import (
    DependencyBatchReader,
    DraftStore,
    ImporterIndexStore,
    Page,
    Pair,
    PortfolioReader,
    ReferenceDataStore,
)
from shared.services.admin import upsert_signal
from shared.services.importers import scored_importers
from shared.services.scenarios import MAX_SCENARIO_PAIRS, run_scenario
from shared.services.versioning import UpsertResult

#: the most characters a pasted text may have (about 3,000 words); the request model enforces it (422)
MAX_TEXT_CHARS = 20_000
#: the most drafts one text yields (further measures in a long text are dropped, with the count in the log)
MAX_DRAFTS_PER_TEXT = 10
#: rows of score changes kept per draft (the largest first)
MAX_IMPACT_ROWS = 25
#: a signal is a duplicate when its announcement (or start) is within this many days of the draft's
DUPLICATE_WINDOW = timedelta(days=60)


class DraftCreationStore(
    DraftStore, ReferenceDataStore, ImporterIndexStore, PortfolioReader, DependencyBatchReader, Protocol
):
    """Creating drafts reads the catalogue and signals, scores the impact like a scenario, writes drafts."""


class DraftPublishingStore(DraftStore, ReferenceDataStore, Protocol):
    """Publishing reads the draft, writes the signal as PUT does, then marks the draft."""


@dataclass(frozen=True)
class PublishResult:
    draft: SignalDraft
    signal: UpsertResult[PolicySignal]


def draft_base_id(url: str, published: date, text: str) -> str:
    """The same paste (url, date, text) gives the same ids, so posting it twice stores nothing new."""
    return hashlib.sha256(f"{url}\n{published.isoformat()}\n{text}".encode()).hexdigest()[:16]


def _sites(catalogue: Sequence[MaterialProfile]) -> list[KnownSite]:
    return [
        KnownSite(site.name, site.country, material.id, site.stage.value, site.share)
        for material in catalogue
        for site in material.sites
    ]


def create_drafts(
    store: DraftCreationStore,
    tenant: str,
    text: str,
    published: date,
    url: str,
    now: datetime,
    scored_override: Sequence[str] = (),
) -> list[SignalDraft]:
    """Extract, check each draft against the stored signals, compute its impact, store it (idempotent)."""
    catalogue = store.list_materials()
    table = material_table((m.id, m.name, m.groups) for m in catalogue)
    extracted = extract_drafts(text, published, table, _sites(catalogue))[:MAX_DRAFTS_PER_TEXT]
    signals = store.list_signals()
    base = draft_base_id(url, published, text)
    drafts: list[SignalDraft] = []
    importers: tuple[str, ...] | None = None
    for index, proposal in enumerate(extracted, start=1):
        draft_id = f"{base}-{index}"
        existing = store.get_draft(tenant, draft_id)
        if existing is not None:
            drafts.append(existing)
            continue
        duplicate = find_duplicate(proposal, signals, catalogue)
        if importers is None:
            importers = scored_importers(store, scored_override)
        impact = draft_impact(store, tenant, proposal, duplicate, url, catalogue, importers, now)
        draft = SignalDraft(
            id=draft_id,
            tenant=tenant,
            url=url,
            published=published,
            created_at=now,
            extracted=proposal,
            impact=impact,
            duplicate_of=duplicate,
        )
        try:
            store.put_draft(draft, None)
        except VersionConflictError:  # the same paste stored by a concurrent request: that one stands
            stored = store.get_draft(tenant, draft_id)
            draft = stored if stored is not None else draft
        drafts.append(draft)
    return drafts


def _expand(materials: Sequence[str], catalogue: Sequence[MaterialProfile]) -> set[str]:
    """Material and group ids -> the material ids they name."""
    return {m.id for m in catalogue if m.id in materials or any(g in materials for g in m.groups)}


def find_duplicate(
    proposal: ExtractedDraft, signals: Sequence[PolicySignal], catalogue: Sequence[MaterialProfile]
) -> DuplicateMatch | None:
    """Same issuer and measure, overlapping materials (groups expanded) and targets (ALL overlaps every target),
    announced or starting within DUPLICATE_WINDOW of the draft: the closest such signal."""
    fields = proposal.fields
    if fields.issuer is None or fields.measure is None or fields.announced is None:
        return None
    materials = _expand(fields.materials, catalogue)
    best: tuple[int, PolicySignal] | None = None
    for signal in signals:
        if signal.issuer != fields.issuer or signal.measure != fields.measure:
            continue
        if not materials & _expand(signal.materials, catalogue):
            continue
        targets = set(fields.targets)
        if not (ALL_TARGETS in targets or ALL_TARGETS in signal.targets or targets & set(signal.targets)):
            continue
        gaps = [abs((signal.announced - fields.announced).days)]
        if signal.effective is not None and fields.effective is not None:
            gaps.append(abs((signal.effective - fields.effective).days))
        gap = min(gaps)
        if gap <= DUPLICATE_WINDOW.days and (best is None or gap < best[0]):
            best = (gap, signal)
    if best is None:
        return None
    gap, signal = best
    why = (
        f"same issuer ({signal.issuer}) and measure ({signal.measure}), overlapping materials and targets, dates "
        f"{gap} days apart: publishing updates {signal.id} (at version {signal.version}) instead of adding a signal"
    )
    return DuplicateMatch(signal_id=signal.id, version=signal.version, why=why)


def proposed_signal_fields(draft: SignalDraft, existing: PolicySignal | None) -> dict[str, Any]:
    """The signal a draft proposes. A new signal: every field the draft has. An update of a duplicate: the stored
    signal with only the fields the text gave evidence for replaced (a defaulted ALL or date does not overwrite)."""
    fields = draft.extracted.fields.model_dump(exclude_none=True)
    fields["source"] = draft.url
    if existing is None:
        return fields
    evidenced = {e.field for e in draft.extracted.evidence}
    base = existing.model_dump(exclude={"id", "version"})
    base.update({k: v for k, v in fields.items() if k in evidenced or k == "source"})
    return base


def draft_impact(
    store: DraftCreationStore,
    tenant: str,
    proposal: ExtractedDraft,
    duplicate: DuplicateMatch | None,
    url: str,
    catalogue: Sequence[MaterialProfile],
    importers: Sequence[str],
    now: datetime,
) -> DraftImpact:
    """The draft as a what-if (services.scenarios.run_scenario): a duplicate's update replaces that signal."""
    fields = proposal.fields.model_dump(exclude_none=True)
    signal_id = duplicate.signal_id if duplicate else "DRAFT"
    try:
        signal = PolicySignal.parse({**fields, "id": signal_id, "source": url})
    except InvalidInputError as exc:
        return DraftImpact(pairs_touched=0, note=f"not scored until the draft is a valid signal: {exc}")
    materials = sorted(_expand(signal.materials, catalogue))
    targets = importers if ALL_TARGETS in signal.targets else signal.targets
    pairs = [Pair(i, m) for i in targets if i != signal.issuer for m in materials]
    if not pairs:
        return DraftImpact(pairs_touched=0, note="touches no scored pair")
    scored = pairs[:MAX_SCENARIO_PAIRS]
    result = run_scenario(store, tenant, [AddSignalChange(type="add_signal", signal=signal)], scored, None, now)
    changes = sorted(result.pairs, key=lambda r: (-abs(r[1].score - r[0].score), r[0].importer, r[0].material))
    rows = tuple(
        PairImpact(
            importer=before.importer,
            material=before.material,
            baseline=round(before.score, 2),
            with_draft=round(after.score, 2),
            change=round(after.score - before.score, 2),
            band_before=before.band.value,
            band_after=after.band.value,
        )
        for before, after in changes[:MAX_IMPACT_ROWS]
    )
    note = f"computed like a scenario on {len(scored)} pairs at {now.isoformat()}; nothing stored"
    if len(scored) < len(pairs):
        note += f" (the first {len(scored)} of {len(pairs)} pairs)"
    return DraftImpact(pairs_touched=len(pairs), changes=rows, note=note)


def get_draft(store: DraftStore, tenant: str, draft_id: str) -> SignalDraft:
    draft = store.get_draft(tenant, draft_id)
    if draft is None:  # another tenant's draft too: a 404, never a 403
        raise NotFoundError(f"no draft {draft_id!r}", field="draft_id")
    return draft


def list_drafts(store: DraftStore, tenant: str, limit: int, cursor: str | None) -> Page[SignalDraft]:
    return store.list_drafts(tenant, limit, cursor)


def publish_draft(
    store: DraftPublishingStore,
    tenant: str,
    draft_id: str,
    signal_id: str | None,
    edits: Mapping[str, Any],
) -> PublishResult:
    """Write the draft's signal as PUT /v1/signals/{id} does (same validation), with the draft's URL as source.

    The signal id: the request's, else the duplicate's (an update, guarded by the version the draft saw: a PUT in
    between is a 409), else `DRAFT-<draft id>` (a create: an existing signal of that id is a 409). Publishing a
    published draft is a 409 naming the signal. A retry after the signal was written but not the draft mark (the
    same signal is stored) completes the mark instead of failing.
    """
    draft = get_draft(store, tenant, draft_id)
    if draft.signal_id is not None:
        raise VersionConflictError(
            f"draft {draft_id} is already published as signal {draft.signal_id} (version {draft.signal_version})",
            field="draft_id",
        )
    duplicate = draft.duplicate_of
    target_id = signal_id or (duplicate.signal_id if duplicate else f"DRAFT-{draft.id}")
    updating = duplicate is not None and target_id == duplicate.signal_id
    existing = store.get_signal(target_id) if updating else None
    fields = {**proposed_signal_fields(draft, existing), **edits}
    expected = duplicate.version if updating and duplicate else 0
    try:
        result = upsert_signal(store, target_id, fields, expected)
    except VersionConflictError:
        stored = store.get_signal(target_id)
        proposed = PolicySignal.parse({**fields, "id": target_id})
        if stored is None or stored.model_dump(exclude={"version"}) != proposed.model_dump(exclude={"version"}):
            raise
        result = UpsertResult(stored, created=False, changed=False)  # our own earlier write: finish the mark
    marked = draft.model_copy(
        update={"signal_id": result.item.id, "signal_version": result.item.version, "version": draft.version + 1}
    )
    store.put_draft(marked, draft.version)
    return PublishResult(marked, result)
