"""What made the company portfolio's risk and its scenario cheaper changes no score (decision 84).

- company scores are served from a cache keyed by the value of their inputs: the same value, drivers and inputs
  hash as computed from scratch, this request's computed_at, and a miss for any changed input;
- a scenario reads its inputs once for both sides and keeps a pair's baseline score where no change touches its
  inputs: the same scores as scoring each side from the store (`score_pairs_live`), with fewer reads.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from typing import Any

from shared.adapters.seed_files import read_seed
from shared.domain import scoring
from shared.domain.models import Stage
from shared.domain.portfolio import expand_items
from shared.domain.scenarios import AddSignalChange, ScenarioChange, SetSupplyShareChange
from shared.domain.scoring import CompanySourcing, ScoringInputs, company_score, compute_company_score
from shared.domain.seed import SeedData
from shared.ports import Pair
from shared.services import portfolios
from shared.services.rescoring import ScoringContext, score_pairs_live
from shared.services.scenarios import run_scenario
from shared.services.seeding import seed_reference_data
from tests.fakes import InMemoryRiskStore

AS_OF = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
PAIRS = [Pair("DE", "cobalt"), Pair("JP", "dysprosium"), Pair("US", "gallium"), Pair("FR", "lithium")]


@cache
def seed() -> SeedData:
    return read_seed()


def _store() -> InMemoryRiskStore:
    store = InMemoryRiskStore()
    seed_reference_data(store, seed())
    store.save_scores(list(score_pairs_live(store, PAIRS, AS_OF).values()), history_expires_at=0)
    items: list[dict[str, Any]] = [
        {"material": "cobalt", "importer": "DE", "annual_spend": 7.0, "sourcing": [{"country": "CD", "share": 0.7}]},
        {"material": "dysprosium", "importer": "JP", "annual_spend": 5.0, "supplier_country": "CN"},
        {"material": "gallium", "importer": "US", "annual_spend": 3.0, "sourcing": [{"country": "JP", "share": 0.5}]},
        {"material": "lithium", "importer": "FR", "annual_spend": 2.0},
    ]
    portfolios.upsert_portfolio(store, "team-a", "p1", {"name": "plant", "items": items}, None, AS_OF)
    return store


def _clear_caches() -> None:
    for name in dir(scoring):
        if isinstance(found := getattr(scoring, name), scoring._IdentityCache):
            found._entries.clear()


def _cobalt_inputs(store: InMemoryRiskStore) -> ScoringInputs:
    context = ScoringContext.load(store)
    material = store.materials["cobalt"]
    return ScoringInputs(
        importer="DE",
        material=material,
        dependency=store.dependencies.get(("cobalt", "DE")),
        governance=context.governance,
        signals=[s for s in context.signals if s.touches_material(material.id, material.groups)],
        as_of=AS_OF.date(),
    )


COBALT_LINE = CompanySourcing({Stage.PROCESSING: (("CD", 0.7), ("FI", 0.2))}, Stage.PROCESSING)


def test_a_cached_company_score_is_the_computed_one_with_this_requests_time() -> None:
    _clear_caches()
    store = _store()
    first = company_score(_cobalt_inputs(store), COBALT_LINE, AS_OF)
    later = AS_OF + timedelta(minutes=5)
    # new objects with equal values (a re-read), another time: served from the cache
    served = company_score(_cobalt_inputs(store), COBALT_LINE, later)
    fresh = compute_company_score(_cobalt_inputs(store), COBALT_LINE, later)
    assert served.score.model_dump_json() == fresh.score.model_dump_json()
    assert (served.score.inputs_hash, served.score.score) == (first.score.inputs_hash, first.score.score)
    assert served.score.computed_at == later
    assert (served.driver_basis, served.import_share, served.unknown_share) == (
        fresh.driver_basis,
        fresh.import_share,
        fresh.unknown_share,
    )


def test_an_equal_instant_in_another_zone_keeps_its_own_computed_at() -> None:
    _clear_caches()
    store = _store()
    company_score(_cobalt_inputs(store), COBALT_LINE, AS_OF)
    shifted = AS_OF.astimezone(timezone(timedelta(hours=2)))
    assert shifted == AS_OF  # equal instants, printed differently
    served = company_score(_cobalt_inputs(store), COBALT_LINE, shifted)
    fresh = compute_company_score(_cobalt_inputs(store), COBALT_LINE, shifted)
    assert served.score.model_dump_json() == fresh.score.model_dump_json()


def test_every_changed_input_misses_the_company_score_cache() -> None:
    _clear_caches()
    store = _store()
    inputs = _cobalt_inputs(store)
    base = company_score(inputs, COBALT_LINE, AS_OF).score.inputs_hash
    assert inputs.dependency is not None
    gov = dict(inputs.governance)
    gov["CD"] = gov["CD"].model_copy(update={"governance_risk": gov["CD"].governance_risk - 1.0})
    fields = {name: getattr(inputs, name) for name in ScoringInputs.__slots__}
    changed = [
        {**fields, "governance": gov},
        {**fields, "dependency": inputs.dependency.model_copy(update={"import_reliance": 0.5})},
        {**fields, "material": inputs.material.model_copy(update={"substitution_index": 0.5})},
        {**fields, "signals": [inputs.signals[0].model_copy(update={"severity": 0.05}), *inputs.signals[1:]]},
        {**fields, "as_of": AS_OF.date() + timedelta(days=1)},
    ]
    hashes = {base}
    for variant in changed:
        served = company_score(ScoringInputs(**variant), COBALT_LINE, AS_OF)
        fresh = compute_company_score(ScoringInputs(**variant), COBALT_LINE, AS_OF)
        assert served.score.model_dump_json() == fresh.score.model_dump_json()
        hashes.add(served.score.inputs_hash)
    other_mix = CompanySourcing({Stage.PROCESSING: (("CD", 0.6), ("FI", 0.3))}, Stage.PROCESSING)
    hashes.add(company_score(inputs, other_mix, AS_OF).score.inputs_hash)
    assert len(hashes) == 7


CHANGES: list[list[ScenarioChange]] = [
    [],
    [
        AddSignalChange.model_validate(
            {
                "type": "add_signal",
                "signal": {
                    "id": "what-if-cn",
                    "issuer": "CN",
                    "measure": "export_ban",
                    "materials": ["gallium", "rare_earths"],
                    "targets": ["ALL"],
                    "severity": 0.8,
                    "announced": "2026-01-01",
                    "status": "in_force",
                    "source": "what-if",
                },
            }
        )
    ],
    [SetSupplyShareChange(type="set_supply_share", material="cobalt", stage=Stage.PROCESSING, country="FI", share=0.5)],
]


def test_a_scenario_gives_the_scores_of_scoring_each_side_from_the_store_with_fewer_reads() -> None:
    for changes in CHANGES:
        _clear_caches()
        store = _store()
        store.calls.clear()
        result = run_scenario(store, "team-a", changes, None, "p1", AS_OF)
        reads = list(store.calls)
        # the reference: each side scored from the store on its own, as before decision 84
        base = score_pairs_live(store, PAIRS, AS_OF)
        what_if = score_pairs_live(store, PAIRS, AS_OF, changes)
        assert {Pair(b.importer, b.material): (b, w) for b, w in result.pairs} == {
            p: (base[p], what_if[p]) for p in PAIRS
        }
        portfolio = portfolios.get_portfolio(store, "team-a", "p1")
        catalogue = {m.id: m for m in store.list_materials()}
        lines = expand_items(portfolio.items, catalogue)
        _clear_caches()  # the company scores from scratch
        company_base = portfolios.company_line_scores(store, portfolio, lines, catalogue, AS_OF)
        company_what_if = portfolios.company_line_scores(store, portfolio, lines, catalogue, AS_OF, changes)
        assert [(line, b.score.model_dump_json(), w.score.model_dump_json()) for line, b, w in result.company] == [
            (line, company_base[line].score.model_dump_json(), company_what_if[line].score.model_dump_json())
            for line, _, _ in result.company
        ]
        assert len(result.company) == 3
        # one read of each input for both sides: no per-material Query, one BatchGetItem of the dependencies
        assert reads.count("get_dependencies") == 1
        assert reads.count("list_dependencies") == 0
        assert reads.count("list_governance") == reads.count("list_signals") == 1


def test_a_pair_no_change_touches_keeps_its_baseline_score_object() -> None:
    _clear_caches()
    store = _store()
    result = run_scenario(store, "team-a", CHANGES[1], None, "p1", AS_OF)  # a ban on gallium and rare earths
    by_material = {b.material: (b, w) for b, w in result.pairs}
    assert by_material["cobalt"][1] is by_material["cobalt"][0]  # untouched: not scored twice
    assert by_material["gallium"][1].score > by_material["gallium"][0].score  # touched: scored with the ban
