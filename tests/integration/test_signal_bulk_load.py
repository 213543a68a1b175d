"""Signals beyond China over the API (issue 13): the feed's issuer/stage/measure filters, a material's active
signals per stage, and the admin bulk load PUT /v1/signals (per-row results, idempotent, one rescoring run whose
workers publish ScoreChanged), on moto with the real handlers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from shared.adapters.dynamodb_repository import DynamoRiskRepository
from shared.services import admin
from shared.services.rescoring import rescore_all
from tests.integration import flows as flows_module
from tests.integration.flows import (
    JP_DUALUSE,
    JP_LICENCE_STALL,
    JP_SIGNALS,
    SCORED,
    Flow,
    FlowFactory,
    jp_materials,
    seed,
    signal_body,
)
from tests.support import ADMIN, api_event, call

flows = flows_module.flows

BASELINE = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
HEADER = "id,announced,effective,issuer,measure,instrument,materials,targets,status,status_until,source"
NICKEL_ORE = (
    "ID-2020-NICKEL-ORE,2019-09-02,2020-01-01,ID,export_ban,"
    '"Nickel ore export ban, ore only - processed nickel stays exportable",nickel,ALL,in_force,,'
    "https://www.aljazeera.com/economy/2019/9/2/worlds-biggest-nickel-ore-maker-bans-exports-from-january-2020"
)
COBALT_SUSPENSION = (
    "CD-2025-COBALT-SUSPENSION,2025-02-22,2025-02-22,CD,export_ban,"
    '"Temporary suspension of all cobalt exports; replaced by export quotas",cobalt,ALL,lifted,2025-10-16,'
    "https://www.einpresswire.com/article/825123167/extension"
)
COBALT_QUOTA = (
    "CD-2025-COBALT-QUOTA,2025-09-20,2025-10-16,CD,export_quota,"
    '"ARECOMS cobalt export quota regime: 96,600 t a year for 2026 and 2027",cobalt,ALL,in_force,,'
    "https://afriktimes.com/?p=10338"
)
#: status_until is only for lifted or suspended measures
BAD_ROW = (
    "ZW-2022-LITHIUM-ORE,2022-12-20,2022-12-20,ZW,export_ban,SI 213 of 2022,lithium,ALL,in_force,2023-01-06,"
    "https://wintertons.co.zw/legislative-developments"
)


def small_flow(flows: FlowFactory, *, scored: bool = False) -> Flow:
    # the committed seed holds the reference file's rows since model 1.2: leave them out, so a load creates them
    seeded_elsewhere = [s.id for s in seed().signals if s.issuer != "CN"]
    flow = flows.new(
        seed(without_signals=[*JP_SIGNALS, *seeded_elsewhere], materials=jp_materials("cobalt", "lithium", "nickel"))
    )
    if scored:
        rescore_all(flow.repo, BASELINE, SCORED)
    flow.poll_stream()
    return flow


def bulk(flow: Flow, body: Any, content_type: str = "application/json") -> Any:
    flow.activate()
    from functions.admin_api.app import lambda_handler

    event = api_event("PUT", "/v1/signals", body=body, scopes=(ADMIN,), headers={"Content-Type": content_type})
    return call(lambda_handler, event)


def csv_body(*rows: str) -> str:
    return "\r\n".join((HEADER, *rows)) + "\r\n"


def results(body: dict[str, Any]) -> dict[str | None, str]:
    return {r["id"]: r["result"] for r in body["rows"]}


# ---------------------------------------------------------------------- the feed and the profile


def test_signals_filter_by_issuer_stage_and_measure_and_the_profile_groups_them_by_stage(flows):
    flow = small_flow(flows)
    ore_ban = {
        "issuer": "ID",
        "measure": "export_ban",
        "materials": ["nickel"],
        "targets": ["ALL"],
        "severity": 1.0,
        "announced": "2019-09-02",
        "effective": "2020-01-01",
        "status": "in_force",
        "source": "https://example.org/id-nickel-ore",
        "stages": ["extraction"],
    }
    assert flow.put_signal("ID-2020-NICKEL-ORE", ore_ban).status == 201
    everyone = {
        **{k: v for k, v in ore_ban.items() if k not in ("effective", "stages")},
        "issuer": "CD",
        "measure": "export_quota",
        "materials": ["cobalt", "nickel"],
        "severity": 0.6,
        "announced": "2025-09-20",
        "quota_tonnes": 96600.0,
        "reference_tonnes": 130000.0,
    }
    assert flow.put_signal("CD-QUOTA", everyone).status == 201

    def ids(query: dict[str, str]) -> set[str]:
        result = flow.read("/v1/signals", query)
        assert result.status == 200, result.body
        return {s["id"] for s in result.body["items"]}

    assert ids({"issuer": "id"}) == {"ID-2020-NICKEL-ORE"}
    assert ids({"issuer": "CD", "measure": "export_quota"}) == {"CD-QUOTA"}
    assert ids({"measure": "export_ban", "material": "nickel"}) == {"ID-2020-NICKEL-ORE"}
    # a signal without stages covers every stage
    assert {"ID-2020-NICKEL-ORE", "CD-QUOTA"} <= ids({"stage": "extraction"})
    processing = ids({"stage": "processing"})
    assert "CD-QUOTA" in processing and "ID-2020-NICKEL-ORE" not in processing

    profile = flow.read("/v1/materials/nickel").body
    by_stage = {stage: {s["id"] for s in items} for stage, items in profile["active_signals_by_stage"].items()}
    assert by_stage["extraction"] == {"ID-2020-NICKEL-ORE", "CD-QUOTA"}
    assert by_stage["processing"] == {"CD-QUOTA"}
    assert {s["id"] for s in profile["active_signals"]} == {"ID-2020-NICKEL-ORE", "CD-QUOTA"}  # kept as it was


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"stage": "ore"}, "stage"),
        ({"stage": "EXTRACTION"}, "stage"),
        ({"measure": "embargo"}, "measure"),
        ({"issuer": "\u0130D"}, "issuer"),  # a dotted capital I: not ASCII, even though it upper-cases to ID
        ({"issuer": "XX"}, "issuer"),
        ({"material": "unobtainium"}, "material"),  # a filter: 422, not 404 (schemathesis found it)
    ],
)
def test_bad_signal_filters_are_a_422_naming_the_parameter(flows, query, field):
    flow = small_flow(flows)
    result = flow.read("/v1/signals", query)
    assert result.status == 422, result.body
    assert field in {d["field"] for d in result.body["details"]}


# ---------------------------------------------------------------------- bulk load


def test_bulk_csv_load_reports_a_bad_row_stores_the_others_and_a_repeat_changes_nothing(flows):
    flow = small_flow(flows)
    body = csv_body(NICKEL_ORE, BAD_ROW, COBALT_SUSPENSION, COBALT_QUOTA)
    first = bulk(flow, body, "text/csv; charset=utf-8")
    assert first.status == 202, first.body
    assert results(first.body) == {
        "ID-2020-NICKEL-ORE": "created",
        "ZW-2022-LITHIUM-ORE": "invalid",
        "CD-2025-COBALT-SUSPENSION": "created",
        "CD-2025-COBALT-QUOTA": "created",
    }
    bad = first.body["rows"][1]
    assert bad["row"] == 2
    assert bad["details"][0]["field"] == "status_until" and "in_force" in bad["details"][0]["message"]
    assert first.body["counts"] == {"created": 3, "updated": 0, "unchanged": 0, "conflict": 0, "invalid": 1}
    # the reference columns mapped as the seed builder does
    suspension = flow.repo.get_signal("CD-2025-COBALT-SUSPENSION")
    quota = flow.repo.get_signal("CD-2025-COBALT-QUOTA")
    assert suspension is not None and quota is not None
    assert suspension.lifted_at is not None and suspension.lifted_at.isoformat() == "2025-10-16"
    assert suspension.title.startswith("Temporary suspension") and suspension.severity == 1.0
    assert quota.severity == 0.6  # the quota default, no volumes given
    assert flow.repo.get_signal("ZW-2022-LITHIUM-ORE") is None
    # ONE run for the materials the changed rows touch, its id in the answer
    run = first.body["run"]
    assert first.body["materials"] == ["cobalt", "nickel"]
    assert run["run_id"] == f"load-{first.body['load_id']}"
    assert first.headers["Location"] == f"/v1/rescore/{run['run_id']}"
    assert flow.run(run["run_id"])["chunks_total"] >= 1
    # the writes carry the load marker, so the stream filter drops them (no rescoring per row)
    records = flow.poll_stream()
    assert {r["dynamodb"]["Keys"]["sk"]["S"] for r in records if r["dynamodb"]["Keys"]["pk"]["S"] == "SIGNAL"} == {
        "ID-2020-NICKEL-ORE",
        "CD-2025-COBALT-SUSPENSION",
        "CD-2025-COBALT-QUOTA",
    }
    assert all("load_id" in r["dynamodb"]["NewImage"] for r in records if r["dynamodb"]["Keys"]["pk"]["S"] == "SIGNAL")
    assert not any(flow.work())

    before = flow.state()
    queued = flow.queue_depth()
    second = bulk(flow, body, "text/csv")
    assert second.status == 200, second.body
    assert set(results(second.body).values()) == {"unchanged", "invalid"}
    assert second.body["run"] is None and second.body["materials"] == []
    assert flow.state() == before  # nothing written
    assert flow.queue_depth() == queued == 0


def test_bulk_json_rows_in_both_formats_and_an_update(flows):
    flow = small_flow(flows)
    reference = {
        "id": "ID-2020-NICKEL-ORE",
        "announced": "2019-09-02",
        "effective": "2020-01-01",
        "issuer": "ID",
        "measure": "export_ban",
        "instrument": "ore only",
        "materials": "nickel",
        "targets": "ALL",
        "status": "in_force",
        "status_until": None,
        "source": "https://example.org/id",
        "stages": "extraction",
    }
    body_form = {"id": JP_DUALUSE, **signal_body(JP_DUALUSE)}
    first = bulk(flow, [reference, body_form])
    assert first.status == 202, first.body
    assert results(first.body) == {"ID-2020-NICKEL-ORE": "created", JP_DUALUSE: "created"}
    stored = flow.repo.get_signal("ID-2020-NICKEL-ORE")
    assert stored is not None and [s.value for s in stored.stages] == ["extraction"] and stored.title == "ore only"

    changed = bulk(flow, [{**reference, "severity": 0.8}, body_form])
    assert changed.status == 202, changed.body
    assert results(changed.body) == {"ID-2020-NICKEL-ORE": "updated", JP_DUALUSE: "unchanged"}
    assert changed.body["rows"][0]["version"] == 2
    assert changed.body["materials"] == ["nickel"]


@pytest.mark.parametrize(
    ("rows", "field"),
    [
        ([{"id": "X-1", "materials": "unobtainium", "announced": "2025-01-01", "issuer": "ID",
           "measure": "export_ban", "targets": "ALL", "status": "in_force", "source": "https://e.org/x"}], "materials"),
        ([{"id": "X-2", "materials": "nickel", "announced": "2025-01-01", "issuer": "ID", "measure": "export_tax",
           "targets": "ALL", "status": "in_force", "source": "https://e.org/x"}], "severity"),
        ([{"id": "X-3", "instrument": "x", "materials": "nickel", "announced": "2025-01-01", "issuer": "ID",
           "measure": "export_ban", "targets": "ALL", "status": "in_force", "source": "not a url"}], "source"),
        ([{"id": "bad id!", "issuer": "ID", "measure": "export_ban", "materials": ["nickel"], "targets": ["ALL"],
           "severity": 1.0, "announced": "2025-01-01", "status": "in_force", "source": "https://e.org/x"}], "id"),
        (["not an object"], "row"),
    ],
)  # fmt: skip
def test_invalid_rows_name_the_column(flows, rows, field):
    flow = small_flow(flows)
    result = bulk(flow, rows)
    assert result.status == 200, result.body
    assert result.body["rows"][0]["result"] == "invalid"
    assert field in {d["field"] for d in result.body["rows"][0]["details"]}, result.body
    assert result.body["run"] is None


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ({"not": "a list"}, "application/json", 422),
        ([], "application/json", 422),
        ("id,unknown_column\r\nA,b\r\n", "text/csv", 422),
        ("id,announced\r\nA,2025-01-01\r\n", "text/csv", 422),  # required columns missing
        ('id,announced\r\n"A,2025\r\n', "text/csv", 422),  # unterminated quote
        ([{"id": f"S-{i}"} for i in range(501)], "application/json", 413),
        ("a,b", "text/plain", 415),
        ('[{"id": "A", "id": "B"}]', "application/json", 422),  # a duplicate key, as on every JSON route
    ],
)
def test_bad_bodies_are_refused_whole_and_change_nothing(flows, body, content_type, status):
    flow = small_flow(flows)
    before = flow.state()
    result = bulk(flow, body, content_type)
    assert result.status == status, result.body
    assert set(result.body) == {"error", "message", "details"}
    assert flow.state() == before


def test_a_single_put_interleaved_with_a_bulk_load_is_a_conflict_for_that_row_only(flows, monkeypatch):
    """The bulk load reads the stored signals, then a single-signal PUT of one of its ids lands, then the load
    writes: that row is a version conflict (the single PUT's signal stays, whole), the other rows are stored."""
    flow = small_flow(flows)
    first = bulk(flow, csv_body(NICKEL_ORE, COBALT_QUOTA), "text/csv")
    assert first.status == 202, first.body
    real_list = DynamoRiskRepository.list_signals
    single_put = {**signal_body_from(flow, "ID-2020-NICKEL-ORE"), "severity": 0.5}

    def list_then_interleave(self: DynamoRiskRepository) -> list[Any]:
        listed = real_list(self)
        monkeypatch.setattr(DynamoRiskRepository, "list_signals", real_list)
        admin.upsert_signal(self, "ID-2020-NICKEL-ORE", single_put, None)  # what PUT /v1/signals/{id} runs
        return listed

    monkeypatch.setattr(DynamoRiskRepository, "list_signals", list_then_interleave)
    changed_ore = NICKEL_ORE.replace("ore only", "ore only (amended)")
    changed_quota = COBALT_QUOTA.replace("96,600 t", "96,600 tonnes")
    second = bulk(flow, csv_body(changed_ore, changed_quota), "text/csv")
    assert second.status == 202, second.body
    assert results(second.body) == {"ID-2020-NICKEL-ORE": "conflict", "CD-2025-COBALT-QUOTA": "updated"}
    assert second.body["rows"][0]["details"][0]["field"] == "version"
    ore = flow.repo.get_signal("ID-2020-NICKEL-ORE")
    assert ore is not None and (ore.version, ore.severity) == (2, 0.5)
    assert "amended" not in ore.title  # nothing of the bulk row was written
    assert second.body["materials"] == ["cobalt"]  # the conflicting row's material is not rescored by the load


def signal_body_from(flow: Flow, signal_id: str) -> dict[str, Any]:
    stored = flow.repo.get_signal(signal_id)
    assert stored is not None
    return stored.model_dump(mode="json", exclude={"id", "version"})


def test_the_bulk_run_publishes_score_changes_like_the_stream(flows):
    """One run for the batch, scored by the workers, which publish ScoreChanged for the moves (cause: the load)."""
    flow = small_flow(flows, scored=True)
    before = flow.state()
    rows = [{"id": s, **signal_body(s)} for s in JP_SIGNALS]
    loaded = bulk(flow, rows)
    assert loaded.status == 202, loaded.body
    assert flow.published() == []  # nothing from the admin call itself
    assert not any(flow.work())
    run = flow.run(loaded.body["run"]["run_id"])
    assert run["status"] == "completed" and run["chunks_done"] == run["chunks_total"]
    after = flow.state()
    assert after.scores[("JP", "dysprosium")][0] > before.scores[("JP", "dysprosium")][0]
    events = flow.published()
    assert ("JP", "dysprosium") in {(e["importer"], e["material"]) for e in events}
    assert {(e["cause"]["type"], e["cause"]["id"]) for e in events} == {("signal_load", loaded.body["load_id"])}
    assert JP_LICENCE_STALL in {r["id"] for r in loaded.body["rows"]}
