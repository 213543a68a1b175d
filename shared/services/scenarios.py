"""What-if scenarios: baseline and scenario scores side by side, computed from the stored inputs, never stored."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from shared.domain.errors import InvalidInputError, NotFoundError
from shared.domain.models import ImporterDependency, MaterialProfile, PolicySignal, RiskScore
from shared.domain.portfolio import ExposureLine, Portfolio, UnscoredLine, expand_items, unexpanded_items
from shared.domain.scenarios import (
    AddSignalChange,
    ScenarioChange,
    SetSupplyShareChange,
    apply_to_material,
    apply_to_signals,
)
from shared.domain.scoring import CompanyScore, ScoringInputs, compute_score
from shared.ports import DependencyBatchReader, Pair, PortfolioReader, ReferenceDataReader
from shared.services.portfolios import company_sourced_lines, get_portfolio, no_score_reason, score_company_lines
from shared.services.queries import canonical_importer, canonical_material
from shared.services.rescoring import ScoringContext

MAX_SCENARIO_PAIRS = 2000


@dataclass(frozen=True)
class ScenarioResult:
    pairs: list[tuple[RiskScore, RiskScore]]  # (baseline, scenario), ordered by the largest increase first
    #: what could not be scored (a portfolio item whose group lost its materials, a pair without a score), with why
    unscored: list[UnscoredLine] = field(default_factory=list)
    #: a portfolio's lines with their own sourcing: (line, company baseline, company scenario), largest increase
    #: first (computed on read like the pairs)
    company: list[tuple[ExposureLine, CompanyScore, CompanyScore]] = field(default_factory=list)


@dataclass(frozen=True)
class ScenarioTarget:
    """The pairs a scenario scores; for a portfolio, its lines (for the reasons of unscored ones) too."""

    pairs: list[Pair]
    lines: list[ExposureLine] = field(default_factory=list)
    unexpanded: list[UnscoredLine] = field(default_factory=list)
    portfolio: Portfolio | None = None


def _check_changes(catalogue: Mapping[str, MaterialProfile], changes: Sequence[ScenarioChange]) -> None:
    known = set(catalogue) | {g for m in catalogue.values() for g in m.groups}
    for index, change in enumerate(changes):
        if isinstance(change, SetSupplyShareChange) and change.material not in catalogue:
            raise InvalidInputError(f"unknown material {change.material!r}", field=f"changes.{index}.material")
        if isinstance(change, AddSignalChange):
            unknown = [m for m in change.signal.materials if m not in known]
            if unknown:
                raise InvalidInputError(
                    f"unknown materials or groups: {', '.join(unknown)}", field=f"changes.{index}.signal.materials"
                )


class ScenarioStore(PortfolioReader, ReferenceDataReader, DependencyBatchReader, Protocol):
    """A scenario reads the inputs (and the portfolio it runs on, with its company-sourced lines' dependencies);
    it writes nothing."""


def _score_both(
    stored: ScoringContext,
    what_if: ScoringContext,
    catalogue: Mapping[str, MaterialProfile],
    dependencies: Mapping[Pair, ImporterDependency],
    pairs: Sequence[Pair],
    now: datetime,
    changes: Sequence[ScenarioChange],
) -> tuple[dict[Pair, RiskScore], dict[Pair, RiskScore]]:
    """(baseline, scenario) scores of the pairs, as score_pairs_live gives them; a pair whose inputs the changes
    leave as they are (the same profile object, the same signal objects touching it) keeps its baseline score:
    the model is deterministic, so scoring it again would give the same RiskScore."""
    terms: dict[str, tuple[MaterialProfile, list[PolicySignal], MaterialProfile, list[PolicySignal], bool]] = {}
    baseline: dict[Pair, RiskScore] = {}
    scenario: dict[Pair, RiskScore] = {}
    for pair in pairs:
        material = catalogue.get(pair.material)
        if material is None:
            continue
        if material.id not in terms:
            changed = apply_to_material(material, changes)
            base_signals = [s for s in stored.signals if s.touches_material(material.id, material.groups)]
            new_signals = [s for s in what_if.signals if s.touches_material(changed.id, changed.groups)]
            same = changed is material and len(base_signals) == len(new_signals)
            same = same and all(a is b for a, b in zip(base_signals, new_signals, strict=True))
            terms[material.id] = (material, base_signals, changed, new_signals, same)
        material, base_signals, changed, new_signals, same = terms[material.id]
        dependency = dependencies.get(pair)
        baseline[pair] = compute_score(
            ScoringInputs(pair.importer, material, dependency, stored.governance, base_signals, now.date()), now
        )
        scenario[pair] = (
            baseline[pair]
            if same
            else compute_score(
                ScoringInputs(pair.importer, changed, dependency, what_if.governance, new_signals, now.date()), now
            )
        )
    return baseline, scenario


def scenario_pairs(
    store: PortfolioReader,
    tenant: str,
    pairs: Sequence[Pair] | None,
    portfolio_id: str | None,
    catalogue: Mapping[str, MaterialProfile],
) -> ScenarioTarget:
    lines: list[ExposureLine] = []
    unexpanded: list[UnscoredLine] = []
    portfolio: Portfolio | None = None
    if portfolio_id is not None:
        portfolio = get_portfolio(store, tenant, portfolio_id)  # another tenant's portfolio is a 404
        lines = expand_items(portfolio.items, catalogue)
        unexpanded = unexpanded_items(portfolio.items, catalogue)  # as in its risk: listed, not dropped
        resolved = [Pair(line.importer, line.material) for line in lines]
    else:
        resolved = []
        for pair in pairs or ():
            material = canonical_material(pair.material)
            if material not in catalogue:
                raise NotFoundError(f"unknown material {pair.material!r}: see GET /v1/materials", field="material")
            resolved.append(Pair(canonical_importer(pair.importer), material))
    unique = list(dict.fromkeys(resolved))
    if len(unique) > MAX_SCENARIO_PAIRS:
        raise InvalidInputError(f"a scenario covers at most {MAX_SCENARIO_PAIRS} pairs, got {len(unique)}")
    return ScenarioTarget(unique, lines, unexpanded, portfolio if portfolio_id is not None else None)


def run_scenario(
    store: ScenarioStore,
    tenant: str,
    changes: Sequence[ScenarioChange],
    pairs: Sequence[Pair] | None,
    portfolio_id: str | None,
    now: datetime,
) -> ScenarioResult:
    """Both sides are computed now from the same stored inputs, so with no changes they are identical. The inputs
    are read once for both sides (governance, signals, the pairs' dependency items in one BatchGetItem), and a pair
    whose material and signals no change touches keeps its baseline score as its scenario score (decision 84)."""
    catalogue = {m.id: m for m in store.list_materials()}  # one read, for validation and group expansion
    _check_changes(catalogue, changes)
    target = scenario_pairs(store, tenant, pairs, portfolio_id, catalogue)
    stored = ScoringContext.load(store) if target.pairs else ScoringContext({}, [])
    what_if = ScoringContext(stored.governance, apply_to_signals(stored.signals, changes, now.date()))
    dependencies = store.get_dependencies(target.pairs) if target.pairs else {}
    baseline, scenario = _score_both(stored, what_if, catalogue, dependencies, target.pairs, now, changes)
    rows = [(baseline[p], scenario[p]) for p in target.pairs if p in baseline and p in scenario]
    rows.sort(key=lambda r: (-(r[1].score - r[0].score), r[0].importer, r[0].material))
    # only if a material vanished between the catalogue read and the scoring: listed, never dropped silently
    scored = {p for p in target.pairs if p in baseline and p in scenario}
    unscored = list(target.unexpanded)
    if target.lines:
        unscored += [
            UnscoredLine.of(line, no_score_reason(pair))
            for line in target.lines
            if (pair := Pair(line.importer, line.material)) not in scored
        ]
    else:
        unscored += [
            UnscoredLine(None, p.material, p.importer, None, None, None, None, no_score_reason(p))
            for p in target.pairs
            if p not in scored
        ]
    company: list[tuple[ExposureLine, CompanyScore, CompanyScore]] = []
    if target.portfolio is not None:
        wanted = company_sourced_lines(target.portfolio, target.lines, catalogue)
        # equal inputs give the cached company score (decision 84): the baseline after the risk route, and the
        # what-if of every line whose material and signals no change touches
        base = score_company_lines(wanted, stored, dependencies, catalogue, now)
        changed = score_company_lines(wanted, what_if, dependencies, catalogue, now, changes)
        company = [(line, base[line], changed[line]) for line in target.lines if line in base and line in changed]
        company.sort(key=lambda r: (-(r[2].score.score - r[1].score.score), r[0].importer, r[0].material))
    return ScenarioResult(rows, unscored, company)
