"""What-if scenarios: baseline and scenario scores side by side, computed from the stored inputs, never stored."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from shared.domain.errors import InvalidInputError
from shared.domain.models import RiskScore
from shared.domain.portfolio import expand_items
from shared.domain.scenarios import AddSignalChange, ScenarioChange, SetSupplyShareChange
from shared.ports import Pair, RiskStore
from shared.services.portfolios import get_portfolio
from shared.services.queries import canonical_importer, require_material
from shared.services.rescoring import score_pairs_live

MAX_SCENARIO_PAIRS = 2000


@dataclass(frozen=True)
class ScenarioResult:
    pairs: list[tuple[RiskScore, RiskScore]]  # (baseline, scenario), ordered by the largest increase first


def _check_changes(store: RiskStore, changes: Sequence[ScenarioChange]) -> None:
    catalogue = store.list_materials()
    known = {m.id for m in catalogue} | {g for m in catalogue for g in m.groups}
    for index, change in enumerate(changes):
        if isinstance(change, SetSupplyShareChange) and change.material not in {m.id for m in catalogue}:
            raise InvalidInputError(f"unknown material {change.material!r}", field=f"changes.{index}.material")
        if isinstance(change, AddSignalChange):
            unknown = [m for m in change.signal.materials if m not in known]
            if unknown:
                raise InvalidInputError(
                    f"unknown materials or groups: {', '.join(unknown)}", field=f"changes.{index}.signal.materials"
                )


def scenario_pairs(store: RiskStore, tenant: str, pairs: Sequence[Pair] | None, portfolio_id: str | None) -> list[Pair]:
    if portfolio_id is not None:
        portfolio = get_portfolio(store, tenant, portfolio_id)  # another tenant's portfolio is a 404
        catalogue = {m.id: m for m in store.list_materials()}
        resolved = [Pair(line.importer, line.material) for line in expand_items(portfolio.items, catalogue)]
    else:
        resolved = [Pair(canonical_importer(p.importer), require_material(store, p.material).id) for p in pairs or ()]
    unique = list(dict.fromkeys(resolved))
    if len(unique) > MAX_SCENARIO_PAIRS:
        raise InvalidInputError(f"a scenario covers at most {MAX_SCENARIO_PAIRS} pairs, got {len(unique)}")
    return unique


def run_scenario(
    store: RiskStore,
    tenant: str,
    changes: Sequence[ScenarioChange],
    pairs: Sequence[Pair] | None,
    portfolio_id: str | None,
    now: datetime,
) -> ScenarioResult:
    """Both sides are computed now from the same stored inputs, so with no changes they are identical."""
    _check_changes(store, changes)
    resolved = scenario_pairs(store, tenant, pairs, portfolio_id)
    baseline = score_pairs_live(store, resolved, now)
    scenario = score_pairs_live(store, resolved, now, changes)
    rows = [(baseline[p], scenario[p]) for p in resolved if p in baseline and p in scenario]
    rows.sort(key=lambda r: (-(r[1].score - r[0].score), r[0].importer, r[0].material))
    return ScenarioResult(rows)
