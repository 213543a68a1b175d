"""Admin API request/response models: reference-data upserts, bulk signal loads, rescoring runs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import ConfigDict, Field, StrictFloat, StrictInt, field_validator

from shared.domain.ids import GROUP_ID_PATTERN
from shared.domain.models import (
    HttpUrlText,
    ImporterDependency,
    Measure,
    PlainText,
    ProducerShare,
    SaneDate,
    SignalStatus,
    Site,
    Stage,
    StageTrade,
)
from shared.ports import RescoreRun
from shared.schemas import (
    ApiModel,
    IdList,
    ProducerShareResponse,
    VersionedRequest,
)

if TYPE_CHECKING:  # used by the `.of()` mappings only: no import of the services at run time
    from shared.services.signal_loads import RowResult, SignalLoad


class MaterialUpsertRequest(VersionedRequest):
    name: PlainText = Field(min_length=1, max_length=200)
    groups: list[Annotated[str, Field(pattern=GROUP_ID_PATTERN)]] = Field(
        default_factory=list, max_length=20, description="Group ids; none may be a material id, none twice"
    )
    stages: dict[Stage, Annotated[list[ProducerShare], Field(max_length=300)]]
    sites: list[Site] = Field(default_factory=list, max_length=100)
    recycling_input_rate: StrictFloat | None = Field(default=None, ge=0, le=1)
    substitution_index: StrictFloat | None = Field(default=None, ge=0, le=1)
    source: PlainText = Field(min_length=1, max_length=500)

    @field_validator("groups")
    @classmethod
    def _groups_once(cls, groups: list[str]) -> list[str]:
        if len(set(groups)) != len(groups):
            raise ValueError("a group is listed more than once")
        return groups


class DependencyUpsertRequest(VersionedRequest):
    import_reliance: StrictFloat | None = Field(default=None, ge=0, le=1)
    sourcing: dict[Stage, Annotated[list[ProducerShare], Field(max_length=300)]] = Field(default_factory=dict)
    trade: dict[Stage, StageTrade] = Field(
        default_factory=dict, description="bilateral-trade evidence per stage (HS codes, years, tonnes, USD)"
    )
    method: str = Field(
        default="published",
        max_length=40,
        pattern=r"^[a-z_]+(/[0-9]+)?$",
        description='"published" (a cited table) or a derivation method such as "bilateral_trade/1"',
    )
    source: PlainText = Field(min_length=1, max_length=500)


class GovernanceUpsertRequest(VersionedRequest):
    governance_risk: StrictFloat = Field(ge=0, le=10, description="0..10, 10 = worst (10 x (1 - normalised WGI))")
    year: StrictInt = Field(ge=1990, le=2100)
    source: PlainText = Field(min_length=1, max_length=500)


class SignalUpsertRequest(VersionedRequest):
    issuer: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2 code of the issuing country")
    measure: Measure
    materials: IdList = Field(
        min_length=1, description="Material ids or groups (rare_earths, hree, lree, pgm), each once"
    )
    targets: IdList = Field(min_length=1, description='Importer codes, or ["ALL"], each once')
    severity: StrictFloat = Field(ge=0, le=1)
    announced: SaneDate
    effective: SaneDate | None = None
    status: SignalStatus
    suspended_until: SaneDate | None = None
    lifted_at: SaneDate | None = None
    source: HttpUrlText = Field(min_length=1, max_length=1000, description="http(s) URL of the source")
    confidence: StrictFloat = Field(default=1.0, ge=0, le=1)
    title: PlainText = Field(default="", max_length=500)
    stages: list[Stage] = Field(
        default_factory=list, max_length=2, description="Stages the measure covers (ore-only: extraction); [] = all"
    )
    quota_tonnes: StrictFloat | None = Field(default=None, ge=0, description="Export quota, tonnes a year")
    reference_tonnes: StrictFloat | None = Field(
        default=None, gt=0, description="The volume the quota compares with (e.g. recent exports), tonnes a year"
    )
    state_measure: bool = Field(
        default=True, description="false: a reported disruption that is not a state measure (e.g. an armed group)"
    )


class DependencyResponse(ApiModel):
    importer: str
    material: str
    import_reliance: float | None
    sourcing: dict[Stage, list[ProducerShareResponse]]
    method: str
    source: str
    version: int

    @classmethod
    def of(cls, dependency: ImporterDependency) -> DependencyResponse:
        return cls.model_validate(dependency.model_dump(mode="json"))


class RescoreRequest(ApiModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    materials: IdList | None = Field(
        default=None, min_length=1, description="Only these materials; absent or null: all (an empty list is a 422)"
    )
    importers: IdList | None = Field(
        default=None,
        min_length=1,
        description="Only these importers; absent or null: the scored set (an empty list is a 422)",
    )


class SignalLoadRowDetail(ApiModel):
    field: str = Field(description="The row's column (reference format) or field (signal format)")
    message: str

    @classmethod
    def of(cls, detail: Mapping[str, object]) -> SignalLoadRowDetail:
        return cls(field=str(detail["field"]), message=str(detail["message"]))


class SignalLoadRowResponse(ApiModel):
    row: int = Field(description="1-based position among the data rows (a CSV's header row is not counted)")
    id: str | None = Field(description="The signal id the row names (null when it has none)")
    result: Literal["created", "updated", "unchanged", "conflict", "invalid"]
    version: int | None = Field(description="The stored version after the load (created, updated, unchanged)")
    details: list[SignalLoadRowDetail] = Field(description="Why a row is invalid or in conflict")

    @classmethod
    def of(cls, row: RowResult) -> SignalLoadRowResponse:
        return cls(
            row=row.row,
            id=row.signal_id,
            result=row.outcome.value,
            version=row.version,
            details=[SignalLoadRowDetail.of(d) for d in row.details],
        )


class SignalLoadResponse(ApiModel):
    load_id: str = Field(description="Marks the load's writes (the table stream skips them)")
    counts: dict[str, int] = Field(description="Rows per result")
    rows: list[SignalLoadRowResponse]
    materials: list[str] = Field(description="The materials the changed rows touch: what the run rescores")
    run: RescoreRunResponse | None = Field(
        description="The ONE rescoring run for the changed rows (GET /v1/rescore/{run_id}); null if nothing changed"
    )

    @classmethod
    def of(cls, load: SignalLoad) -> SignalLoadResponse:
        return cls(
            load_id=load.load_id,
            counts=load.counts(),
            rows=[SignalLoadRowResponse.of(r) for r in load.rows],
            materials=load.materials,
            run=RescoreRunResponse.of(load.run) if load.run else None,
        )


class RescoreRunResponse(ApiModel):
    run_id: str
    as_of: datetime
    status: str
    chunks_total: int
    chunks_done: int
    chunks_failed: int
    pairs_scored: int
    created_at: datetime

    @classmethod
    def of(cls, run: RescoreRun) -> RescoreRunResponse:
        # the run's own attributes (the port's RescoreRun), less what only the store needs (request_digest)
        return cls.model_validate(run, from_attributes=True)
