"""API request/response models: the public contract (docs/openapi.json is generated from them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from shared.domain.models import (
    Band,
    CountryGovernance,
    ImporterDependency,
    MaterialProfile,
    Measure,
    PolicySignal,
    ProducerShare,
    RiskScore,
    SignalStatus,
    Site,
    Stage,
)
from shared.ports import HistoryPoint, RescoreRun


class ApiModel(BaseModel):
    model_config = ConfigDict(frozen=True)


class ErrorDetail(ApiModel):
    field: str | None = Field(default=None, description="Dotted path of the offending input, when there is one")
    message: str


class ErrorResponse(ApiModel):
    error: str = Field(description="Machine-readable code, e.g. validation_error, not_found, version_conflict")
    message: str
    details: list[ErrorDetail] = Field(default_factory=list)


class HealthResponse(ApiModel):
    status: str
    model_version: str


class ProducerShareResponse(ApiModel):
    country: str
    share: float
    trade_restriction: float


class SiteResponse(ApiModel):
    name: str
    country: str
    stage: Stage
    share: float
    source: str


class MaterialSummary(ApiModel):
    id: str
    name: str
    groups: list[str]
    top_producers: dict[Stage, ProducerShareResponse] = Field(description="The largest producer at each stage")

    @classmethod
    def of(cls, profile: MaterialProfile) -> MaterialSummary:
        top = {
            stage: ProducerShareResponse.model_validate(max(shares, key=lambda s: s.share).model_dump())
            for stage, shares in profile.stages.items()
            if shares
        }
        return cls(id=profile.id, name=profile.name, groups=list(profile.groups), top_producers=top)


class MaterialListResponse(ApiModel):
    items: list[MaterialSummary]


class SignalResponse(ApiModel):
    id: str
    issuer: str
    measure: str
    materials: list[str]
    targets: list[str]
    severity: float
    announced: date
    effective: date | None
    status: str
    suspended_until: date | None
    lifted_at: date | None
    source: str
    confidence: float
    title: str
    version: int

    @classmethod
    def of(cls, signal: PolicySignal) -> SignalResponse:
        return cls.model_validate(signal.model_dump(mode="json"))


class SignalListResponse(ApiModel):
    items: list[SignalResponse]


class MaterialResponse(ApiModel):
    id: str
    name: str
    groups: list[str]
    stages: dict[Stage, list[ProducerShareResponse]]
    sites: list[SiteResponse]
    recycling_input_rate: float | None
    substitution_index: float | None
    source: str
    version: int
    active_signals: list[SignalResponse]

    @classmethod
    def of(cls, profile: MaterialProfile, active_signals: list[PolicySignal]) -> MaterialResponse:
        data: dict[str, Any] = profile.model_dump(mode="json")
        data["stages"] = {
            stage: sorted(shares, key=lambda s: (-s["share"], s["country"])) for stage, shares in data["stages"].items()
        }
        data["active_signals"] = [SignalResponse.of(s) for s in active_signals]
        return cls.model_validate(data)


class ComponentsResponse(ApiModel):
    supply_risk: float = Field(description="EU-form structural supply risk, native 0..10 scale")
    concentration: float = Field(description="Governance-weighted HHI of world supply at the bottleneck stage")
    import_reliance: float
    site_concentration: float
    policy_pressure: float


class DriverResponse(ApiModel):
    component: str
    text: str
    source: str
    points: float


class ScoreResponse(ApiModel):
    importer: str
    material: str
    groups: list[str]
    score: float = Field(ge=0, le=100)
    band: Band
    components: ComponentsResponse
    contributions: dict[str, float] = Field(description="Composite points per component; they add up to score")
    drivers: list[DriverResponse]
    confidence: float
    fallbacks: list[str]
    bottleneck_stage: Stage
    signal_ids: list[str]
    model_version: str
    inputs_hash: str
    as_of: date
    computed_at: datetime

    @classmethod
    def of(cls, score: RiskScore) -> ScoreResponse:
        return cls.model_validate(score.model_dump())


class ScorePageResponse(ApiModel):
    items: list[ScoreResponse]
    next_cursor: str | None = Field(description="Pass as ?cursor= to get the next page; null on the last page")


class HistoryPointResponse(ApiModel):
    at: datetime
    score: float
    band: Band
    model_version: str
    inputs_hash: str
    signal_ids: list[str]

    @classmethod
    def of(cls, point: HistoryPoint) -> HistoryPointResponse:
        return cls(
            at=point.at,
            score=point.score,
            band=point.band,
            model_version=point.model_version,
            inputs_hash=point.inputs_hash,
            signal_ids=list(point.signal_ids),
        )


class HistoryResponse(ApiModel):
    importer: str
    material: str
    items: list[HistoryPointResponse]
    next_cursor: str | None


# ---------------------------------------------------------------------------- admin requests and responses

IdList = Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(max_length=300)]


class VersionedRequest(ApiModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int | None = Field(
        default=None, ge=0, description="The version you last read (optimistic locking); omit to create"
    )


class MaterialUpsertRequest(VersionedRequest):
    name: str = Field(min_length=1, max_length=200)
    groups: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]] = Field(default_factory=list, max_length=20)
    stages: dict[Stage, Annotated[list[ProducerShare], Field(max_length=300)]]
    sites: list[Site] = Field(default_factory=list, max_length=100)
    recycling_input_rate: float | None = Field(default=None, ge=0, le=1)
    substitution_index: float | None = Field(default=None, ge=0, le=1)
    source: str = Field(min_length=1, max_length=500)


class DependencyUpsertRequest(VersionedRequest):
    import_reliance: float | None = Field(default=None, ge=0, le=1)
    sourcing: dict[Stage, Annotated[list[ProducerShare], Field(max_length=300)]] = Field(default_factory=dict)
    source: str = Field(min_length=1, max_length=500)


class GovernanceUpsertRequest(VersionedRequest):
    governance_risk: float = Field(ge=0, le=10, description="0..10, 10 = worst (10 x (1 - normalised WGI))")
    year: int = Field(ge=1990, le=2100)
    source: str = Field(min_length=1, max_length=500)


class SignalUpsertRequest(VersionedRequest):
    issuer: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2 code of the issuing country")
    measure: Measure
    materials: IdList = Field(min_length=1, description="Material ids or groups (rare_earths, hree, lree, pgm)")
    targets: IdList = Field(min_length=1, description='Importer codes, or ["ALL"]')
    severity: float = Field(ge=0, le=1)
    announced: date
    effective: date | None = None
    status: SignalStatus
    suspended_until: date | None = None
    lifted_at: date | None = None
    source: str = Field(min_length=1, max_length=1000, description="URL or citation")
    confidence: float = Field(default=1.0, ge=0, le=1)
    title: str = Field(default="", max_length=500)


class DependencyResponse(ApiModel):
    importer: str
    material: str
    import_reliance: float | None
    sourcing: dict[Stage, list[ProducerShareResponse]]
    source: str
    version: int

    @classmethod
    def of(cls, dependency: ImporterDependency) -> DependencyResponse:
        return cls.model_validate(dependency.model_dump(mode="json"))


class GovernanceResponse(ApiModel):
    country: str
    governance_risk: float
    year: int
    source: str
    version: int

    @classmethod
    def of(cls, governance: CountryGovernance) -> GovernanceResponse:
        return cls.model_validate(governance.model_dump(mode="json"))


class RescoreRequest(ApiModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    materials: IdList | None = Field(default=None, description="Only these materials (default: all)")
    importers: IdList | None = Field(default=None, description="Only these importers (default: the scored set)")


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
        return cls(
            run_id=run.run_id,
            as_of=run.as_of,
            status=run.status,
            chunks_total=run.chunks_total,
            chunks_done=run.chunks_done,
            chunks_failed=run.chunks_failed,
            pairs_scored=run.pairs_scored,
            created_at=run.created_at,
        )
