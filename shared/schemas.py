"""API request/response models: the public contract (docs/openapi.json is generated from them)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, field_validator, model_validator

from shared.domain.countries import country_name
from shared.domain.drafts import SignalDraft
from shared.domain.errors import InvalidInputError
from shared.domain.ids import GROUP_ID_PATTERN, MATERIAL_ID_PATTERN, SIGNAL_ID_MAX_LENGTH, SIGNAL_ID_PATTERN
from shared.domain.models import (
    Band,
    CountryGovernance,
    CurrencyCode,
    HttpUrlText,
    ImporterDependency,
    MaterialProfile,
    Measure,
    PlainText,
    PolicySignal,
    ProducerShare,
    RiskScore,
    SaneDate,
    SignalStatus,
    Site,
    Stage,
    StageTrade,
)
from shared.domain.portfolio import (
    MAX_SOURCING_COUNTRIES,
    ExposureLine,
    Portfolio,
    PortfolioDay,
    PortfolioRisk,
    RiskLine,
    UnscoredLine,
)
from shared.domain.scenarios import (
    MAX_SCENARIO_CHANGES,
    AddSignalChange,
    LiftSignalChange,
    ScenarioChange,
    SetSupplyShareChange,
)
from shared.domain.scoring import CompanyScore
from shared.ports import HistoryPoint, RescoreRun

if TYPE_CHECKING:  # used by the `.of()` mappings only: no import of the services at run time
    from shared.ports import Page, PortfolioSummary
    from shared.services.importers import DependencyDetail, ImporterCoverage
    from shared.services.queries import MissingScore, ScoreHistory
    from shared.services.scenarios import ScenarioResult
    from shared.services.signal_loads import RowResult, SignalLoad


class ApiModel(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)


class ErrorDetail(ApiModel):
    field: str | None = Field(default=None, description="Dotted path of the offending input, when there is one")
    message: str


class ErrorResponse(ApiModel):
    error: str = Field(description="Machine-readable code, e.g. validation_error, not_found, version_conflict")
    message: str
    details: list[ErrorDetail] = Field(default_factory=list)


class HealthResponse(ApiModel):
    status: Literal["ok", "degraded"] = Field(description="degraded while the data store cannot be read")
    store: Literal["ok", "unavailable"] = Field(description="the data store's state, checked at most every 10 s")
    model_version: str

    @classmethod
    def of(cls, store_available: bool, model_version: str) -> HealthResponse:
        if store_available:
            return cls(status="ok", store="ok", model_version=model_version)
        return cls(status="degraded", store="unavailable", model_version=model_version)


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

    @classmethod
    def of(cls, materials: list[MaterialProfile]) -> MaterialListResponse:
        return cls(items=[MaterialSummary.of(m) for m in materials])


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
    stages: list[Stage]
    quota_tonnes: float | None
    reference_tonnes: float | None
    state_measure: bool
    version: int

    @classmethod
    def of(cls, signal: PolicySignal) -> SignalResponse:
        return cls.model_validate(signal.model_dump(mode="json"))


class SignalListResponse(ApiModel):
    items: list[SignalResponse]

    @classmethod
    def of(cls, signals: list[PolicySignal]) -> SignalListResponse:
        return cls(items=[SignalResponse.of(s) for s in signals])


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
    active_signals_by_stage: dict[Stage, list[SignalResponse]] = Field(
        description="The active signals per stage of the material; a signal without stages is under every stage"
    )

    @classmethod
    def of(
        cls,
        profile: MaterialProfile,
        active_signals: list[PolicySignal],
        by_stage: dict[Stage, list[PolicySignal]] | None = None,
    ) -> MaterialResponse:
        data: dict[str, Any] = profile.model_dump(mode="json")
        data["stages"] = {
            stage: sorted(shares, key=lambda s: (-s["share"], s["country"])) for stage, shares in data["stages"].items()
        }
        data["active_signals"] = [SignalResponse.of(s) for s in active_signals]
        if by_stage is None:
            by_stage = {stage: [s for s in active_signals if s.covers_stage(stage)] for stage in profile.stages}
        data["active_signals_by_stage"] = {
            stage.value: [SignalResponse.of(s) for s in signals] for stage, signals in by_stage.items()
        }
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
        # straight from the domain object's attributes: no intermediate dict (this is on the hot GET path)
        return cls.model_validate(score, from_attributes=True)


#: the spreadsheet of a ranked list (Accept: text/csv): one row per score
SCORE_CSV_COLUMNS = (
    "importer", "material", "score", "band", "confidence", "supply_risk", "import_reliance",
    "site_concentration", "policy_pressure", "top_driver", "model_version", "computed_at",
)  # fmt: skip


class ScorePageResponse(ApiModel):
    items: list[ScoreResponse]
    next_cursor: str | None = Field(description="Pass as ?cursor= to get the next page; null on the last page")

    @classmethod
    def of(cls, page: Page[RiskScore]) -> ScorePageResponse:
        return cls(items=[ScoreResponse.of(s) for s in page.items], next_cursor=page.next_cursor)

    def csv_rows(self) -> list[dict[str, Any]]:
        """One row per score (SCORE_CSV_COLUMNS): the components flat, the largest driver's text."""
        return [
            {
                **item.model_dump(mode="json", include=set(SCORE_CSV_COLUMNS)),
                **item.components.model_dump(exclude={"concentration"}),
                "top_driver": item.drivers[0].text if item.drivers else "",
            }
            for item in self.items
        ]


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

    @classmethod
    def of(cls, history: ScoreHistory) -> HistoryResponse:
        return cls(
            importer=history.importer,
            material=history.material,
            items=[HistoryPointResponse.of(p) for p in history.page.items],
            next_cursor=history.page.next_cursor,
        )


# ---------------------------------------------------------------------------- importers and their dependencies


class ImporterSummary(ApiModel):
    code: str = Field(description="ISO 3166-1 alpha-2, or EU")
    name: str
    materials_with_data: list[str] = Field(description="Materials this economy has its own dependency data for")
    materials_with_data_count: int
    materials_on_fallback: int = Field(
        description="Catalogue materials without own data: their scores use world supply shares (see fallbacks)"
    )
    in_default_set: bool = Field(
        description="Scored by default (own data for at least 5 materials, or the EU); SCORED_IMPORTERS overrides"
    )

    @classmethod
    def of(cls, coverage: ImporterCoverage) -> ImporterSummary:
        return cls(
            code=coverage.code,
            name=coverage.name,
            materials_with_data=list(coverage.materials_with_data),
            materials_with_data_count=len(coverage.materials_with_data),
            materials_on_fallback=coverage.materials_on_fallback,
            in_default_set=coverage.in_default_set,
        )


class ImporterListResponse(ApiModel):
    items: list[ImporterSummary]
    next_cursor: str | None = Field(description="Pass as ?cursor= to get the next page; null on the last page")

    @classmethod
    def of(cls, page: Page[ImporterCoverage]) -> ImporterListResponse:
        return cls(items=[ImporterSummary.of(c) for c in page.items], next_cursor=page.next_cursor)


class PartnerLineResponse(ApiModel):
    country: str
    name: str
    share: float = Field(description="Share of the importer's supply at this stage, after looking through hubs")
    trade_restriction: float
    domestic: bool = Field(description="The importer's own production")
    tonnes: float | None = Field(description="Mean yearly direct imports from this partner; null when not listed")
    usd: float | None = Field(description="Mean yearly value of those imports (USD)")


class StageTradeResponse(ApiModel):
    hs_codes: list[str]
    years: list[int]
    imports_tonnes: float
    exports_tonnes: float
    imports_usd: float
    production_tonnes: float | None
    production_note: str
    import_reliance: float
    hubs_looked_through: list[str] = Field(description="Re-export hubs whose share was split over their sources")


class StageDependencyResponse(ApiModel):
    partners: list[PartnerLineResponse] = Field(description="The largest suppliers, largest first")
    other_share: float = Field(description="Share of the suppliers not listed")
    trade: StageTradeResponse | None = Field(description="The bilateral-trade evidence; null for published data")


class DependencyDetailResponse(ApiModel):
    importer: str
    importer_name: str
    material: str
    import_reliance: float | None
    method: str = Field(description='"bilateral_trade/<n>" (derived from trade data) or "published"')
    source: str
    version: int
    stages: dict[Stage, StageDependencyResponse]

    @classmethod
    def of(cls, detail: DependencyDetail) -> DependencyDetailResponse:
        dependency = detail.dependency
        return cls(
            importer=dependency.importer,
            importer_name="European Union" if dependency.importer == "EU" else country_name(dependency.importer),
            material=dependency.material,
            import_reliance=dependency.import_reliance,
            method=dependency.method,
            source=dependency.source,
            version=dependency.version,
            stages={
                stage.stage: StageDependencyResponse(
                    partners=[PartnerLineResponse.model_validate(p, from_attributes=True) for p in stage.partners],
                    other_share=stage.other_share,
                    trade=StageTradeResponse.model_validate(stage.trade.model_dump(mode="json", exclude={"partners"}))
                    if stage.trade
                    else None,
                )
                for stage in detail.stages
            },
        )


# ---------------------------------------------------------------------------- admin requests and responses

IdList = Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(max_length=300)]


class VersionedRequest(ApiModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: StrictInt | None = Field(
        default=None, ge=0, description="The version you last read (optimistic locking); omit to create"
    )


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


# ---------------------------------------------------------------------------- procurement: batch, portfolios, scenarios

MAX_BATCH_PAIRS = 100


class PairRequest(ApiModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    importer: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2 or EU (any case)")
    material: str = Field(pattern=MATERIAL_ID_PATTERN)


class BatchScoresRequest(ApiModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    pairs: list[PairRequest] = Field(min_length=1, max_length=MAX_BATCH_PAIRS)


class MissingPair(ApiModel):
    importer: str
    material: str
    reason: str

    @classmethod
    def of(cls, missing: MissingScore) -> MissingPair:
        return cls(importer=missing.pair.importer, material=missing.pair.material, reason=missing.reason)


class BatchScoresResponse(ApiModel):
    items: list[ScoreResponse]
    missing: list[MissingPair]

    @classmethod
    def of(cls, found: list[RiskScore], missing: list[MissingScore]) -> BatchScoresResponse:
        return cls(items=[ScoreResponse.of(s) for s in found], missing=[MissingPair.of(m) for m in missing])


class SourcingShareRequest(ApiModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2 (any case)")
    share: StrictFloat = Field(ge=0, le=1, description="Fraction of the line bought from the country")


SourcingRequest = Annotated[list[SourcingShareRequest], Field(max_length=MAX_SOURCING_COUNTRIES)]


class PortfolioItemRequest(ApiModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    material: str | None = Field(
        default=None,
        pattern=MATERIAL_ID_PATTERN,
        description="Material id or group (rare_earths expands); may be left out when hs_code is given",
    )
    importer: str = Field(min_length=2, max_length=2, description="The plant's economy: ISO alpha-2 or EU")
    annual_spend: StrictFloat = Field(ge=0, le=1e13)
    currency: CurrencyCode | None = None
    part: PlainText | None = Field(default=None, max_length=200)
    supplier: PlainText | None = Field(default=None, max_length=200)
    hs_code: str | None = Field(
        default=None,
        pattern=r"^[0-9]{6}$",
        description="HS 1992 six-digit code: mapped to the material and the stage it buys (unmapped: 422)",
    )
    stage: Stage | None = Field(
        default=None,
        description="The stage the line buys; default: from hs_code, else processing if the material has it",
    )
    sourcing: SourcingRequest | dict[Stage, SourcingRequest] | None = Field(
        default=None,
        description="The company's own supply mix, for the stage it buys (a list) or per stage; shares sum to at "
        "most 1, the rest is unknown (the importer's national mix). Scores the line company-specific",
    )
    supplier_country: str | None = Field(
        default=None, min_length=2, max_length=2, description="One supplier's country: sourcing with it at 100%"
    )


class PortfolioUpsertRequest(VersionedRequest):
    name: PlainText = Field(min_length=1, max_length=200)
    currency: CurrencyCode = Field(default="USD", description="ISO 4217 (current codes); every item's spend is in it")
    items: list[PortfolioItemRequest] = Field(max_length=1000)


class PortfolioResponse(ApiModel):
    id: str
    name: str
    currency: str
    items: list[PortfolioItemRequest]
    version: int
    updated_at: datetime

    @classmethod
    def of(cls, portfolio: Portfolio) -> PortfolioResponse:
        return cls.model_validate(portfolio.model_dump(mode="json", exclude={"tenant"}))


class PortfolioSummaryResponse(ApiModel):
    id: str
    name: str
    currency: str
    item_count: int
    version: int
    updated_at: datetime

    @classmethod
    def of(cls, summary: PortfolioSummary) -> PortfolioSummaryResponse:
        return cls.model_validate(summary, from_attributes=True)


class PortfolioListResponse(ApiModel):
    items: list[PortfolioSummaryResponse]
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page[PortfolioSummary]) -> PortfolioListResponse:
        return cls(items=[PortfolioSummaryResponse.of(p) for p in page.items], next_cursor=page.next_cursor)


class PortfolioRiskLineResponse(ApiModel):
    material: str
    importer: str
    via_group: str | None = Field(description="The group the portfolio item named, when it was expanded")
    part: str | None
    supplier: str | None
    annual_spend: float
    score: float
    band: Band
    risk_spend: float = Field(description="annual_spend x score / 100: what the list is ranked by")
    confidence: float
    top_driver: str | None
    company_sourced: bool = Field(
        default=False, description="The line has its own sourcing: company_score is scored on it (on read)"
    )
    company_score: float | None = Field(
        default=None, description="Company-specific score (the national score when the line has no own sourcing)"
    )
    company_band: Band | None = None
    score_difference: float | None = Field(default=None, description="company_score - score (national)")
    company_drivers: list[CompanyDriverResponse] = Field(
        default_factory=list, description="Top reasons of the company-specific score, each with what it rests on"
    )

    @classmethod
    def of(cls, r: RiskLine, company: CompanyScore | None = None) -> PortfolioRiskLineResponse:
        score = company.score if company is not None else r.score
        return cls(
            material=r.line.material,
            importer=r.line.importer,
            via_group=r.line.via_group,
            part=r.line.part,
            supplier=r.line.supplier,
            annual_spend=round(r.line.annual_spend, 2),
            score=r.score.score,
            band=r.score.band,
            risk_spend=round(r.risk_spend, 2),
            confidence=r.score.confidence,
            top_driver=r.score.drivers[0].text if r.score.drivers else None,
            company_sourced=company is not None,
            company_score=score.score,
            company_band=score.band,
            score_difference=round(score.score - r.score.score, 4),
            company_drivers=[
                CompanyDriverResponse(component=d.component, text=d.text, points=d.points, basis=basis)
                for d, basis in zip(company.score.drivers[:3], company.driver_basis[:3], strict=True)
            ]
            if company is not None
            else [],
        )


class CompanyDriverResponse(ApiModel):
    component: str
    text: str
    points: float
    basis: Literal["company", "national", "company+national", "world"] = Field(
        description="What the reason rests on: the line's own sourcing, the importer's national data, both, or "
        "world supply"
    )


class PortfolioTotalsResponse(ApiModel):
    spend_weighted_score: float
    max_score: float
    band: Band
    at_risk_spend: float

    @classmethod
    def of(cls, risk: PortfolioRisk) -> PortfolioTotalsResponse:
        return cls(
            spend_weighted_score=risk.spend_weighted_score,
            max_score=risk.max_score,
            band=risk.band,
            at_risk_spend=round(risk.at_risk_spend, 2),
        )


class PortfolioDriverResponse(ApiModel):
    text: str
    at_risk_spend_share: float


class UnscoredLineResponse(ApiModel):
    """Spend without a score, and why (it still counts in total_spend)."""

    item_index: int | None = Field(
        description="The portfolio item (0-based) the line comes from; null for a scenario's explicit pairs"
    )
    material: str = Field(description="The line's material, or what the item names when it expands to nothing")
    importer: str
    via_group: str | None = Field(default=None, description="The group the item named, when it was expanded")
    part: str | None = None
    supplier: str | None = None
    annual_spend: float | None = Field(
        default=None, description="The spend without a score; null for a scenario's explicit pairs"
    )
    reason: str = Field(description='e.g. "no material is rare_earths or in group rare_earths any more ..."')

    @classmethod
    def of(cls, line: UnscoredLine) -> UnscoredLineResponse:
        return cls(
            item_index=line.item_index,
            material=line.material,
            importer=line.importer,
            via_group=line.via_group,
            part=line.part,
            supplier=line.supplier,
            annual_spend=round(line.annual_spend, 2) if line.annual_spend is not None else None,
            reason=line.reason,
        )


#: the spreadsheet of a portfolio's risk (Accept: text/csv): scored lines, then unscored ones with their reason
RISK_CSV_COLUMNS = (
    "material", "importer", "via_group", "part", "supplier", "annual_spend", "score", "band", "risk_spend",
    "confidence", "top_driver", "unscored_reason", "company_sourced", "company_score", "company_band",
    "score_difference",
)  # fmt: skip


class PortfolioRiskResponse(ApiModel):
    portfolio_id: str
    name: str
    currency: str
    total_spend: float = Field(description="Every item's spend, scored or not (scored_spend + unscored_spend)")
    scored_spend: float = Field(description="Spend on scored lines: the scores, band and drivers are over it")
    unscored_spend: float = Field(description="Spend on unscored_lines (not in the scores); 0 when all is scored")
    spend_weighted_score: float = Field(description="Over the scored lines")
    max_score: float
    band: Band = Field(description="Band of the spend-weighted score")
    at_risk_spend: float = Field(description="Spend on lines in the high or critical band")
    live_scored_lines: int = Field(description="Lines scored live because no stored score exists for the pair")
    items: list[PortfolioRiskLineResponse]
    unscored_lines: list[UnscoredLineResponse] = Field(
        description="Spend that has no score (a group whose materials all left it, a pair that cannot be scored), "
        "in item order, with the reason"
    )
    drivers: list[PortfolioDriverResponse]
    company: PortfolioTotalsResponse | None = Field(
        default=None,
        description="Totals of the company-specific scores (lines without own sourcing at their national score)",
    )
    company_difference: float | None = Field(
        default=None, description="company.spend_weighted_score - spend_weighted_score"
    )

    @classmethod
    def of(
        cls,
        portfolio: Portfolio,
        risk: PortfolioRisk,
        live_scored_lines: int,
        company_risk: PortfolioRisk | None = None,
        company_scores: Mapping[Any, CompanyScore] | None = None,
    ) -> PortfolioRiskResponse:
        scores = company_scores or {}
        return cls(
            portfolio_id=portfolio.id,
            name=portfolio.name,
            currency=portfolio.currency,
            total_spend=round(risk.total_spend, 2),
            scored_spend=round(risk.scored_spend, 2),
            unscored_spend=round(risk.unscored_spend, 2),
            spend_weighted_score=risk.spend_weighted_score,
            max_score=risk.max_score,
            band=risk.band,
            at_risk_spend=round(risk.at_risk_spend, 2),
            live_scored_lines=live_scored_lines,
            items=[PortfolioRiskLineResponse.of(r, scores.get(r.line)) for r in risk.lines],
            unscored_lines=[UnscoredLineResponse.of(u) for u in risk.unscored],
            drivers=[
                PortfolioDriverResponse(text=d.text, at_risk_spend_share=d.at_risk_spend_share) for d in risk.drivers
            ],
            company=PortfolioTotalsResponse.of(company_risk) if company_risk is not None else None,
            company_difference=round(company_risk.spend_weighted_score - risk.spend_weighted_score, 4)
            if company_risk is not None
            else None,
        )

    def csv_rows(self) -> list[dict[str, Any]]:
        """RISK_CSV_COLUMNS: the ranked scored lines, then the unscored ones with their reason (their spend is never
        left out)."""
        rows = [line.model_dump(mode="json") for line in self.items]
        rows += [{**u.model_dump(mode="json"), "unscored_reason": u.reason} for u in self.unscored_lines]
        return rows


class PortfolioDayResponse(ApiModel):
    day: date
    spend_weighted_score: float
    max_score: float
    band: Band
    scored_spend: float = Field(description="Spend on lines whose pair had a score by that day")
    scored_lines: int

    @classmethod
    def of(cls, d: PortfolioDay) -> PortfolioDayResponse:
        return cls(
            day=d.day,
            spend_weighted_score=d.spend_weighted_score,
            max_score=d.max_score,
            band=d.band,
            scored_spend=round(d.scored_spend, 2),
            scored_lines=d.scored_lines,
        )


#: the spreadsheet of a portfolio's history (Accept: text/csv)
HISTORY_CSV_COLUMNS = ("day", "spend_weighted_score", "max_score", "band", "scored_spend", "scored_lines")


class PortfolioHistoryResponse(ApiModel):
    portfolio_id: str
    basis: Literal["national"] = Field(
        default="national",
        description="Built from the pairs' stored (national) score history: company sourcing is scored on read "
        "and has no history",
    )
    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    days: list[PortfolioDayResponse] = Field(description="One entry per day with at least one scored line")

    model_config = ConfigDict(populate_by_name=True)

    @classmethod
    def of(cls, portfolio_id: str, start: date, end: date, days: list[PortfolioDay]) -> PortfolioHistoryResponse:
        return cls(portfolio_id=portfolio_id, from_=start, to=end, days=[PortfolioDayResponse.of(d) for d in days])

    def csv_rows(self) -> list[dict[str, Any]]:
        return [d.model_dump(mode="json") for d in self.days]


class ScenarioSignalRequest(ApiModel):
    """A hypothetical signal; defaults make the short form work: {"issuer": "CN", "measure": "export_ban", ...}."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str | None = Field(default=None, max_length=SIGNAL_ID_MAX_LENGTH, pattern=SIGNAL_ID_PATTERN)
    issuer: str = Field(min_length=2, max_length=2)
    measure: Measure
    materials: IdList = Field(min_length=1)
    targets: IdList = Field(min_length=1)
    severity: StrictFloat = Field(ge=0, le=1)
    announced: SaneDate | None = Field(default=None, description="Default: today")
    effective: SaneDate | None = None
    status: SignalStatus = SignalStatus.IN_FORCE
    suspended_until: SaneDate | None = None
    lifted_at: SaneDate | None = None
    source: PlainText = Field(default="what-if scenario", max_length=1000)
    confidence: StrictFloat = Field(default=1.0, ge=0, le=1)


class AddSignalRequest(ApiModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["add_signal"]
    signal: ScenarioSignalRequest

    def to_change(self, index: int, today: date) -> ScenarioChange:
        data = self.signal.model_dump()
        data["id"] = data["id"] or f"what-if-{index}"
        data["announced"] = data["announced"] or today
        try:
            return AddSignalChange(type="add_signal", signal=PolicySignal.parse(data))
        except InvalidInputError as exc:
            raise exc.under(f"changes.{index}.signal") from None


class LiftSignalRequest(ApiModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["lift_signal"]
    signal_id: str = Field(min_length=1, max_length=100)
    days_since_lifted: StrictInt | None = Field(
        default=None, ge=0, le=36500, description="Omit for the long-run effect (signal gone)"
    )

    def to_change(self, index: int, today: date) -> ScenarioChange:
        try:
            return LiftSignalChange.parse(self.model_dump())
        except InvalidInputError as exc:
            raise exc.under(f"changes.{index}") from None


class SetSupplyShareRequest(ApiModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["set_supply_share"]
    material: str = Field(pattern=MATERIAL_ID_PATTERN)
    stage: Stage
    country: str = Field(min_length=2, max_length=2)
    share: StrictFloat = Field(ge=0, le=1, description="The country's new share; the others are rescaled")

    def to_change(self, index: int, today: date) -> ScenarioChange:
        try:
            return SetSupplyShareChange.parse(self.model_dump())
        except InvalidInputError as exc:
            raise exc.under(f"changes.{index}") from None


ScenarioChangeRequest = Annotated[
    AddSignalRequest | LiftSignalRequest | SetSupplyShareRequest, Field(discriminator="type")
]


class ScenarioRequest(ApiModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    changes: list[ScenarioChangeRequest] = Field(max_length=MAX_SCENARIO_CHANGES)
    pairs: list[PairRequest] | None = Field(default=None, min_length=1, max_length=MAX_BATCH_PAIRS)
    portfolio_id: str | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _one_target(self) -> ScenarioRequest:
        if (self.pairs is None) == (self.portfolio_id is None):
            raise ValueError("give exactly one of pairs or portfolio_id")
        return self


class ScenarioSide(ApiModel):
    score: float
    band: Band
    policy_pressure: float
    signal_ids: list[str]

    @classmethod
    def of(cls, score: RiskScore) -> ScenarioSide:
        return cls(
            score=score.score,
            band=score.band,
            policy_pressure=score.components.policy_pressure,
            signal_ids=list(score.signal_ids),
        )


class ScenarioLineResponse(ApiModel):
    importer: str
    material: str
    baseline: ScenarioSide
    scenario: ScenarioSide
    delta: float
    drivers: list[DriverResponse] = Field(description="The scenario score's drivers, largest first")

    @classmethod
    def of(cls, baseline: RiskScore, scenario: RiskScore) -> ScenarioLineResponse:
        return cls(
            importer=baseline.importer,
            material=baseline.material,
            baseline=ScenarioSide.of(baseline),
            scenario=ScenarioSide.of(scenario),
            delta=round(scenario.score - baseline.score, 4),
            drivers=[DriverResponse.model_validate(d.model_dump()) for d in scenario.drivers],
        )


class CompanyScenarioLineResponse(ApiModel):
    """A portfolio line with its own sourcing: its company-specific score before and after the changes."""

    item_index: int = Field(description="The portfolio item (0-based) the line comes from")
    importer: str
    material: str
    baseline: ScenarioSide
    scenario: ScenarioSide
    delta: float

    @classmethod
    def of(cls, line: ExposureLine, baseline: CompanyScore, scenario: CompanyScore) -> CompanyScenarioLineResponse:
        return cls(
            item_index=line.item_index,
            importer=line.importer,
            material=line.material,
            baseline=ScenarioSide.of(baseline.score),
            scenario=ScenarioSide.of(scenario.score),
            delta=round(scenario.score.score - baseline.score.score, 4),
        )


class ScenarioResponse(ApiModel):
    items: list[ScenarioLineResponse]
    company_items: list[CompanyScenarioLineResponse] = Field(
        default_factory=list,
        description="For a portfolio: its lines with their own sourcing, company-specific scores before and after",
    )
    unscored_lines: list[UnscoredLineResponse] = Field(
        description="What could not be scored: for a portfolio, items whose group has no materials any more "
        "(as in its risk); never dropped silently"
    )
    as_of: date

    @classmethod
    def of(cls, result: ScenarioResult, as_of: date) -> ScenarioResponse:
        return cls(
            items=[ScenarioLineResponse.of(base, what_if) for base, what_if in result.pairs],
            company_items=[CompanyScenarioLineResponse.of(line, b, s) for line, b, s in result.company],
            unscored_lines=[UnscoredLineResponse.of(u) for u in result.unscored],
            as_of=as_of,
        )


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
