"""Admin API on moto: optimistic locking on reference data, validation, unknown ids. A refused write leaves the
table (and so its stream) exactly as it was."""

from __future__ import annotations

from typing import Any

import pytest

from shared.adapters import factory
from shared.domain.models import MaterialProfile
from tests.integration import flows as flows_module
from tests.integration.flows import Flow, FlowFactory, seed

flows = flows_module.flows

MATERIALS = ("cobalt", "dysprosium", "lithium", "terbium")


@pytest.fixture
def flow(flows: FlowFactory) -> Flow:
    return flows.new(seed(materials=MATERIALS))


def material_body(material_id: str, **changes: Any) -> dict[str, Any]:
    profile = next(m for m in seed().materials if m.id == material_id)
    body: dict[str, Any] = profile.model_dump(mode="json", exclude={"id", "version"})
    body.update(changes)
    return body


def stored_item(flow: Flow, pk: str, sk: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = flow.factory.dynamodb.get_item(
        TableName=flow.table, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True
    ).get("Item")
    return item


def assert_conflict(result: Any) -> None:
    assert result.status == 409, result.body
    assert result.body["error"] == "version_conflict"
    assert [d["field"] for d in result.body["details"]] == ["version"]


def test_two_updates_from_the_same_version_one_wins(flow):
    first = flow.admin("PUT", "/v1/materials/dysprosium", material_body("dysprosium", name="Dy (first)", version=1))
    second = flow.admin("PUT", "/v1/materials/dysprosium", material_body("dysprosium", name="Dy (second)", version=1))

    assert (first.status, second.status) == (200, 409)
    assert (first.body["version"], first.headers["ETag"]) == (2, '"2"')
    assert_conflict(second)
    assert "stored version is 2" in second.body["message"]
    stored = flow.repo.get_material("dysprosium")
    expected = MaterialProfile.parse({**material_body("dysprosium", name="Dy (first)"), "id": "dysprosium"})
    assert stored == expected.model_copy(update={"version": 2})


def test_concurrent_updates_that_both_read_version_1_one_wins(flow, monkeypatch):
    """Both requests read version 1 before either writes: the conditional write is what refuses the loser."""
    repo = factory.get_repository()
    snapshot = repo.get_material("dysprosium")
    assert snapshot is not None and snapshot.version == 1
    first = flow.admin("PUT", "/v1/materials/dysprosium", material_body("dysprosium", name="Dy (first)", version=1))
    assert first.status == 200, first.body
    after_first = stored_item(flow, "MATERIAL", "dysprosium")

    # the second request's read happened before the first's write
    monkeypatch.setattr(repo, "get_material", lambda material_id: snapshot)
    second = flow.admin("PUT", "/v1/materials/dysprosium", material_body("dysprosium", name="Dy (second)", version=1))

    assert_conflict(second)
    assert second.body["message"] == "stale version: expected 1, stored version is 2"
    assert stored_item(flow, "MATERIAL", "dysprosium") == after_first
    monkeypatch.undo()
    stored = flow.repo.get_material("dysprosium")
    assert stored is not None
    assert (stored.name, stored.version) == ("Dy (first)", 2)


def test_a_stale_if_match_is_refused_and_changes_nothing(flow):
    updated = flow.admin(
        "PUT", "/v1/materials/terbium", material_body("terbium", name="Tb v2"), headers={"If-Match": '"1"'}
    )
    assert (updated.status, updated.body["version"]) == (200, 2)
    before = stored_item(flow, "MATERIAL", "terbium")
    flow.poll_stream()

    for if_match in ('"1"', "1", 'W/"1"', '"3"'):
        stale = flow.admin(
            "PUT", "/v1/materials/terbium", material_body("terbium", name="Tb stale"), headers={"If-Match": if_match}
        )
        assert_conflict(stale)
    assert stored_item(flow, "MATERIAL", "terbium") == before
    assert flow.poll_stream() == []  # nothing was written, so nothing will be rescored

    current = flow.admin(
        "PUT", "/v1/materials/terbium", material_body("terbium", name="Tb v3"), headers={"If-Match": 'W/"2"'}
    )
    assert (current.status, current.body["version"], current.headers["ETag"]) == (200, 3, '"3"')


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/materials/unobtainium", material_body("cobalt", source=None), "source"),
        (
            "/v1/materials/unobtainium",
            material_body("cobalt", stages={"extraction": [{"country": "CD", "share": 1.5}]}),
            "stages.extraction.0.share",
        ),
        ("/v1/materials/cobalt", material_body("cobalt", version=1, colour="blue"), "colour"),
        ("/v1/materials/cobalt", material_body("cobalt", version=-1), "version"),
        ("/v1/signals/CN-TEST-1", flows_module.signal_body("CN-2025-18", severity=2), "severity"),
        ("/v1/signals/CN-TEST-1", flows_module.signal_body("CN-2025-18", materials=["unobtainium"]), "materials.0"),
        ("/v1/signals/CN-TEST-1", flows_module.signal_body("CN-2025-18", status="lifted"), "lifted_at"),
        ("/v1/importers/JP/dependencies/cobalt", {"import_reliance": 1.2, "source": "x"}, "import_reliance"),
        ("/v1/countries/CN/governance", {"governance_risk": 11, "year": 2024, "source": "x"}, "governance_risk"),
    ],
)
def test_an_invalid_body_is_422_naming_the_field_and_stores_nothing(flow, path, body, field):
    before = flow.state()
    result = flow.admin("PUT", path, body)
    assert result.status == 422, result.body
    assert result.body["error"] in {"validation_error", "invalid_input"}
    assert field in {d["field"] for d in result.body["details"]}, result.body
    assert flow.state() == before
    assert flow.poll_stream() == []


def test_shares_adding_up_above_one_are_422_naming_the_stage(flow):
    before = flow.state()
    shares = [{"country": "CD", "share": 0.7}, {"country": "ID", "share": 0.6}]
    result = flow.admin(
        "PUT", "/v1/materials/cobalt", material_body("cobalt", stages={"extraction": shares}, version=1)
    )
    assert result.status == 422, result.body
    assert "stages.extraction" in result.body["message"]
    assert "stages.extraction" in {d["field"] for d in result.body["details"]}, result.body
    assert flow.state() == before


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/importers/QQ/dependencies/cobalt", "importer"),
        ("/v1/importers/JP/dependencies/unobtainium", "material"),
    ],
)
def test_unknown_ids_on_the_dependency_route_are_404(flow, path, field):
    before = flow.state()
    result = flow.admin("PUT", path, {"import_reliance": 0.5, "source": "test"})
    assert result.status == 404, result.body
    assert result.body["error"] == "not_found"
    assert [d["field"] for d in result.body["details"]] == [field]
    assert flow.state() == before
    assert flow.poll_stream() == []


def signal_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "issuer": "CN",
        "measure": "export_ban",
        "materials": ["dysprosium"],
        "targets": ["US"],
        "severity": 1,
        "announced": "2026-11-28",
        "status": "in_force",
        "source": "https://example.org/test",
    }
    body.update(changes)
    return body


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"announced": "0001-01-01"}, "announced"),
        ({"announced": "9999-12-31"}, "announced"),
        ({"effective": "2101-01-01"}, "effective"),
        ({"lifted_at": "1989-12-31", "status": "lifted"}, "lifted_at"),
        ({"suspended_until": "9999-01-01"}, "suspended_until"),
        ({"source": "secondary reports"}, "source"),
        ({"source": "javascript:alert(1)"}, "source"),
        ({"source": "ftp://example.org/x"}, "source"),
        ({"source": "https://example.org/\u202ex"}, "source"),
        ({"title": "ban\u200b"}, "title"),
        ({"title": "two\nlines"}, "title"),
        ({"severity": True}, "severity"),
        ({"confidence": False}, "confidence"),
        ({"version": True}, "version"),
        ({"targets": ["US", "us"]}, "targets"),
        ({"targets": ["JP", "JP"]}, "targets"),
        ({"materials": ["dysprosium", "dysprosium"]}, "materials"),
        ({"targets": ["u\u017f"]}, "targets"),
        ({"issuer": "\u0131t"}, "issuer"),
    ],
)
def test_bad_signal_input_is_422_naming_the_field_and_stores_nothing(flow, changes, field):
    result = flow.admin("PUT", "/v1/signals/H12-TEST", signal_body(**changes))
    assert result.status == 422, result.body
    assert field in {d["field"] for d in result.body["details"]}, result.body
    assert stored_item(flow, "SIGNAL", "H12-TEST") is None


def test_a_valid_signal_with_dates_at_the_edges_of_the_range_is_accepted(flow):
    result = flow.admin("PUT", "/v1/signals/H12-EDGE", signal_body(announced="1990-01-01", effective="2100-12-31"))
    assert result.status == 201, result.body


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"groups": ["terbium"]}, "groups"),  # another material's id
        ({"groups": ["dysprosium"]}, "groups"),  # its own id
        ({"groups": ["hree", "hree"]}, "groups"),
        ({"name": "Dy\u202e"}, "name"),
        ({"source": "\u200bEU CRM"}, "source"),
        ({"substitution_index": True}, "substitution_index"),
        ({"version": True}, "version"),
    ],
)
def test_bad_material_input_is_422_naming_the_field(flow, changes, field):
    before = stored_item(flow, "MATERIAL", "dysprosium")
    result = flow.admin("PUT", "/v1/materials/dysprosium", {**material_body("dysprosium", version=1), **changes})
    assert result.status == 422, result.body
    assert field in {d["field"] for d in result.body["details"]}, result.body
    assert stored_item(flow, "MATERIAL", "dysprosium") == before


def test_a_material_id_may_not_equal_an_existing_group_id(flow):
    result = flow.admin("PUT", "/v1/materials/hree", material_body("dysprosium", groups=[]))
    assert result.status == 422, result.body
    assert [d["field"] for d in result.body["details"]] == ["material"]
    assert stored_item(flow, "MATERIAL", "hree") is None


@pytest.mark.parametrize("country", ["u\u017f", "\u0131t"])
def test_non_ascii_country_codes_are_refused(flow, country):
    body = {"governance_risk": 5.0, "year": 2022, "source": "WGI 2022", "version": 1}
    before = stored_item(flow, "GOVERNANCE", country.upper())
    result = flow.admin("PUT", f"/v1/countries/{country}/governance", body)
    assert result.status == 422, result.body
    assert stored_item(flow, "GOVERNANCE", country.upper()) == before


@pytest.mark.parametrize(("field", "value"), [("year", True), ("governance_risk", True), ("source", "WGI\x00")])
def test_bad_governance_input_is_422(flow, field, value):
    body = {"governance_risk": 5.0, "year": 2022, "source": "WGI 2022", field: value}
    result = flow.admin("PUT", "/v1/countries/US/governance", body)
    assert result.status == 422, result.body
    assert field in {d["field"] for d in result.body["details"]}
