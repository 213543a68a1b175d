"""Portfolio API request/response models: portfolios, their risk and history (company sourcing included)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import ConfigDict, Field, StrictFloat

from shared.domain.ids import MATERIAL_ID_PATTERN
from shared.domain.models import (
    Band,
    CurrencyCode,
    PlainText,
    Stage,
)
from shared.domain.portfolio import (
    MAX_SOURCING_COUNTRIES,
    Portfolio,
    PortfolioDay,
    PortfolioRisk,
    RiskLine,
)
from shared.domain.scoring import CompanyScore
from shared.schemas import (
    ApiModel,
    UnscoredLineResponse,
    VersionedRequest,
)

if TYPE_CHECKING:  # used by the `.of()` mappings only: no import of the services at run time
    from shared.ports import Page, PortfolioSummary


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
