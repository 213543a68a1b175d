"""API request/response models: the public contract (docs/openapi.json is generated from them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.domain.models import Band, MaterialProfile, PolicySignal, RiskScore, Stage
from shared.ports import HistoryPoint


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
