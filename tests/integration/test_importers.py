"""Importer index, default scored set, GET /v1/importers and GET /v1/importers/{importer}/dependencies/{material}
and bulk loads (issue 11), on moto with the real handlers."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local.pollers import matches_filter
from shared.adapters.dynamodb_repository import DynamoRiskRepository
from shared.adapters.seed_files import SEED_DIR
from shared.domain.countries import ISO_3166_ALPHA2
from shared.domain.errors import VersionConflictError
from shared.services import admin
from shared.services.seeding import SeedData, load_vintage, seed_reference_data
from tests.conftest import TEST_SCORED_CODES
from tests.integration import flows as flows_module
from tests.integration.flows import Flow, FlowFactory, seed
from tests.support import READ, api_event, call
from tooling.sam_template import dynamodb_event_sources, load_template

flows = flows_module.flows

STREAM_FILTERS = next(
    s.filter_patterns
    for s in dynamodb_event_sources(load_template())
    if s.function_logical_id == "StreamRescoreFunction"
)


def read(read_api: Any, path: str, query: dict[str, str] | None = None) -> Any:
    return call(read_api, api_event("GET", path, query, scopes=(READ,)))


def committed_default_importers() -> list[str]:
    """The default set the seed builder computed (data/seed/dependencies.json)."""
    codes: list[str] = json.loads((SEED_DIR / "dependencies.json").read_text(encoding="utf-8"))["default_importers"]
    return codes


def dependency_body(seed_data: SeedData, importer: str, material: str, **changes: Any) -> dict[str, Any]:
    item = next(d for d in seed_data.dependencies if (d.importer, d.material) == (importer, material))
    body: dict[str, Any] = item.model_dump(mode="json", include={"import_reliance", "sourcing", "source"})
    body.update(changes)
    return body


# ----------------------------------------------------------------------------------------- the index and the rule


# the index as seeding writes it and the default-set rule: tests/unit/test_services_on_fakes.py


# ----------------------------------------------------------------------------------------- GET /v1/importers


def test_importers_are_the_scored_set_sorted_by_code_with_their_coverage(read_api: Any, seed_data: SeedData) -> None:
    catalogue = len(seed_data.materials)
    own = Counter(d.importer for d in seed_data.dependencies)
    codes: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        result = read(read_api, "/v1/importers", {"limit": "7", **({"cursor": cursor} if cursor else {})})
        assert result.status == 200, result.body
        pages += 1
        for item in result.body["items"]:
            assert item["materials_with_data_count"] == own[item["code"]] == len(item["materials_with_data"])
            assert item["materials_on_fallback"] == catalogue - own[item["code"]]
            assert item["in_default_set"] is (item["code"] in committed_default_importers())
        codes.extend(item["code"] for item in result.body["items"])
        cursor = result.body["next_cursor"]
        if cursor is None:
            break
    assert codes == list(TEST_SCORED_CODES)  # SCORED_IMPORTERS (tests/conftest.py), in code order, no repeats
    assert pages == -(-len(TEST_SCORED_CODES) // 7)
    kr = next(i for i in read(read_api, "/v1/importers", {"limit": "200"}).body["items"] if i["code"] == "KR")
    assert kr["name"] == "South Korea" or "Korea" in kr["name"]
    assert "cobalt" in kr["materials_with_data"]


def test_without_scored_importers_the_list_is_the_default_set(
    read_api: Any, monkeypatch: pytest.MonkeyPatch, seeded_table: str
) -> None:
    monkeypatch.delenv("SCORED_IMPORTERS")
    from shared.adapters.factory import clear_adapter_caches

    clear_adapter_caches()
    result = read(read_api, "/v1/importers", {"limit": "200"})
    assert result.status == 200, result.body
    assert [i["code"] for i in result.body["items"]] == sorted(committed_default_importers())
    assert all(i["in_default_set"] for i in result.body["items"])


@pytest.mark.parametrize("cursor", ["not-a-cursor", "eyJwIjoiUkFOSyNJTVBPUlRFUiNKUCIsImsiOnt9fQ"])
def test_a_cursor_from_elsewhere_is_a_422(read_api: Any, cursor: str) -> None:
    result = read(read_api, "/v1/importers", {"cursor": cursor})
    assert result.status == 422, result.body
    assert result.body["error"] == "validation_error" or result.body["details"][0]["field"] == "cursor"


# ----------------------------------------------------------------------------------------- one dependency


def test_a_dependency_with_its_suppliers_and_trade_data(read_api: Any, seed_data: SeedData) -> None:
    stored = next(d for d in seed_data.dependencies if (d.importer, d.material) == ("KR", "cobalt"))
    result = read(read_api, "/v1/importers/kr/dependencies/Cobalt")
    assert result.status == 200, result.body
    body = result.body
    assert (body["importer"], body["material"], body["method"]) == ("KR", "cobalt", stored.method)
    assert body["import_reliance"] == stored.import_reliance and body["source"] == stored.source
    for stage, shares in stored.sourcing.items():
        line = body["stages"][stage.value]
        ordered = sorted(shares, key=lambda s: (-s.share, s.country))
        assert [p["country"] for p in line["partners"]] == [s.country for s in ordered[:10]]
        assert line["other_share"] == pytest.approx(sum(s.share for s in ordered[10:]), abs=1e-6)
        trade = stored.trade.get(stage)
        if trade is None:
            continue
        direct = {p.country: p for p in trade.partners}
        for partner in line["partners"]:
            known = direct.get(partner["country"])
            assert partner["tonnes"] == (known.tonnes if known else None)
            assert partner["usd"] == (known.usd if known else None)
        assert line["trade"]["hs_codes"] == list(trade.hs_codes) and line["trade"]["years"] == list(trade.years)
        assert line["trade"]["production_note"] == trade.production_note
        assert line["trade"]["hubs_looked_through"] == list(trade.hubs_looked_through)
    assert any(p["tonnes"] for line in body["stages"].values() for p in line["partners"])


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/v1/importers/XX/dependencies/cobalt", 404, "unknown importer"),
        ("/v1/importers/KR/dependencies/unobtainium", 404, "unknown material"),
        ("/v1/importers/K1/dependencies/cobalt", 422, ""),
    ],
)
def test_unknown_economy_or_material(read_api: Any, path: str, status: int, says: str) -> None:
    result = read(read_api, path)
    assert result.status == status, result.body
    assert says in result.body["message"]


def test_a_known_economy_without_own_data_is_a_404_that_names_the_fallback(
    read_api: Any, seeded_repo: DynamoRiskRepository, seed_data: SeedData
) -> None:
    index = seeded_repo.list_importer_index()
    material = next(m.id for m in seed_data.materials if m.id not in index["PH"])
    result = read(read_api, f"/v1/importers/PH/dependencies/{material}")
    assert result.status == 404, result.body
    assert "fallback" in result.body["message"] and result.body["error"] == "not_found"


# ----------------------------------------------------------------------------------------- admin PUT and the index


MATERIALS = ("cobalt", "lithium", "nickel", "terbium")


@pytest.fixture
def flow(flows: FlowFactory) -> Flow:
    return flows.new(seed(materials=MATERIALS))


def test_the_dependency_put_adds_to_the_index_in_the_same_transaction(flow: Flow) -> None:
    data = seed(materials=MATERIALS)
    new = economy_without_data(flow)
    assert "terbium" not in flow.repo.list_importer_index().get(new, frozenset())
    body = dependency_body(data, "KR", "cobalt")
    created = flow.admin("PUT", f"/v1/importers/{new.lower()}/dependencies/terbium", body)
    assert created.status == 201, created.body
    assert "terbium" in flow.repo.list_importer_index()[new]
    again = flow.admin("PUT", f"/v1/importers/{new}/dependencies/terbium", {**body, "version": 1})
    assert again.status == 200 and again.body["version"] == 1  # same body: nothing written
    stale = flow.admin("PUT", f"/v1/importers/{new}/dependencies/lithium", {**body, "version": 3})
    assert stale.status == 409, stale.body
    conflict = flow.admin("PUT", f"/v1/importers/{new}/dependencies/terbium", body)  # create, but it exists
    assert conflict.status == 409, conflict.body
    stored = flow.repo.get_dependency(new, "terbium")
    assert stored is not None
    # the races the service's read cannot see: the transaction's condition refuses them, the index ADD with them
    with pytest.raises(VersionConflictError, match="stored version is none"):
        flow.repo.put_reference_item(stored.model_copy(update={"material": "lithium", "version": 2}), 1)
    with pytest.raises(VersionConflictError, match="stored version is 1"):
        flow.repo.put_reference_item(stored.model_copy(update={"version": 1}), None)
    assert "lithium" not in flow.repo.list_importer_index()[new]  # a refused write adds nothing
    assert flow.repo.get_dependency(new, "lithium") is None


def economy_without_data(flow: Flow) -> str:
    index = flow.repo.list_importer_index()
    return next(code for code in sorted(ISO_3166_ALPHA2) if code not in index)


class InterleavingRepository(DynamoRiskRepository):
    """Runs `between` (another writer) just before each index update of the seeding."""

    def __init__(self, base: DynamoRiskRepository, between: Any) -> None:
        super().__init__(base.table_name, base.client)
        self.between = between

    def add_importer_materials(self, additions: Any) -> None:
        between, self.between = self.between, None
        if between is not None:
            between()
        super().add_importer_materials(additions)


def test_seeding_and_an_admin_put_interleaved_lose_no_material(flow: Flow) -> None:
    """The seeding writes a new economy's items, then (before its index ADD) an admin PUT creates its terbium with
    its own ADD; then the seeding's ADD lands. With ADD on a set both orders give the union; a read-modify-write of
    the set (or a PUT of the whole index item) would lose the admin's material here."""
    data = seed(materials=MATERIALS)
    new = economy_without_data(flow)
    items = [d.model_copy(update={"importer": new}) for d in data.dependencies if d.importer == "KR"]
    items = [d for d in items if d.material not in {"terbium", "lithium"}]
    assert items
    body = dependency_body(data, "KR", "cobalt")

    def admin_put() -> None:
        admin.upsert_dependency(flow.repo, new, "terbium", body, None)

    seeding = InterleavingRepository(flow.repo, admin_put)
    seed_reference_data(seeding, SeedData(dependencies=items), batch_items=2)
    index = flow.repo.list_importer_index()[new]
    assert index == {d.material for d in items} | {"terbium"}
    assert flow.repo.get_dependency(new, "terbium") is not None

    # and the other way round: the admin PUT between two of the seeding's batches
    later = InterleavingRepository(flow.repo, lambda: admin.upsert_dependency(flow.repo, new, "lithium", body, None))
    seed_reference_data(later, SeedData(dependencies=items), batch_items=1)
    assert flow.repo.list_importer_index()[new] == index | {"lithium"}


# ----------------------------------------------------------------------------------------- bulk loads


def delivered(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records the template's FilterCriteria lets through to StreamRescoreFunction."""
    return [r for r in records if any(matches_filter(p, r) for p in STREAM_FILTERS)]


def test_a_bulk_load_sets_off_no_stream_rescoring_and_one_run_then_an_admin_put_still_does(flow: Flow) -> None:
    data = seed(materials=MATERIALS)
    reloaded = SeedData(dependencies=[d.model_copy(update={"version": d.version + 1}) for d in data.dependencies])
    now = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    flow.activate()
    from shared.adapters.factory import get_chunk_queue

    loaded = load_vintage(flow.repo, get_chunk_queue(), reloaded, "vintage2027", now, ("JP", "EU"), 100)

    records = flow.poll_stream()
    dependency_records = [r for r in records if r["dynamodb"]["Keys"]["pk"]["S"].startswith("DEPENDENCY#")]
    assert len(dependency_records) == len(reloaded.dependencies) > 0  # the load did write every item
    assert delivered(records) == []  # and none of them (nor the index) reaches the stream function
    assert loaded.run.run_id == "load-vintage2027" and loaded.run.chunks_total >= 1
    assert flow.queue_depth() == loaded.run.chunks_total
    assert not any(flow.work())
    run = flow.run("load-vintage2027")
    assert run["status"] == "completed" and run["pairs_scored"] == 2 * len(MATERIALS)
    assert flow.repo.get_score("JP", "cobalt") is not None

    before = flow.repo.get_score("JP", "cobalt")
    body = {**dependency_body(data, "JP", "cobalt"), "import_reliance": 0.5, "version": 2}  # the load wrote v2
    put = flow.admin("PUT", "/v1/importers/JP/dependencies/cobalt", body)
    assert put.status == 200, put.body
    after = flow.poll_stream()
    wanted = delivered(after)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in wanted] == ["DEPENDENCY#cobalt"]  # the index is not
    flow.process_stream(wanted, at=now + timedelta(hours=1))
    score = flow.repo.get_score("JP", "cobalt")
    assert before is not None and score is not None
    assert score.inputs_hash != before.inputs_hash  # rescored from the stream with the new dependency


@pytest.mark.parametrize(
    ("pk", "image", "passes"),
    [
        ("DEPENDENCY#cobalt", {"doc": {"S": "{}"}}, True),
        ("DEPENDENCY#cobalt", {"doc": {"S": "{}"}, "load_id": {"S": "x1"}}, False),
        ("SIGNAL", {"doc": {"S": "{}"}, "load_id": {"S": "x1"}}, False),
        ("SIGNAL", None, True),  # a REMOVE has no new image
        ("IMPORTER", {"materials": {"SS": ["cobalt"]}}, False),
    ],
)
def test_the_stream_filter_drops_bulk_loads_and_the_index(pk: str, image: Any, passes: bool) -> None:
    record: dict[str, Any] = {"eventName": "MODIFY", "dynamodb": {"Keys": {"pk": {"S": pk}, "sk": {"S": "KR"}}}}
    if image is not None:
        record["dynamodb"]["NewImage"] = image
    assert bool(delivered([record])) is passes


def test_an_admin_put_keeps_the_trade_evidence_and_the_method(flow: Flow) -> None:
    """A trade-derived dependency PUT back by an admin (a corrected vintage) keeps its evidence, not 'published'."""
    data = seed(materials=MATERIALS)
    stored = next(d for d in data.dependencies if d.method == "bilateral_trade/1")
    body = stored.model_dump(mode="json", exclude={"importer", "material", "version"})
    new = economy_without_data(flow)
    put = flow.admin("PUT", f"/v1/importers/{new}/dependencies/{stored.material}", body)
    assert put.status == 201, put.body
    assert put.body["method"] == "bilateral_trade/1"
    again = flow.repo.get_dependency(new, stored.material)
    assert again is not None
    assert again.trade == stored.trade
    shown = flow.read(f"/v1/importers/{new}/dependencies/{stored.material}")
    assert shown.status == 200, shown.body
    stage = next(iter(stored.trade))
    assert shown.body["method"] == "bilateral_trade/1"
    assert shown.body["stages"][stage.value]["trade"]["hs_codes"] == list(stored.trade[stage].hs_codes)
    bad = flow.admin(
        "PUT", f"/v1/importers/{new}/dependencies/{stored.material}", {**body, "method": "Bilateral Trade"}
    )
    assert bad.status == 422
