"""API request/response models: the public contract (docs/openapi.json is generated from them)."""

# No `from __future__ import annotations` in this module: pydantic would compile every field's annotation
# string at class creation, a cost every cold start pays (docs/decisions.md 86).

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, model_validator

from shared.domain.countries import country_name
from shared.domain.errors import InvalidInputError
from shared.domain.ids import MATERIAL_ID_PATTERN, SIGNAL_ID_MAX_LENGTH, SIGNAL_ID_PATTERN
from shared.domain.models import (
    Band,
    CountryGovernance,
    MaterialProfile,
    Measure,
    PlainText,
    PolicySignal,
    RiskScore,
    SaneDate,
    SignalStatus,
    Stage,
)
from shared.domain.scenarios import (
    MAX_SCENARIO_CHANGES,
    AddSignalChange,
    LiftSignalChange,
    ScenarioChange,
    SetSupplyShareChange,
)

if TYPE_CHECKING:  # used by the `.of()` mappings only: no import of the services (or portfolio models) at run time
    from shared.domain.portfolio import ExposureLine, UnscoredLine
    from shared.domain.scoring import CompanyScore
    from shared.ports import HistoryPoint, Page
    from shared.services.importers import DependencyDetail, ImporterCoverage
    from shared.services.queries import MissingScore, ScoreHistory
    from shared.services.scenarios import ScenarioResult


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
    def of(cls, store_available: bool, model_version: str) -> "HealthResponse":
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
    def of(cls, profile: MaterialProfile) -> "MaterialSummary":
        top = {
            stage: ProducerShareResponse.model_validate(max(shares, key=lambda s: s.share).model_dump())
            for stage, shares in profile.stages.items()
            if shares
        }
        return cls(id=profile.id, name=profile.name, groups=list(profile.groups), top_producers=top)


class MaterialListResponse(ApiModel):
    items: list[MaterialSummary]

    @classmethod
    def of(cls, materials: list[MaterialProfile]) -> "MaterialListResponse":
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
    def of(cls, signal: PolicySignal) -> "SignalResponse":
        return cls.model_validate(signal.model_dump(mode="json"))


class SignalListResponse(ApiModel):
    items: list[SignalResponse]

    @classmethod
    def of(cls, signals: list[PolicySignal]) -> "SignalListResponse":
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
    ) -> "MaterialResponse":
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
    def of(cls, score: RiskScore) -> "ScoreResponse":
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
    def of(cls, page: "Page[RiskScore]") -> "ScorePageResponse":
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
    def of(cls, point: "HistoryPoint") -> "HistoryPointResponse":
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
    def of(cls, history: "ScoreHistory") -> "HistoryResponse":
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
    def of(cls, coverage: "ImporterCoverage") -> "ImporterSummary":
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
    def of(cls, page: "Page[ImporterCoverage]") -> "ImporterListResponse":
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
    def of(cls, detail: "DependencyDetail") -> "DependencyDetailResponse":
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


class GovernanceResponse(ApiModel):
    country: str
    governance_risk: float
    year: int
    source: str
    version: int

    @classmethod
    def of(cls, governance: CountryGovernance) -> "GovernanceResponse":
        return cls.model_validate(governance.model_dump(mode="json"))


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
    def of(cls, missing: "MissingScore") -> "MissingPair":
        return cls(importer=missing.pair.importer, material=missing.pair.material, reason=missing.reason)


class BatchScoresResponse(ApiModel):
    items: list[ScoreResponse]
    missing: list[MissingPair]

    @classmethod
    def of(cls, found: list[RiskScore], missing: "list[MissingScore]") -> "BatchScoresResponse":
        return cls(items=[ScoreResponse.of(s) for s in found], missing=[MissingPair.of(m) for m in missing])


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
    def of(cls, line: "UnscoredLine") -> "UnscoredLineResponse":
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
    def _one_target(self) -> "ScenarioRequest":
        if (self.pairs is None) == (self.portfolio_id is None):
            raise ValueError("give exactly one of pairs or portfolio_id")
        return self


class ScenarioSide(ApiModel):
    score: float
    band: Band
    policy_pressure: float
    signal_ids: list[str]

    @classmethod
    def of(cls, score: RiskScore) -> "ScenarioSide":
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
    def of(cls, baseline: RiskScore, scenario: RiskScore) -> "ScenarioLineResponse":
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
    def of(
        cls, line: "ExposureLine", baseline: "CompanyScore", scenario: "CompanyScore"
    ) -> "CompanyScenarioLineResponse":
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
    def of(cls, result: "ScenarioResult", as_of: date) -> "ScenarioResponse":
        return cls(
            items=[ScenarioLineResponse.of(base, what_if) for base, what_if in result.pairs],
            company_items=[CompanyScenarioLineResponse.of(line, b, s) for line, b, s in result.company],
            unscored_lines=[UnscoredLineResponse.of(u) for u in result.unscored],
            as_of=as_of,
        )
