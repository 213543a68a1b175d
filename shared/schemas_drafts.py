"""Draft-signal request/response models (issue 19): paste an article, review the draft, publish it."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from pydantic import ConfigDict, Field, StrictFloat

from shared.domain.drafts import SignalDraft
from shared.domain.ids import SIGNAL_ID_MAX_LENGTH, SIGNAL_ID_PATTERN
from shared.domain.models import (
    HttpUrlText,
    Measure,
    PlainText,
    SaneDate,
    SignalStatus,
    Stage,
)
from shared.schemas import (
    ApiModel,
    IdList,
    SignalResponse,
)

if TYPE_CHECKING:  # used by the `.of()` mappings only: no import of the services at run time
    from shared.ports import Page


# ------------------------------------------------------------------------------- draft signals (issue 19)

#: the longest pasted text (characters); the service's MAX_TEXT_CHARS
MAX_DRAFT_TEXT_CHARS = 20_000


class DraftCreateRequest(ApiModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str = Field(
        min_length=1, max_length=MAX_DRAFT_TEXT_CHARS, description="The article as pasted (plain text, ~3,000 words)"
    )
    published: SaneDate = Field(description="The article's date: relative dates ('last month') resolve against it")
    url: HttpUrlText = Field(
        min_length=1, max_length=1000, description="The article's URL: the published signal's source"
    )


class EvidenceResponse(ApiModel):
    field: str
    text: str = Field(description="The phrase the value was read from: the pasted text[start:end]")
    start: int
    end: int
    sentence: str
    why: str


class FieldNoteResponse(ApiModel):
    field: str
    note: str = Field(description="Why the field is null, or defaulted rather than read")


class SiteMentionResponse(ApiModel):
    name: str
    country: str
    materials: list[str]
    stage: Stage
    share: float = Field(description="The site's share of world supply at that stage (the material profile's)")
    start: int
    end: int


class DraftFieldsResponse(ApiModel):
    issuer: str | None
    measure: Measure | None
    materials: list[str]
    targets: list[str]
    stages: list[Stage]
    status: SignalStatus | None
    announced: date | None
    effective: date | None
    lifted_at: date | None
    severity: float | None = Field(description="Suggested: the measure's default severity")
    confidence: float = Field(description="How sure the extraction is (also the suggested signal confidence)")
    title: str


class PairImpactResponse(ApiModel):
    importer: str
    material: str
    baseline: float
    with_draft: float
    change: float
    band_before: str
    band_after: str


class DraftImpactResponse(ApiModel):
    pairs_touched: int
    changes: list[PairImpactResponse] = Field(description="The largest score changes first (at most 25)")
    note: str


class DuplicateMatchResponse(ApiModel):
    signal_id: str
    version: int
    why: str


class DraftResponse(ApiModel):
    id: str
    url: str
    published: date
    created_at: datetime
    fields: DraftFieldsResponse
    evidence: list[EvidenceResponse]
    notes: list[FieldNoteResponse]
    sites: list[SiteMentionResponse]
    other_countries: list[str] = Field(
        description="Countries named beside the measure that are neither issuer nor target"
    )
    impact: DraftImpactResponse | None
    duplicate_of: DuplicateMatchResponse | None = Field(
        description="An existing signal this draft matches: publishing updates it instead of adding one"
    )
    signal_id: str | None = Field(description="Set once published: the signal it became")
    signal_version: int | None
    version: int

    @classmethod
    def of(cls, draft: SignalDraft) -> DraftResponse:
        data = draft.model_dump(mode="json", exclude={"tenant", "extracted"})
        return cls.model_validate({**data, **draft.extracted.model_dump(mode="json")})


class DraftCreateResponse(ApiModel):
    drafts: list[DraftResponse]

    @classmethod
    def of(cls, drafts: list[SignalDraft]) -> DraftCreateResponse:
        return cls(drafts=[DraftResponse.of(d) for d in drafts])


class DraftListResponse(ApiModel):
    items: list[DraftResponse]
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page[SignalDraft]) -> DraftListResponse:
        return cls(items=[DraftResponse.of(d) for d in page.items], next_cursor=page.next_cursor)


class SignalEdits(ApiModel):
    """Fields to change before publishing; each as in PUT /v1/signals/{signal_id}."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    issuer: str | None = Field(default=None, min_length=2, max_length=2)
    measure: Measure | None = None
    materials: IdList | None = Field(default=None, min_length=1)
    targets: IdList | None = Field(default=None, min_length=1)
    severity: StrictFloat | None = Field(default=None, ge=0, le=1)
    announced: SaneDate | None = None
    effective: SaneDate | None = None
    status: SignalStatus | None = None
    suspended_until: SaneDate | None = None
    lifted_at: SaneDate | None = None
    source: HttpUrlText | None = Field(default=None, min_length=1, max_length=1000)
    confidence: StrictFloat | None = Field(default=None, ge=0, le=1)
    title: PlainText | None = Field(default=None, max_length=500)
    stages: list[Stage] | None = Field(default=None, max_length=2)
    quota_tonnes: StrictFloat | None = Field(default=None, ge=0)
    reference_tonnes: StrictFloat | None = Field(default=None, gt=0)
    state_measure: bool | None = None


class DraftPublishRequest(ApiModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    signal_id: str | None = Field(
        default=None,
        max_length=SIGNAL_ID_MAX_LENGTH,
        pattern=SIGNAL_ID_PATTERN,
        description="Default: the duplicate's id (an update), else DRAFT-<draft id>",
    )
    fields: SignalEdits = Field(default_factory=SignalEdits, description="Edited fields (the others: the draft's)")


class DraftPublishResponse(ApiModel):
    draft: DraftResponse
    signal: SignalResponse
    created: bool = Field(description="true: a new signal; false: the duplicate signal was updated")
