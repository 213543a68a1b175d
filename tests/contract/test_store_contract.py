"""One contract for every store backend (tests/contract/conftest.py: the in-memory fake, the DynamoDB adapter on
moto and on DynamoDB Local): what the services rely on, conditional rules included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache

import pytest

from shared.adapters.seed_files import read_seed
from shared.domain.errors import InvalidInputError, VersionConflictError
from shared.domain.models import Band, ImporterDependency, MaterialProfile, RiskScore
from shared.domain.portfolio import Portfolio
from shared.domain.scoring import band_for
from shared.domain.seed import SeedData
from shared.ports import HistoryQuery, Pair, RankedBy, RankQuery, RescoreRun, RiskStore
from shared.services.rescoring import ScoringContext, score_material

T0 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


@cache
def seed() -> SeedData:
    return read_seed()


def material(material_id: str = "dysprosium") -> MaterialProfile:
    return next(m for m in seed().materials if m.id == material_id)


def dependency(importer: str = "JP", material_id: str = "dysprosium") -> ImporterDependency:
    return next(d for d in seed().dependencies if d.importer == importer and d.material == material_id)


@cache
def _base_score() -> RiskScore:
    context = ScoringContext(governance={g.country: g for g in seed().governance}, signals=list(seed().signals))
    return score_material(context, material(), [dependency()], ["JP"], T0)[0]


def score(importer: str, material_id: str, value: float, at: datetime = T0, groups: tuple[str, ...] = ()) -> RiskScore:
    return _base_score().model_copy(
        update={
            "importer": importer,
            "material": material_id,
            "score": value,
            "band": band_for(value),
            "computed_at": at,
            "groups": groups,
        }
    )


def portfolio(tenant: str, portfolio_id: str, version: int = 1, name: str = "plant") -> Portfolio:
    return Portfolio.parse(
        {
            "tenant": tenant,
            "id": portfolio_id,
            "name": name,
            "currency": "JPY",
            "version": version,
            "updated_at": T0,
            "items": [{"material": "dysprosium", "importer": "JP", "annual_spend": 100, "part": "magnets"}],
        }
    )


# ------------------------------------------------------------------------------ reference data


def test_reference_put_get_and_version_conflicts(store: RiskStore) -> None:
    first = material()
    store.put_reference_item(first, None)
    assert store.get_material(first.id) == first
    with pytest.raises(VersionConflictError):
        store.put_reference_item(first, None)  # "create" of an item that exists
    second = first.model_copy(update={"version": first.version + 1, "name": "changed"})
    store.put_reference_item(second, first.version)
    with pytest.raises(VersionConflictError):
        store.put_reference_item(second.model_copy(update={"name": "stale"}), first.version)
    with pytest.raises(VersionConflictError):
        store.put_reference_item(material("terbium"), 3)  # an update of an item that does not exist
    assert store.get_material(first.id) == second  # the refused writes changed nothing
    assert store.get_material("terbium") is None
    assert [m.id for m in store.list_materials()] == [first.id]


def test_reference_bulk_save_and_reads(store: RiskStore) -> None:
    materials = [material("terbium"), material("dysprosium")]
    governance = seed().governance[:3]
    signals = seed().signals[:2]
    store.save_reference_items([*materials, *governance, *signals], load_id="20261128T020000abcdef12")
    assert [m.id for m in store.get_materials(["terbium", "no_such_material", "dysprosium", "terbium"])] == [
        "dysprosium",
        "terbium",
    ]
    assert store.list_governance() == {g.country: g for g in governance}
    assert store.get_governance(governance[0].country) == governance[0]
    assert sorted(s.id for s in store.list_signals()) == sorted(s.id for s in signals)
    assert store.get_signal(signals[0].id) == signals[0]
    assert store.get_signal("NO-SUCH-SIGNAL") is None


def test_dependency_put_adds_to_the_importer_index(store: RiskStore) -> None:
    jp, kr = dependency("JP"), dependency("KR")
    store.put_reference_item(jp, None)
    store.put_reference_item(kr, None)
    assert store.get_dependency("JP", "dysprosium") == jp
    assert sorted(d.importer for d in store.list_dependencies("dysprosium")) == ["JP", "KR"]
    assert store.list_dependencies("terbium") == []
    index = store.list_importer_index()
    assert index["JP"] == frozenset({"dysprosium"}) and index["KR"] == frozenset({"dysprosium"})
    with pytest.raises(VersionConflictError):
        store.put_reference_item(dependency("JP", "terbium"), 7)  # refused: the index is not touched either
    assert store.list_importer_index()["JP"] == frozenset({"dysprosium"})
    with pytest.raises(VersionConflictError):
        store.put_reference_item(jp, None)


def test_dependencies_of_pairs_in_one_batch_read(store: RiskStore) -> None:
    jp, kr = dependency("JP"), dependency("KR")
    store.save_reference_items([jp, kr])
    pairs = [Pair("JP", "dysprosium"), Pair("KR", "dysprosium"), Pair("JP", "dysprosium"), Pair("US", "terbium")]
    assert store.get_dependencies(pairs) == {Pair("JP", "dysprosium"): jp, Pair("KR", "dysprosium"): kr}
    assert store.get_dependencies([]) == {}


def test_importer_index_additions_are_a_union(store: RiskStore) -> None:
    store.add_importer_materials({"JP": ["dysprosium", "terbium"], "US": [], "DE": {"cobalt"}})
    store.add_importer_materials({"JP": ["terbium", "gallium"]})
    index = store.list_importer_index()
    assert index == {"DE": frozenset({"cobalt"}), "JP": frozenset({"dysprosium", "gallium", "terbium"})}


# ------------------------------------------------------------------------------ scores, rankings, history


@pytest.mark.parametrize("writer", ["save_scores", "save_scores_if_newer"])
def test_score_writes_never_replace_a_later_score(store: RiskStore, writer: str) -> None:
    write = getattr(store, writer)
    later, earlier = score("JP", "dysprosium", 80.0, T0 + timedelta(hours=1)), score("JP", "dysprosium", 20.0)
    assert write([later], 1) == [later]
    assert write([earlier], 1) == []  # a late chunk: its history row only
    assert store.get_score("JP", "dysprosium") == later
    same_time = score("JP", "dysprosium", 81.0, T0 + timedelta(hours=1))
    assert write([same_time, score("KR", "dysprosium", 10.0)], 1) == [same_time, score("KR", "dysprosium", 10.0)]
    assert store.get_scores([Pair("JP", "dysprosium"), Pair("US", "dysprosium"), Pair("KR", "dysprosium")]) == {
        Pair("JP", "dysprosium"): same_time,
        Pair("KR", "dysprosium"): score("KR", "dysprosium", 10.0),
    }
    history = store.score_history(HistoryQuery("JP", "dysprosium"))
    assert [(p.at, p.score) for p in history.items] == [(T0, 20.0), (T0 + timedelta(hours=1), 81.0)]


def test_score_times_are_the_stored_scores_computed_at(store: RiskStore) -> None:
    later = score("JP", "dysprosium", 80.0, T0 + timedelta(hours=1))
    store.save_scores([later, score("KR", "dysprosium", 10.0)], 1)
    pairs = [Pair("JP", "dysprosium"), Pair("US", "dysprosium"), Pair("KR", "dysprosium"), Pair("JP", "dysprosium")]
    assert store.get_score_times(pairs) == {
        Pair("JP", "dysprosium"): T0 + timedelta(hours=1),
        Pair("KR", "dysprosium"): T0,
    }
    assert store.get_score_times([]) == {}


def _all_pages(store: RiskStore, query: RankQuery) -> list[RiskScore]:
    found: list[RiskScore] = []
    cursor = None
    for _ in range(20):
        page = store.rank_scores(RankQuery(query.by, query.key, query.band, query.min_score, query.group, 2, cursor))
        assert len(page.items) <= 2
        found += page.items
        cursor = page.next_cursor
        if cursor is None:
            return found
    raise AssertionError("paging did not end")


def test_rankings_page_highest_first_with_filters(store: RiskStore) -> None:
    values = {"cobalt": 12.5, "dysprosium": 91.7, "gallium": 55.0, "terbium": 77.25, "nickel": 30.0}
    store.save_scores([score("JP", m, v, groups=("hree",) if m != "nickel" else ()) for m, v in values.items()], 1)
    store.save_scores([score("KR", "dysprosium", 40.0), score("US", "dysprosium", 95.0)], 1)
    by_importer = _all_pages(store, RankQuery(RankedBy.IMPORTER, "JP"))
    assert [s.material for s in by_importer] == ["dysprosium", "terbium", "gallium", "nickel", "cobalt"]
    critical = _all_pages(store, RankQuery(RankedBy.IMPORTER, "JP", band=Band.CRITICAL))
    assert [s.material for s in critical] == ["dysprosium", "terbium"]
    above = _all_pages(store, RankQuery(RankedBy.IMPORTER, "JP", min_score=30.0, group="hree"))
    assert [s.material for s in above] == ["dysprosium", "terbium", "gallium"]
    assert _all_pages(store, RankQuery(RankedBy.IMPORTER, "JP", band=Band.LOW, min_score=50.0)) == []
    by_material = _all_pages(store, RankQuery(RankedBy.MATERIAL, "dysprosium"))
    assert [s.importer for s in by_material] == ["US", "JP", "KR"]


def test_ranking_cursor_is_bound_to_its_query(store: RiskStore) -> None:
    store.save_scores([score("JP", m, v) for m, v in {"cobalt": 10.0, "gallium": 20.0, "terbium": 30.0}.items()], 1)
    page = store.rank_scores(RankQuery(RankedBy.IMPORTER, "JP", limit=1))
    assert page.next_cursor is not None
    with pytest.raises(InvalidInputError):
        store.rank_scores(RankQuery(RankedBy.IMPORTER, "KR", limit=1, cursor=page.next_cursor))
    with pytest.raises(InvalidInputError):
        store.rank_scores(RankQuery(RankedBy.IMPORTER, "JP", band=Band.LOW, limit=1, cursor=page.next_cursor))
    with pytest.raises(InvalidInputError):
        store.rank_scores(RankQuery(RankedBy.IMPORTER, "JP", limit=1, cursor="not-a-cursor"))


def test_history_pages_oldest_first_between_instants(store: RiskStore) -> None:
    times = [T0 + timedelta(days=d) for d in range(5)]
    for i, at in enumerate(times):
        store.save_scores([score("JP", "dysprosium", 10.0 + i, at)], 1)
    seen = []
    cursor = None
    for _ in range(10):
        page = store.score_history(HistoryQuery("JP", "dysprosium", limit=2, cursor=cursor))
        seen += [p.at for p in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == times
    window = store.score_history(HistoryQuery("JP", "dysprosium", start=times[1], end=times[3]))
    assert [(p.at, p.score, p.band) for p in window.items] == [(t, 10.0 + i, Band.LOW) for i, t in enumerate(times)][
        1:4
    ]
    assert store.score_history(HistoryQuery("KR", "dysprosium")).items == []
    first = store.score_history(HistoryQuery("JP", "dysprosium", limit=1))
    assert first.next_cursor is not None
    with pytest.raises(InvalidInputError):
        store.score_history(HistoryQuery("JP", "dysprosium", start=times[2], limit=1, cursor=first.next_cursor))


# ------------------------------------------------------------------------------ rescoring runs


def _run(run_id: str = "nightly-20261128T0200", chunks: int = 2) -> RescoreRun:
    return RescoreRun(
        run_id=run_id,
        as_of=T0,
        chunks_total=chunks,
        chunks_done=0,
        chunks_failed=0,
        pairs_scored=0,
        created_at=T0,
        request_digest="d" * 64,
    )


def test_run_create_is_idempotent_and_chunks_count_exactly_once(store: RiskStore) -> None:
    created, is_new = store.create_run(_run())
    assert is_new and created == _run() and created.status == "running"
    assert store.record_chunk_done(created.run_id, 0, 40)
    assert not store.record_chunk_done(created.run_id, 0, 40)  # a redelivered chunk
    again, is_new = store.create_run(_run(chunks=9))  # a re-planned night: the stored run, unchanged
    assert not is_new and (again.chunks_total, again.chunks_done, again.pairs_scored) == (2, 1, 40)
    assert store.record_chunk_failed(created.run_id, 1, "Boom: " + "x" * 2000)
    assert not store.record_chunk_failed(created.run_id, 1, "Boom")
    final = store.get_run(created.run_id)
    assert final is not None
    assert (final.chunks_done, final.chunks_failed, final.pairs_scored) == (1, 1, 40)
    assert final.status == "completed_with_failures"
    assert store.get_run("nightly-unknown") is None
    assert not store.record_chunk_done("nightly-unknown", 0, 1)  # no run: nothing counted


def test_run_completes_when_every_chunk_is_done(store: RiskStore) -> None:
    run, _ = store.create_run(_run("manual-abc", chunks=2))
    store.record_chunk_done(run.run_id, 0, 5)
    store.record_chunk_done(run.run_id, 1, 6)
    done = store.get_run(run.run_id)
    assert done is not None and done.status == "completed" and done.pairs_scored == 11


# ------------------------------------------------------------------------------ portfolios


def test_portfolio_crud_with_versions(store: RiskStore) -> None:
    store.put_portfolio(portfolio("team-a", "aichi"), None)
    assert store.get_portfolio("team-a", "aichi") == portfolio("team-a", "aichi")
    assert store.get_portfolio("team-b", "aichi") is None  # another tenant never sees it
    with pytest.raises(VersionConflictError):
        store.put_portfolio(portfolio("team-a", "aichi", name="again"), None)
    store.put_portfolio(portfolio("team-a", "aichi", version=2, name="renamed"), 1)
    with pytest.raises(VersionConflictError):
        store.put_portfolio(portfolio("team-a", "aichi", version=2, name="stale"), 1)
    stored = store.get_portfolio("team-a", "aichi")
    assert stored is not None and (stored.version, stored.name) == (2, "renamed")
    with pytest.raises(VersionConflictError):
        store.delete_portfolio("team-a", "aichi", 1)
    assert store.delete_portfolio("team-a", "aichi", 2)
    assert store.get_portfolio("team-a", "aichi") is None
    assert not store.delete_portfolio("team-a", "aichi", None)
    with pytest.raises(VersionConflictError):
        store.delete_portfolio("team-a", "aichi", 2)


def test_portfolio_listing_pages_per_tenant(store: RiskStore) -> None:
    ids = ["a1", "b2", "c3", "d4", "e5"]
    for portfolio_id in ids:
        store.put_portfolio(portfolio("team-a", portfolio_id), None)
    store.put_portfolio(portfolio("team-b", "zz"), None)
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = store.list_portfolios("team-a", 2, cursor)
        seen += [p.id for p in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == ids
    first = store.list_portfolios("team-a", 2, None)
    assert (first.items[0].item_count, first.items[0].version, first.items[0].currency) == (1, 1, "JPY")
    assert [p.id for p in store.list_portfolios("team-b", 10, None).items] == ["zz"]
    with pytest.raises(InvalidInputError):
        store.list_portfolios("team-b", 2, first.next_cursor)  # team-a's cursor
