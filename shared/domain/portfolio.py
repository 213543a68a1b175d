"""Portfolios (a procurement team's bill of materials) and how their risk aggregates. Pure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Self

from pydantic import Field, StrictFloat, StrictInt, model_validator

from shared.domain.countries import country_name
from shared.domain.hs_materials import HS_TARGETS, HS_UNMAPPED
from shared.domain.ids import PORTFOLIO_ID_MAX_LENGTH, PORTFOLIO_ID_PATTERN
from shared.domain.models import (
    Band,
    CountryCode,
    CurrencyCode,
    DomainModel,
    Fraction,
    HsCode,
    ImporterCode,
    MaterialId,
    MaterialProfile,
    PlainText,
    RiskScore,
    Stage,
)
from shared.domain.scoring import DEFAULT_PARAMETERS, CompanySourcing, ScoringParameters, band_for

MAX_PORTFOLIO_ITEMS = 1000
#: items in these bands count as "at risk" for the portfolio's driver statements
AT_RISK_BANDS = frozenset({Band.HIGH, Band.CRITICAL})


#: countries one line's sourcing may name (per stage)
MAX_SOURCING_COUNTRIES = 50
#: a line's sourcing shares may add up to 1 plus float noise, never more
SOURCING_SUM_TOLERANCE = 1e-9


class SourcingShare(DomainModel):
    """One country's share of what the company buys on a line (0..1)."""

    country: CountryCode
    share: Fraction


Sourcing = tuple[SourcingShare, ...]


def _check_sourcing(shares: Sourcing, field: str) -> None:
    seen: set[str] = set()
    for share in shares:
        if share.country in seen:
            raise ValueError(f"{field}: country {share.country} listed twice")
        seen.add(share.country)
    total = sum(s.share for s in shares)
    if total > 1.0 + SOURCING_SUM_TOLERANCE:
        raise ValueError(f"{field}: shares add up to {total:.4f}, above 1 (the rest, up to 1, is 'unknown')")


def hs_targets(code: str) -> tuple[tuple[str, Stage], ...]:
    """The (material or group, stage) pairs an HS code maps to; empty when it maps to none."""
    return tuple((target, Stage(stage)) for target, stage in HS_TARGETS.get(code, ()))


def _resolve_hs_code(data: dict[str, Any]) -> dict[str, Any]:
    """`hs_code` instead of (or with) `material`: the material and the stage it buys come from the HS table."""
    code = data.get("hs_code")
    if not isinstance(code, str) or not code:
        return data
    targets = hs_targets(code)
    if not targets:
        why = HS_UNMAPPED.get(code)
        reason = f" ({why})" if why else ""
        raise ValueError(f"hs_code: HS code {code} is not mapped to a material{reason}; give `material` instead")
    material = data.get("material")
    if isinstance(material, str) and material:
        wanted = material.strip().lower()
        matching = [t for t in targets if t[0] == wanted]
        if not matching:
            names = ", ".join(t for t, _ in targets)
            raise ValueError(f"hs_code: HS code {code} maps to {names}, not to material {material!r}")
        targets = tuple(matching)
    elif len(targets) > 1:
        names = " or ".join(t for t, _ in targets)
        raise ValueError(f"hs_code: HS code {code} maps to {names}: give `material` too")
    target, stage = targets[0]
    return {**data, "material": target, "stage": data.get("stage") or stage.value}


class PortfolioItem(DomainModel):
    #: a material id, or a group id (rare_earths, hree, ...) that expands to its elements; filled from `hs_code`
    #: when only that is given
    material: MaterialId
    #: the economy the plant imports into
    importer: ImporterCode
    annual_spend: StrictFloat = Field(ge=0, le=1e13, allow_inf_nan=False)
    currency: CurrencyCode | None = None
    part: PlainText | None = Field(default=None, max_length=200)
    supplier: PlainText | None = Field(default=None, max_length=200)
    #: the customs line's HS 1992 six-digit code (data/sources/hs92_material_map.csv maps it to material and stage)
    hs_code: HsCode | None = None
    #: the stage the line buys (ores and concentrates: extraction; processed material: processing); from the HS
    #: code when it has one; default: the material's processing stage if it has one, else extraction
    stage: Stage | None = None
    #: the company's own supply mix: for the stage it buys (a list), or per stage; shares sum to at most 1, the
    #: rest is unknown and taken at the importer's national mix
    sourcing: Sourcing | dict[Stage, Sourcing] | None = Field(default=None)
    #: the one supplier's country: the same as `sourcing` with that country at 100%
    supplier_country: CountryCode | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_hs_code(cls, data: Any) -> Any:
        return _resolve_hs_code(data) if isinstance(data, dict) else data

    @model_validator(mode="after")
    def _check_company_sourcing(self) -> Self:
        if self.sourcing is not None and self.supplier_country is not None:
            raise ValueError("supplier_country: give either sourcing or supplier_country (one supplier at 100%)")
        if isinstance(self.sourcing, dict):
            if not self.sourcing:
                raise ValueError("sourcing: at least one stage when given per stage")
            for stage, shares in self.sourcing.items():
                if len(shares) > MAX_SOURCING_COUNTRIES:
                    raise ValueError(f"sourcing.{stage.value}: at most {MAX_SOURCING_COUNTRIES} countries")
                _check_sourcing(shares, f"sourcing.{stage.value}")
        elif self.sourcing is not None:
            if len(self.sourcing) > MAX_SOURCING_COUNTRIES:
                raise ValueError(f"sourcing: at most {MAX_SOURCING_COUNTRIES} countries")
            _check_sourcing(self.sourcing, "sourcing")
        return self

    @property
    def has_company_sourcing(self) -> bool:
        return bool(self.sourcing) or self.supplier_country is not None

    def company_sourcing(self, material: MaterialProfile) -> CompanySourcing | None:
        """The line's own mix for one of its materials (a group's members each get it), or None (national)."""
        if not self.has_company_sourcing:
            return None
        stages = list(material.stages)
        bought = self.stage if self.stage in material.stages else None
        if bought is None:
            bought = Stage.PROCESSING if Stage.PROCESSING in material.stages else stages[0]
        by_stage: dict[Stage, tuple[tuple[str, float], ...]]
        if self.supplier_country is not None:
            by_stage = {bought: ((self.supplier_country, 1.0),)}
        elif isinstance(self.sourcing, dict):
            by_stage = {
                stage: tuple((s.country, s.share) for s in shares)
                for stage, shares in self.sourcing.items()
                if stage in material.stages
            }
            if not by_stage:  # only stages the material lacks: the mix is for the stage it buys
                by_stage = {bought: tuple((s.country, s.share) for s in next(iter(self.sourcing.values())))}
            elif bought not in by_stage:
                bought = max(by_stage)
        else:
            by_stage = {bought: tuple((s.country, s.share) for s in self.sourcing or ())}
        return CompanySourcing(by_stage=by_stage, bought_stage=bought)


class Portfolio(DomainModel):
    tenant: str = Field(min_length=1, max_length=200)
    id: str = Field(min_length=1, max_length=PORTFOLIO_ID_MAX_LENGTH, pattern=PORTFOLIO_ID_PATTERN)
    name: PlainText = Field(min_length=1, max_length=200)
    #: ISO 4217 code every item's spend is in (no FX conversion is attempted)
    currency: CurrencyCode = "USD"
    items: tuple[PortfolioItem, ...] = Field(max_length=MAX_PORTFOLIO_ITEMS)
    version: StrictInt = Field(default=1, ge=1)
    updated_at: datetime

    @model_validator(mode="after")
    def _one_currency(self) -> Self:
        for index, item in enumerate(self.items):
            if item.currency is not None and item.currency != self.currency:
                raise ValueError(
                    f"items.{index}.currency: {item.currency} differs from the portfolio currency {self.currency} "
                    "(one currency per portfolio; no FX conversion)"
                )
        return self


@dataclass(frozen=True, slots=True)
class ExposureLine:
    """One (material, importer) line after group expansion, with its share of the item's spend."""

    item_index: int
    material: str
    importer: str
    annual_spend: float
    part: str | None
    supplier: str | None
    via_group: str | None


def expand_items(items: Sequence[PortfolioItem], catalogue: Mapping[str, MaterialProfile]) -> list[ExposureLine]:
    """Groups expand to their elements with the item's spend split equally (the item says nothing finer)."""
    lines: list[ExposureLine] = []
    for index, item in enumerate(items):
        if item.material in catalogue:
            members, group = [item.material], None
        else:
            members, group = sorted(m.id for m in catalogue.values() if item.material in m.groups), item.material
        for material in members:
            lines.append(
                ExposureLine(
                    item_index=index,
                    material=material,
                    importer=item.importer,
                    annual_spend=item.annual_spend / len(members),
                    part=item.part,
                    supplier=item.supplier,
                    via_group=group,
                )
            )
    return lines


def unknown_material_rows(items: Sequence[PortfolioItem], catalogue: Mapping[str, MaterialProfile]) -> list[int]:
    groups = {g for m in catalogue.values() for g in m.groups}
    return [i for i, item in enumerate(items) if item.material not in catalogue and item.material not in groups]


@dataclass(frozen=True, slots=True)
class UnscoredLine:
    """Spend that has no score: reported with the reason, never left out silently."""

    #: the portfolio item; None for a pair asked for directly (a scenario's pairs)
    item_index: int | None
    #: the material of the line, or what the item names when it expands to nothing (a group, a removed material)
    material: str
    importer: str
    #: None for a pair asked for directly (no spend)
    annual_spend: float | None
    part: str | None
    supplier: str | None
    via_group: str | None
    reason: str

    @classmethod
    def of(cls, line: ExposureLine, reason: str) -> UnscoredLine:
        return cls(
            line.item_index,
            line.material,
            line.importer,
            line.annual_spend,
            line.part,
            line.supplier,
            line.via_group,
            reason,
        )


def unexpanded_items(items: Sequence[PortfolioItem], catalogue: Mapping[str, MaterialProfile]) -> list[UnscoredLine]:
    """Items that expand to no line: what they name is no longer a material or a group of the catalogue.

    A stored portfolio was checked when it was written; a material PUT since may have taken the last member out of
    a group it names (the only way through the API; a re-seeded catalogue could also drop a material). Their
    whole spend is unscored."""
    return [
        UnscoredLine(
            item_index=index,
            material=items[index].material,
            importer=items[index].importer,
            annual_spend=items[index].annual_spend,
            part=items[index].part,
            supplier=items[index].supplier,
            via_group=None,
            reason=(
                f"no material is {items[index].material} or in group {items[index].material} any more "
                "(see GET /v1/materials): its spend has no score"
            ),
        )
        for index in unknown_material_rows(items, catalogue)
    ]


@dataclass(frozen=True, slots=True)
class RiskLine:
    line: ExposureLine
    score: RiskScore

    @property
    def risk_spend(self) -> float:
        """Spend weighted by risk (score / 100): what the ranking orders by."""
        return self.line.annual_spend * self.score.score / 100.0


@dataclass(frozen=True, slots=True)
class PortfolioDriver:
    text: str
    at_risk_spend_share: float


@dataclass(frozen=True, slots=True)
class PortfolioRisk:
    #: every line's spend, scored or not
    total_spend: float
    #: what the scores cover: spend_weighted_score, band and drivers are over it
    scored_spend: float
    spend_weighted_score: float
    max_score: float
    band: Band
    at_risk_spend: float
    lines: list[RiskLine]
    drivers: list[PortfolioDriver]
    #: spend without a score (in item order), with the reason
    unscored: list[UnscoredLine] = field(default_factory=list)

    @property
    def unscored_spend(self) -> float:
        return sum(u.annual_spend or 0.0 for u in self.unscored)


def _bottleneck_leader(line: RiskLine, catalogue: Mapping[str, MaterialProfile]) -> tuple[str, str] | None:
    material = catalogue.get(line.line.material)
    if material is None:
        return None
    shares = material.stages.get(line.score.bottleneck_stage, ())
    if not shares:
        return None
    leader = max(shares, key=lambda s: (s.share, s.country))
    return leader.country, line.score.bottleneck_stage.value


def aggregate_portfolio_risk(
    lines: Sequence[RiskLine],
    catalogue: Mapping[str, MaterialProfile],
    params: ScoringParameters = DEFAULT_PARAMETERS,
    max_drivers: int = 5,
    unscored: Sequence[UnscoredLine] = (),
) -> PortfolioRisk:
    """Spend-weighted and max score, lines ranked by risk x spend, and what the at-risk spend depends on.

    The scores cover the scored lines; `unscored` spend is counted in total_spend and listed, never dropped."""
    total = sum(r.line.annual_spend for r in lines)
    weighted = sum(r.line.annual_spend * r.score.score for r in lines) / total if total > 0 else 0.0
    if total == 0 and lines:  # all spend unknown (0): fall back to the plain mean
        weighted = sum(r.score.score for r in lines) / len(lines)
    weighted = round(weighted, 4)  # the band is the reported score's (74.99996 shows as 75.0: critical, not high)
    max_score = max((r.score.score for r in lines), default=0.0)
    ranked = sorted(lines, key=lambda r: (-r.risk_spend, -r.score.score, r.line.material, r.line.importer))
    at_risk = [r for r in lines if r.score.band in AT_RISK_BANDS]
    at_risk_spend = sum(r.line.annual_spend for r in at_risk)

    # What the at-risk spend depends on: the leading producer at each line's bottleneck stage (by material
    # group), and the policy signals behind the scores.
    buckets: dict[str, float] = defaultdict(float)
    for r in at_risk:
        leader = _bottleneck_leader(r, catalogue)
        if leader is not None:
            country, stage = leader
            groups = catalogue[r.line.material].groups
            label = _group_label(groups) or catalogue[r.line.material].name.lower()
            buckets[f"{_adjective(country)} {stage} of {label}"] += r.line.annual_spend
        for signal_id in r.score.signal_ids:
            buckets[f"signal {signal_id}"] += r.line.annual_spend
    drivers = [
        PortfolioDriver(
            text=(
                f"{share:.0%} of your at-risk spend depends on {what}"
                if not what.startswith("signal ")
                else f"{share:.0%} of your at-risk spend is under {what}"
            ),
            at_risk_spend_share=round(share, 4),
        )
        for what, spend in sorted(buckets.items(), key=lambda kv: (-kv[1], kv[0]))[:max_drivers]
        if at_risk_spend > 0 and (share := spend / at_risk_spend) > 0
    ]
    return PortfolioRisk(
        total_spend=total + sum(u.annual_spend or 0.0 for u in unscored),
        scored_spend=total,
        spend_weighted_score=weighted,
        max_score=max_score,
        band=band_for(weighted, params),
        at_risk_spend=at_risk_spend,
        lines=ranked,
        drivers=drivers,
        unscored=sorted(unscored, key=lambda u: (-1 if u.item_index is None else u.item_index, u.material)),
    )


_GROUP_LABELS = {"hree": "heavy rare earths", "lree": "light rare earths", "rare_earths": "rare earths", "pgm": "PGMs"}


def _group_label(groups: Sequence[str]) -> str | None:
    for group in ("hree", "lree", "pgm", "rare_earths"):
        if group in groups:
            return _GROUP_LABELS[group]
    return None


_ADJECTIVES = {
    "CN": "Chinese",
    "US": "US",
    "RU": "Russian",
    "ZA": "South African",
    "CD": "Congolese",
    "AU": "Australian",
}


def _adjective(country: str) -> str:
    return _ADJECTIVES.get(country, country_name(country))


#: days a portfolio history may span (the score history's default retention is 400 days)
MAX_HISTORY_DAYS = 400


@dataclass(frozen=True, slots=True)
class PortfolioDay:
    """The portfolio's national risk on one day: each line at its pair's last score of that day (or the last one
    before it within the range); lines with no score yet that day are left out of scored_spend."""

    day: date
    spend_weighted_score: float
    max_score: float
    band: Band
    scored_spend: float
    scored_lines: int


def portfolio_days(
    lines: Sequence[ExposureLine],
    history: Mapping[tuple[str, str], Sequence[tuple[datetime, float]]],
    start: date,
    end: date,
    params: ScoringParameters = DEFAULT_PARAMETERS,
) -> list[PortfolioDay]:
    """Per day from `start` to `end`: spend-weighted (plain mean when all spend is 0) and max score, from each
    (importer, material) pair's history points (oldest first)."""
    days: list[PortfolioDay] = []
    cursor = {key: 0 for key in history}
    current: dict[tuple[str, str], float] = {}
    day = start
    while day <= end:
        for key, points in history.items():
            i = cursor[key]
            while i < len(points) and points[i][0].date() <= day:
                current[key] = points[i][1]
                i += 1
            cursor[key] = i
        scored = [
            (line.annual_spend, current[(line.importer, line.material)])
            for line in lines
            if (line.importer, line.material) in current
        ]
        if scored:
            spend = sum(s for s, _ in scored)
            weighted = sum(s * x for s, x in scored) / spend if spend > 0 else sum(x for _, x in scored) / len(scored)
            weighted = round(weighted, 4)
            days.append(
                PortfolioDay(day, weighted, max(x for _, x in scored), band_for(weighted, params), spend, len(scored))
            )
        day = date.fromordinal(day.toordinal() + 1)
    return days
