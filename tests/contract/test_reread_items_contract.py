"""Re-read items (decision 84): the DynamoDB adapter keeps the object parsed from an unchanged `doc`, so a warm
function's scoring caches hit; on every backend a changed item reads back with its new values, never the cached
ones, and the reads that project the doc only still give whole models."""

from __future__ import annotations

import pytest

from shared.adapters.dynamodb.parsed import ParsedDocs
from shared.domain.models import CountryGovernance, PolicySignal
from shared.ports import Pair, RiskStore
from tests.contract.test_store_contract import dependency, material, score, seed
from tests.fakes import InMemoryRiskStore


def _seed_some(store: RiskStore) -> None:
    store.save_reference_items(
        [material(), material("cobalt"), dependency(), dependency("DE", "cobalt"), *seed().governance[:3]]
    )
    store.save_reference_items(list(seed().signals[:2]))
    store.save_scores([score("JP", "dysprosium", 80.0)], history_expires_at=0)


def test_a_changed_item_reads_back_changed_and_an_unchanged_one_as_the_same_object(store: RiskStore) -> None:
    _seed_some(store)
    pairs = [Pair("JP", "dysprosium"), Pair("DE", "cobalt")]
    first = store.get_dependencies(pairs)
    first_scores = store.get_scores([Pair("JP", "dysprosium")])
    first_materials = store.list_materials()
    if not isinstance(store, InMemoryRiskStore):  # the fake hands back its stored objects anyway
        again = store.get_dependencies(pairs)
        assert all(again[p] is first[p] for p in pairs)
        assert (
            store.get_scores([Pair("JP", "dysprosium")])[Pair("JP", "dysprosium")]
            is first_scores[Pair("JP", "dysprosium")]
        )
        assert [m is n for m, n in zip(store.list_materials(), first_materials, strict=True)] == [True, True]
    old = first[Pair("DE", "cobalt")]
    store.put_reference_item(old.model_copy(update={"import_reliance": 0.25, "version": 2}), old.version)
    store.save_scores(
        [score("JP", "dysprosium", 81.0, at=first_scores[Pair("JP", "dysprosium")].computed_at.replace(hour=3))], 0
    )
    changed = store.get_dependencies(pairs)
    assert changed[Pair("DE", "cobalt")].import_reliance == 0.25
    assert changed[Pair("DE", "cobalt")].version == 2
    assert changed[Pair("JP", "dysprosium")] == first[Pair("JP", "dysprosium")]
    assert store.get_scores([Pair("JP", "dysprosium")])[Pair("JP", "dysprosium")].score == 81.0


def test_doc_only_reads_give_whole_models(store: RiskStore) -> None:
    _seed_some(store)
    assert store.list_materials() == sorted([material(), material("cobalt")], key=lambda m: m.id)
    assert store.get_materials(["cobalt"]) == [material("cobalt")]
    assert store.list_dependencies("cobalt") == [dependency("DE", "cobalt")]
    governance = store.list_governance()
    assert governance == {g.country: g for g in seed().governance[:3]}
    assert all(isinstance(g, CountryGovernance) for g in governance.values())
    signals = store.list_signals()
    assert sorted(s.id for s in signals) == sorted(s.id for s in seed().signals[:2])
    assert all(isinstance(s, PolicySignal) for s in signals)


def test_the_parsed_documents_are_bounded_by_their_characters_oldest_out() -> None:
    docs = [m.model_dump_json() for m in sorted(seed().materials, key=lambda m: len(m.model_dump_json()))[:4]]
    cache = ParsedDocs(max_chars=sum(len(doc) for doc in docs[:3]))  # three fit, not four
    parsed = [cache.parse(type(material()), doc) for doc in docs[:3]]
    assert cache.parse(type(material()), docs[0]) is parsed[0]  # a hit, and now the most recent
    cache.parse(type(material()), docs[3])
    assert len(cache) <= 3
    assert cache.parse(type(material()), docs[0]) is parsed[0]
    assert cache.parse(type(material()), docs[1]) is not parsed[1]  # the least recently used went


def test_parsed_documents_of_different_models_never_mix() -> None:
    cache = ParsedDocs()
    doc = seed().governance[0].model_dump_json()
    assert isinstance(cache.parse(CountryGovernance, doc), CountryGovernance)
    with pytest.raises(ValueError):
        cache.parse(PolicySignal, doc)  # keyed by (model, doc): validated as a signal, and rejected
