"""Portfolio risk with company sourcing (shared/services/portfolios.py) on the in-memory store: company scores on
read next to the national ones, never stored; a line with no sourcing keeps its national score exactly."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest

from shared.adapters.seed_files import read_seed
from shared.domain.errors import InvalidInputError
from shared.domain.seed import SeedData
from shared.ports import Pair
from shared.services import portfolios
from shared.services.rescoring import score_pairs_live
from shared.services.seeding import seed_reference_data
from tests.fakes import InMemoryRiskStore

AS_OF = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


@cache
def seed() -> SeedData:
    return read_seed()


def store_with_scores() -> InMemoryRiskStore:
    store = InMemoryRiskStore()
    seed_reference_data(store, seed())
    pairs = [Pair("DE", "cobalt"), Pair("DE", "dysprosium"), Pair("JP", "gallium")]
    store.save_scores(list(score_pairs_live(store, pairs, AS_OF).values()), history_expires_at=0)
    return store


def put(store: InMemoryRiskStore, items: list[dict[str, Any]], tenant: str = "team-a") -> None:
    portfolios.upsert_portfolio(store, tenant, "p1", {"name": "plant", "items": items}, None, AS_OF)


def test_a_line_with_no_sourcing_has_its_national_score_exactly() -> None:
    store = store_with_scores()
    put(store, [{"material": "cobalt", "importer": "DE", "annual_spend": 100.0}])
    report = portfolios.portfolio_risk(store, "team-a", "p1", AS_OF)
    assert report.company_scores == {}
    assert report.company_risk is not None
    national = store.get_score("DE", "cobalt")
    assert national is not None
    assert report.company_risk.lines[0].score.model_dump_json() == national.model_dump_json()
    assert report.company_risk.spend_weighted_score == report.risk.spend_weighted_score


def test_company_sourcing_is_scored_on_read_and_never_stored() -> None:
    store = store_with_scores()
    stored_before = dict(store.scores)
    put(
        store,
        [
            {"hs_code": "282200", "importer": "DE", "annual_spend": 700.0, "sourcing": [{"country": "FI", "share": 1}]},
            {"material": "dysprosium", "importer": "DE", "annual_spend": 300.0},
        ],
    )
    report = portfolios.portfolio_risk(store, "team-a", "p1", AS_OF)
    assert store.scores == stored_before
    assert report.company_risk is not None
    (line, company), *_ = report.company_scores.items()
    assert (line.material, line.importer) == ("cobalt", "DE") and len(report.company_scores) == 1
    national = store.get_score("DE", "cobalt")
    assert national is not None
    assert company.score.score != national.score
    assert company.score.model_version == national.model_version
    assert report.company_risk.total_spend == report.risk.total_spend == 1000.0


def test_an_unmapped_hs_code_names_the_line_and_stores_nothing() -> None:
    store = store_with_scores()
    with pytest.raises(InvalidInputError) as caught:
        put(
            store,
            [
                {"material": "cobalt", "importer": "DE", "annual_spend": 1.0},
                {"hs_code": "252400", "importer": "DE", "annual_spend": 1.0},
            ],
        )
    assert caught.value.details[0]["field"] == "items.1.hs_code"
    assert store.portfolios == {}


def test_a_scenario_on_the_portfolio_applies_to_the_company_scores_too() -> None:
    from shared.domain.scenarios import AddSignalChange
    from shared.services.scenarios import run_scenario

    store = store_with_scores()
    put(
        store,
        [
            {"material": "cobalt", "importer": "DE", "annual_spend": 1.0, "sourcing": [{"country": "CN", "share": 1}]},
            {"material": "cobalt", "importer": "DE", "annual_spend": 1.0, "sourcing": [{"country": "FI", "share": 1}]},
        ],
    )
    ban = AddSignalChange.model_validate(
        {
            "type": "add_signal",
            "signal": {
                "id": "what-if-cn",
                "issuer": "CN",
                "measure": "export_ban",
                "materials": ["cobalt"],
                "targets": ["ALL"],
                "severity": 1.0,
                "announced": "2026-01-01",
                "status": "in_force",
                "source": "what-if",
            },
        }
    )
    result = run_scenario(store, "team-a", [ban], None, "p1", AS_OF)
    deltas = {line.item_index: what_if.score.score - base.score.score for line, base, what_if in result.company}
    assert deltas[0] > 10.0  # bought 100% from China: the ban bites
    assert deltas[1] < deltas[0]  # bought 100% from Finland: only the stages it does not give stay national


def test_the_issues_example_cobalt_hydroxide_70_percent_dr_congo_30_percent_finland() -> None:
    store = store_with_scores()
    put(
        store,
        [
            {
                "hs_code": "282200",
                "importer": "DE",
                "annual_spend": 1_000_000.0,
                "supplier": "one trader",
                "sourcing": [{"country": "CD", "share": 0.7}, {"country": "FI", "share": 0.3}],
            }
        ],
    )
    report = portfolios.portfolio_risk(store, "team-a", "p1", AS_OF)
    ((line, company),) = report.company_scores.items()
    assert (line.material, company.import_share, company.unknown_share) == ("cobalt", 1.0, 0.0)
    reliance = next(d for d in company.score.drivers if d.component == "import_reliance")
    assert "company sourcing: DR Congo 70%, Finland 30%" in reliance.text
    basis = dict(zip((d.component for d in company.score.drivers), company.driver_basis, strict=True))
    assert basis["import_reliance"] == "company"
    assert set(company.driver_basis) <= {"company", "national", "company+national", "world"}
