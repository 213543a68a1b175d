"""Draft signals: what the extractor read from a pasted article, with the evidence for each field (issue 19).

A draft is a proposal: it never changes a score until it is published as a PolicySignal
(shared/services/drafts.py).
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from shared.domain.models import CountryCode, DomainModel, Measure, SignalStatus, Stage

#: fields of a draft, in the order the response lists them
DRAFT_FIELDS = (
    "issuer",
    "measure",
    "materials",
    "targets",
    "stages",
    "status",
    "announced",
    "effective",
    "lifted_at",
    "severity",
)


class Evidence(DomainModel):
    """Where a field's value came from: the sentence, the phrase's character span in the pasted text, and why."""

    field: str
    #: the phrase the value was read from (text[start:end])
    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    sentence: str
    why: str


class FieldNote(DomainModel):
    """Why a field is null, or defaulted rather than read (never a silent guess)."""

    field: str
    note: str


class SiteMention(DomainModel):
    """A site named in the text (e.g. "the Bayan Obo mine"), with the material profile's share of world supply."""

    name: str
    country: CountryCode
    #: the materials whose profile lists the site
    materials: tuple[str, ...]
    stage: Stage
    share: float
    start: int
    end: int


class DraftSignalFields(DomainModel):
    """The signal the draft proposes: every PolicySignal field the text can give, null when it cannot."""

    issuer: CountryCode | None = None
    measure: Measure | None = None
    materials: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    stages: tuple[Stage, ...] = ()
    status: SignalStatus | None = None
    announced: date | None = None
    effective: date | None = None
    lifted_at: date | None = None
    #: the suggested severity (by measure, as signal_rows.SEVERITY_BY_MEASURE)
    severity: float | None = None
    #: how sure the extraction is, 0..1 (also the suggested signal confidence)
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    title: str = ""


class ExtractedDraft(DomainModel):
    fields: DraftSignalFields
    evidence: tuple[Evidence, ...] = ()
    notes: tuple[FieldNote, ...] = ()
    sites: tuple[SiteMention, ...] = ()
    #: countries named in the draft's sentences that are neither its issuer nor a target
    other_countries: tuple[str, ...] = ()


class PairImpact(DomainModel):
    importer: str
    material: str
    baseline: float
    with_draft: float
    change: float
    band_before: str
    band_after: str


class DraftImpact(DomainModel):
    """What publishing the draft would do, computed like a scenario (nothing stored)."""

    #: pairs the draft's signal touches (targets x materials, a group expanded to its members)
    pairs_touched: int
    #: the largest changes first, at most MAX_IMPACT_ROWS
    changes: tuple[PairImpact, ...] = ()
    note: str = ""


class DuplicateMatch(DomainModel):
    """An existing signal the draft matches: publishing proposes an update of it (at the version seen)."""

    signal_id: str
    version: int
    why: str


class SignalDraft(DomainModel):
    """A stored draft (tenant: the admin client that pasted the text)."""

    id: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9-]+$")  # services: DRAFT_ID_PATTERN
    tenant: str = Field(min_length=1, max_length=128)
    url: str = Field(min_length=1, max_length=1000)
    published: date
    created_at: datetime
    extracted: ExtractedDraft
    impact: DraftImpact | None = None
    duplicate_of: DuplicateMatch | None = None
    #: set once published: the signal it became and that signal's version
    signal_id: str | None = None
    signal_version: int | None = None
    version: int = Field(default=1, ge=1)
