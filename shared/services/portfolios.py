"""Portfolios: a tenant's bill of materials, and its aggregated risk."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from shared.domain.errors import InvalidInputError, NotFoundError
from shared.domain.models import ImporterDependency, MaterialProfile, PolicySignal, RiskScore
from shared.domain.portfolio import (
    MAX_HISTORY_DAYS,
    ExposureLine,
    Portfolio,
    PortfolioDay,
    PortfolioRisk,
    RiskLine,
    UnscoredLine,
    aggregate_portfolio_risk,
    expand_items,
    portfolio_days,
    unexpanded_items,
    unknown_material_rows,
)
from shared.domain.scenarios import ScenarioChange, apply_to_material, apply_to_signals
from shared.domain.scoring import CompanyScore, CompanySourcing, ScoringInputs, company_score
from shared.ports import (
    DependencyBatchReader,
    HistoryQuery,
    Page,
    Pair,
    PortfolioReader,
    PortfolioStore,
    PortfolioSummary,
    ReferenceDataReader,
    ScoreReader,
)
from shared.services.rescoring import ScoringContext, score_pairs_live
from shared.services.versioning import UpsertResult, upsert_versioned

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor


def _catalogue(store: ReferenceDataReader) -> dict[str, MaterialProfile]:
    return {m.id: m for m in store.list_materials()}


def _not_found(portfolio_id: str) -> NotFoundError:
    # The same answer whether it does not exist or belongs to another tenant: existence is not leaked.
    return NotFoundError(f"unknown portfolio {portfolio_id!r}", field="portfolio_id")


class PortfolioWriteStore(PortfolioStore, ReferenceDataReader, Protocol):
    """Writing a portfolio checks its materials against the catalogue."""


class CompanyLineStore(ReferenceDataReader, DependencyBatchReader, Protocol):
    """Company scores: governance, signals and the lines' dependency items (one BatchGetItem)."""


class PortfolioRiskStore(PortfolioReader, ReferenceDataReader, DependencyBatchReader, ScoreReader, Protocol):
    """A portfolio's risk: the portfolio, the catalogue, stored scores (live scores from the inputs), and the
    company-sourced lines' dependencies."""


class LineScoreStore(ReferenceDataReader, ScoreReader, Protocol):
    """Stored scores, and the inputs to score the rest live."""


def upsert_portfolio(
    store: PortfolioWriteStore,
    tenant: str,
    portfolio_id: str,
    fields: dict[str, Any],
    expected_version: int | None,
    now: datetime,
) -> UpsertResult[Portfolio]:
    """Create or replace a portfolio; unknown materials are rejected with every offending row named."""
    proposed = Portfolio.parse({**fields, "tenant": tenant, "id": portfolio_id, "updated_at": now})
    bad_rows = unknown_material_rows(proposed.items, _catalogue(store))
    if bad_rows:
        raise InvalidInputError(
            f"{len(bad_rows)} item(s) name an unknown material or group (see GET /v1/materials); nothing was stored",
            details=[
                {"field": f"items.{i}.material", "message": f"unknown material or group {proposed.items[i].material!r}"}
                for i in bad_rows
            ],
        )
    current = store.get_portfolio(tenant, portfolio_id)
    return upsert_versioned(
        proposed,
        current,
        expected_version,
        store.put_portfolio,
        version_required=True,
        bookkeeping=frozenset({"version", "updated_at"}),
    )


def get_portfolio(store: PortfolioReader, tenant: str, portfolio_id: str) -> Portfolio:
    portfolio = store.get_portfolio(tenant, portfolio_id)
    if portfolio is None:
        raise _not_found(portfolio_id)
    return portfolio


def delete_portfolio(store: PortfolioStore, tenant: str, portfolio_id: str, expected_version: int | None) -> None:
    if store.get_portfolio(tenant, portfolio_id) is None:
        raise _not_found(portfolio_id)
    if not store.delete_portfolio(tenant, portfolio_id, expected_version):
        raise _not_found(portfolio_id)


def list_portfolios(store: PortfolioStore, tenant: str, limit: int, cursor: str | None) -> Page[PortfolioSummary]:
    return store.list_portfolios(tenant, limit, cursor)


@dataclass(frozen=True)
class PortfolioRiskReport:
    portfolio: Portfolio
    #: national scores (the stored pair scores)
    risk: PortfolioRisk
    #: lines whose pair has no stored score (importer not in the nightly set), scored live from the stored inputs
    live_scored: int
    #: the same lines scored company-specific: a line without its own sourcing keeps its national score (the same
    #: RiskScore object), a line with it is scored on read (compute_company_score), never stored
    company_risk: PortfolioRisk | None = None
    #: the company-mode scores of the lines that have their own sourcing
    company_scores: dict[ExposureLine, CompanyScore] = field(default_factory=dict)


def line_scores(store: LineScoreStore, pairs: list[Pair], now: datetime) -> tuple[dict[Pair, RiskScore], set[Pair]]:
    """Stored scores where they exist (what GET /v1/scores returns), live scores for the rest (also returned)."""
    scores = store.get_scores(pairs)
    missing = [p for p in dict.fromkeys(pairs) if p not in scores]
    scores.update(score_pairs_live(store, missing, now))
    return scores, set(missing)


def no_score_reason(pair: Pair) -> str:
    return f"no score stored for {pair.importer}/{pair.material}, and it could not be scored live"


def portfolio_risk(store: PortfolioRiskStore, tenant: str, portfolio_id: str, now: datetime) -> PortfolioRiskReport:
    """The portfolio's risk; spend that cannot be scored (an item whose group lost its members, a pair without a
    score) is counted in the total and listed with the reason, never dropped."""
    portfolio = get_portfolio(store, tenant, portfolio_id)
    # Governance and signals are read in a thread while this one reads the catalogue, and the stored national
    # scores in a thread while this one reads the company lines' dependencies and scores them (waits on the store
    # overlap each other and the scoring; decisions 83 and 100).
    sourced = any(item.has_company_sourcing for item in portfolio.items)
    context = _reader().submit(ScoringContext.load, store) if sourced else None
    catalogue = _catalogue(store)
    lines = expand_items(portfolio.items, catalogue)
    unscored = unexpanded_items(portfolio.items, catalogue)
    national = _reader().submit(line_scores, store, [Pair(line.importer, line.material) for line in lines], now)
    wanted = company_sourced_lines(portfolio, lines, catalogue)
    dependencies = store.get_dependencies([Pair(line.importer, line.material) for line, _ in wanted]) if wanted else {}
    company = score_company_lines(wanted, context.result(), dependencies, catalogue, now) if context and wanted else {}
    scores, live = national.result()
    risk_lines: list[RiskLine] = []
    for line in lines:
        pair = Pair(line.importer, line.material)
        if pair in scores:
            risk_lines.append(RiskLine(line, scores[pair]))
        else:  # only if the material vanished between the catalogue read and the live scoring
            unscored.append(UnscoredLine.of(line, no_score_reason(pair)))
    # lines, not pairs: a pair listed twice (directly and via a group) is two live-scored lines
    live_lines = sum(1 for r in risk_lines if Pair(r.line.importer, r.line.material) in live)
    risk = aggregate_portfolio_risk(risk_lines, catalogue, unscored=unscored)
    company = {r.line: company[r.line] for r in risk_lines if r.line in company}
    company_lines = [RiskLine(r.line, company[r.line].score) if r.line in company else r for r in risk_lines]
    company_risk = aggregate_portfolio_risk(company_lines, catalogue, unscored=unscored)
    return PortfolioRiskReport(portfolio, risk, live_lines, company_risk, company)


@lru_cache(maxsize=1)
def _reader() -> ThreadPoolExecutor:
    # imported on first use, as rescoring._writer: only the portfolio risk route needs it
    from concurrent.futures import ThreadPoolExecutor

    # two: governance and signals, and the national scores, may be in flight at once
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="portfolio-reads")


CompanyLine = tuple[ExposureLine, CompanySourcing]


def company_sourced_lines(
    portfolio: Portfolio, lines: list[ExposureLine], catalogue: Mapping[str, MaterialProfile]
) -> list[CompanyLine]:
    """The lines whose item has its own sourcing, each with its mix for the line's material."""
    return [
        (line, sourcing)
        for line in lines
        if line.material in catalogue
        and (sourcing := portfolio.items[line.item_index].company_sourcing(catalogue[line.material])) is not None
    ]


def company_line_scores(
    store: CompanyLineStore,
    portfolio: Portfolio,
    lines: list[ExposureLine],
    catalogue: dict[str, MaterialProfile],
    now: datetime,
    changes: Sequence[ScenarioChange] = (),
) -> dict[ExposureLine, CompanyScore]:
    """Company-mode scores of the lines whose item has its own sourcing, from the stored inputs (computed on read;
    nothing is written). Reads: governance and signals once, the lines' dependency items in one BatchGetItem."""
    wanted = company_sourced_lines(portfolio, lines, catalogue)
    if not wanted:
        return {}
    stored = ScoringContext.load(store)
    context = ScoringContext(stored.governance, apply_to_signals(stored.signals, changes, now.date()))
    dependencies = store.get_dependencies([Pair(line.importer, line.material) for line, _ in wanted])
    return score_company_lines(wanted, context, dependencies, catalogue, now, changes)


def score_company_lines(
    wanted: Sequence[CompanyLine],
    context: ScoringContext,
    dependencies: Mapping[Pair, ImporterDependency],
    catalogue: Mapping[str, MaterialProfile],
    now: datetime,
    changes: Sequence[ScenarioChange] = (),
) -> dict[ExposureLine, CompanyScore]:
    """company_line_scores from inputs already read (`context`: the signals with the changes applied; `changes`
    are applied to the profiles here). A scenario reads the inputs once for its baseline and its what-if."""
    materials: dict[str, MaterialProfile] = {}
    signals: dict[str, list[PolicySignal]] = {}
    scores: dict[ExposureLine, CompanyScore] = {}
    for line, sourcing in wanted:
        if line.material not in materials:  # one object per material (what-if changes applied)
            materials[line.material] = apply_to_material(catalogue[line.material], changes)
        material = materials[line.material]
        if material.id not in signals:
            # one list object per material: the model's per-material terms are computed once for all its lines
            signals[material.id] = [s for s in context.signals if s.touches_material(material.id, material.groups)]
        inputs = ScoringInputs(
            importer=line.importer,
            material=material,
            dependency=dependencies.get(Pair(line.importer, line.material)),
            governance=context.governance,
            signals=signals[material.id],
            as_of=now.date(),
        )
        scores[line] = company_score(inputs, sourcing, now)  # equal inputs: an earlier result (decision 84)
    return scores


class PortfolioHistoryStore(PortfolioReader, ReferenceDataReader, ScoreReader, Protocol):
    """A portfolio's history: the portfolio, the catalogue (groups), its pairs' score history."""


@dataclass(frozen=True)
class PortfolioHistory:
    portfolio: Portfolio
    start: date
    end: date
    days: list[PortfolioDay]


def portfolio_history(
    store: PortfolioHistoryStore, tenant: str, portfolio_id: str, start: date | None, end: date | None, today: date
) -> PortfolioHistory:
    """Spend-weighted and max NATIONAL score per day, from the pairs' stored score history (company sourcing is
    not in the history: company scores are computed on read, never stored). Default: the last 30 days."""
    end = end or today
    start = start or date.fromordinal(end.toordinal() - 29)
    if start > end:
        message = f"from ({start.isoformat()}) must not be after to ({end.isoformat()})"
        raise InvalidInputError(message, field="from")
    if (end - start).days + 1 > MAX_HISTORY_DAYS:
        raise InvalidInputError(f"from..to spans more than {MAX_HISTORY_DAYS} days", field="from")
    portfolio = get_portfolio(store, tenant, portfolio_id)
    lines = expand_items(portfolio.items, _catalogue(store))
    since, until = datetime.combine(start, time.min, UTC), datetime.combine(end, time.max, UTC)
    history: dict[tuple[str, str], list[tuple[datetime, float]]] = {}
    for pair in dict.fromkeys((line.importer, line.material) for line in lines):
        points: list[tuple[datetime, float]] = []
        cursor: str | None = None
        while True:
            page = store.score_history(HistoryQuery(pair[0], pair[1], since, until, 1000, cursor))
            points += [(p.at, p.score) for p in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        history[pair] = points
    return PortfolioHistory(portfolio, start, end, portfolio_days(lines, history, start, end))
