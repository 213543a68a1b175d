"""Procurement routes of the read API on moto: batch scores, CSV ranked lists, what-if scenarios.

Reads use the session's seeded table; scenarios on a portfolio need one written, so those use a module table
with the reference data only (scenarios score live: they need no stored scores).
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from functions.read_api.app import SCORE_CSV_COLUMNS
from shared.adapters.dynamodb_repository import DynamoRiskRepository
from shared.adapters.seed_files import read_seed
from shared.services.seeding import seed_reference_data
from tests.conftest import point_handlers_at
from tests.support import PORTFOLIO, READ, ApiResult, api_event, call, create_table

BAN_DY_TO_JP: dict[str, Any] = {
    "type": "add_signal",
    "signal": {"issuer": "CN", "measure": "export_ban", "materials": ["dysprosium"], "targets": ["JP"], "severity": 1},
}


def get(handler: Any, path: str, query: dict[str, str] | None = None, **kwargs: Any) -> ApiResult:
    return call(handler, api_event("GET", path, query, **kwargs))


def post(handler: Any, path: str, body: Any, client_id: str = "test-client") -> ApiResult:
    return call(handler, api_event("POST", path, body=body, scopes=(READ, PORTFOLIO), client_id=client_id))


def pair(importer: str, material: str) -> dict[str, str]:
    return {"importer": importer, "material": material}


def scenario(handler: Any, changes: list[dict[str, Any]], pairs: list[dict[str, str]]) -> dict[tuple[str, str], Any]:
    result = post(handler, "/v1/scenarios", {"changes": changes, "pairs": pairs})
    assert result.status == 200, result.body
    return {(line["importer"], line["material"]): line for line in result.body["items"]}


# --- batch -------------------------------------------------------------------------------------------------------


def test_batch_returns_the_stored_scores_and_lists_what_is_missing(read_api):
    pairs = [
        pair("JP", "dysprosium"),
        pair("us", "Neodymium"),
        pair("EU", "copper"),
        pair("NZ", "dysprosium"),
        pair("JP", "unobtainium"),
        pair("QQ", "copper"),
    ]
    result = post(read_api, "/v1/scores/batch", {"pairs": pairs})
    assert result.status == 200, result.body
    assert [(s["importer"], s["material"]) for s in result.body["items"]] == [
        ("JP", "dysprosium"),
        ("US", "neodymium"),
        ("EU", "copper"),
    ]
    for item in result.body["items"]:
        assert item == get(read_api, f"/v1/scores/{item['importer']}/{item['material']}").body
    assert sorted((m["importer"], m["material"], m["reason"]) for m in result.body["missing"]) == [
        ("JP", "unobtainium", "unknown material"),
        ("NZ", "dysprosium", "importer not scored"),
        ("QQ", "copper", "unknown importer"),
    ]


def test_batch_repeats_a_pair_once(read_api):
    result = post(read_api, "/v1/scores/batch", {"pairs": [pair("JP", "dysprosium"), pair("jp", "DYSPROSIUM")]})
    assert result.status == 200, result.body
    assert len(result.body["items"]) == 1
    assert result.body["missing"] == []


@pytest.mark.parametrize("count", [0, 101])
def test_batch_size_is_limited(read_api, count):
    result = post(read_api, "/v1/scores/batch", {"pairs": [pair("JP", "copper")] * count})
    assert result.status == 422, result.body
    assert "pairs" in {d["field"] for d in result.body["details"]}


def test_batch_of_100_is_accepted(read_api):
    materials = [m.id for m in read_seed().materials][:50]
    pairs = [pair(i, m) for m in materials for i in ("JP", "US")]
    result = post(read_api, "/v1/scores/batch", {"pairs": pairs})
    assert result.status == 200, result.body
    assert len(result.body["items"]) == 100
    assert result.body["missing"] == []


# --- ranked lists as CSV ---------------------------------------------------------------------------------------


def csv_rows(result: ApiResult) -> tuple[list[str], list[dict[str, str]]]:
    assert result.status == 200, result.body
    assert result.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(result.body, newline="")))
    return rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def expected_row(item: dict[str, Any]) -> dict[str, str]:
    components = item["components"]
    values = {
        **{k: item[k] for k in ("importer", "material", "score", "band", "confidence", "model_version")},
        **{k: components[k] for k in ("supply_risk", "import_reliance", "site_concentration", "policy_pressure")},
        "top_driver": item["drivers"][0]["text"] if item["drivers"] else "",
        "computed_at": item["computed_at"],
    }
    return {k: str(v) for k, v in values.items()}


def assert_rows_match(rows: list[dict[str, str]], items: list[dict[str, Any]]) -> None:
    assert len(rows) == len(items)
    numeric = {"score", "confidence", "supply_risk", "import_reliance", "site_concentration", "policy_pressure"}
    for row, item in zip(rows, items, strict=True):
        expected = expected_row(item)
        for column in SCORE_CSV_COLUMNS:
            if column in numeric:
                assert float(row[column]) == float(expected[column]), column
            else:
                assert row[column] == expected[column], column


@pytest.mark.parametrize("path", ["/v1/importers/JP/scores", "/v1/materials/dysprosium/scores"])
def test_ranked_list_as_csv_pages_like_the_json(read_api, path):
    cursor_json: str | None = None
    cursor_csv: str | None = None
    pages = 0
    while True:
        query_json = {"limit": "7"} | ({"cursor": cursor_json} if cursor_json else {})
        query_csv = {"limit": "7"} | ({"cursor": cursor_csv} if cursor_csv else {})
        page = get(read_api, path, query_json)
        assert page.status == 200
        csv_page = get(read_api, path, query_csv, headers={"Accept": "text/csv"})
        header, rows = csv_rows(csv_page)
        assert tuple(header) == SCORE_CSV_COLUMNS
        assert "attachment" in csv_page.headers["Content-Disposition"]
        assert_rows_match(rows, page.body["items"])
        cursor_json = page.body["next_cursor"]
        cursor_csv = csv_page.headers.get("X-Next-Cursor")
        assert cursor_csv == cursor_json
        pages += 1
        if cursor_json is None or pages == 3:
            break
    assert pages >= 2


def test_the_last_csv_page_has_no_cursor_header(read_api):
    page = get(read_api, "/v1/importers/JP/scores", {"band": "critical", "limit": "200"})
    csv_page = get(
        read_api, "/v1/importers/JP/scores", {"band": "critical", "limit": "200"}, headers={"accept": "text/csv"}
    )
    _, rows = csv_rows(csv_page)
    assert page.body["next_cursor"] is None
    assert "X-Next-Cursor" not in csv_page.headers
    assert_rows_match(rows, page.body["items"])
    assert rows and {r["band"] for r in rows} == {"critical"}


def test_csv_errors_are_still_json(read_api):
    result = get(read_api, "/v1/importers/QQ/scores", headers={"Accept": "text/csv"})
    assert result.status == 404
    assert result.body["error"] == "not_found"


# --- scenarios on pairs ------------------------------------------------------------------------------------------

SCENARIO_PAIRS = [
    pair("JP", "dysprosium"),
    pair("US", "dysprosium"),
    pair("EU", "dysprosium"),
    pair("JP", "neodymium"),
    pair("DE", "copper"),
    pair("NZ", "terbium"),
]


def test_a_scenario_without_changes_is_the_baseline(read_api):
    lines = scenario(read_api, [], SCENARIO_PAIRS)
    assert set(lines) == {(p["importer"], p["material"]) for p in SCENARIO_PAIRS}
    for line in lines.values():
        assert line["delta"] == 0
        assert line["baseline"] == line["scenario"]


def test_an_export_ban_to_japan_raises_japanese_dysprosium_only(read_api):
    result = post(read_api, "/v1/scenarios", {"changes": [BAN_DY_TO_JP], "pairs": SCENARIO_PAIRS})
    assert result.status == 200, result.body
    items = result.body["items"]
    deltas = [line["delta"] for line in items]
    assert deltas == sorted(deltas, reverse=True)  # the largest increase first
    lines = {(line["importer"], line["material"]): line for line in items}
    jp = lines["JP", "dysprosium"]
    assert jp["delta"] > 0
    assert jp["delta"] == pytest.approx(jp["scenario"]["score"] - jp["baseline"]["score"], abs=1e-4)
    assert jp["scenario"]["band"] == "critical"
    assert jp["scenario"]["policy_pressure"] > jp["baseline"]["policy_pressure"]
    assert "what-if-0" in jp["scenario"]["signal_ids"]
    assert "what-if-0" not in jp["baseline"]["signal_ids"]
    assert any("[what-if-0]" in d["text"] and d["component"] == "policy_pressure" for d in jp["drivers"])
    # nothing else is targeted or touched
    for key, line in lines.items():
        if key != ("JP", "dysprosium"):
            assert line["delta"] == 0, key


def test_moving_dysprosium_processing_to_australia_lowers_the_eu_score(read_api):
    move = {"type": "set_supply_share", "material": "dysprosium", "stage": "processing", "country": "AU", "share": 0.9}
    lines = scenario(read_api, [move], [pair("EU", "dysprosium"), pair("EU", "terbium")])
    eu = lines["EU", "dysprosium"]
    # The EU has no processing sourcing data, so world processing shares stand in: China's grip (and its
    # licensing signal's exposure) falls from 100% to 10%.
    assert eu["delta"] < 0
    assert eu["scenario"]["policy_pressure"] < eu["baseline"]["policy_pressure"]
    assert lines["EU", "terbium"]["delta"] == 0  # the change names dysprosium only


def test_lifting_the_rare_earth_licensing_lowers_us_dysprosium(read_api):
    lift = {"type": "lift_signal", "signal_id": "CN-2025-18"}
    gone = scenario(read_api, [lift], [pair("US", "dysprosium"), pair("US", "copper")])
    us = gone["US", "dysprosium"]
    assert us["delta"] < 0
    assert "CN-2025-18" in us["baseline"]["signal_ids"]
    assert "CN-2025-18" not in us["scenario"]["signal_ids"]
    # no Chinese signal is left on the pair; Malaysia's raw rare-earth moratorium (model 1.2 seed) still is: the
    # US buys 13% of its processed dysprosium from Malaysia, whose ore mix the model estimates as Malaysian
    assert not [s for s in us["scenario"]["signal_ids"] if s.startswith("CN-")]
    assert us["scenario"]["policy_pressure"] < us["baseline"]["policy_pressure"]
    assert gone["US", "copper"]["delta"] == 0

    decaying = scenario(read_api, [{**lift, "days_since_lifted": 30}], [pair("US", "dysprosium")])["US", "dysprosium"]
    assert us["scenario"]["score"] < decaying["scenario"]["score"] < decaying["baseline"]["score"]


@pytest.mark.parametrize(
    ("signal_id", "importer"),
    [
        ("CN-2026-JP-LICENCE-STALL", "JP"),  # reported: binds at 0.6
        ("CN-2010-JP-EMBARGO", "JP"),  # lifted in 2010
        ("CN-2024-46", "US"),  # suspended
        ("CN-2025-18", "US"),  # in force
    ],
)
@pytest.mark.parametrize("days", [0, 30, 365])
def test_a_recent_lift_never_raises_a_score(read_api, signal_id, importer, days):
    lift = {"type": "lift_signal", "signal_id": signal_id, "days_since_lifted": days}
    materials = ["dysprosium", "gallium", "antimony", "neodymium"]
    lines = scenario(read_api, [lift], [pair(importer, m) for m in materials])
    for key, line in lines.items():
        assert line["delta"] <= 0, (key, line)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"changes": [], "pairs": [pair("JP", "dysprosium")], "portfolio_id": "p"}, 422, None),
        ({"changes": []}, 422, None),
        ({"changes": [], "pairs": [pair("JP", "copper")] * 101}, 422, "pairs"),
        ({"changes": [{"type": "lift_signal", "signal_id": "NOPE"}], "pairs": [pair("JP", "copper")]}, 422,
         "signal_id"),
        ({"changes": [{**BAN_DY_TO_JP, "signal": {**BAN_DY_TO_JP["signal"], "materials": ["unobtainium"]}}],
          "pairs": [pair("JP", "copper")]}, 422, "changes.0.signal.materials"),
        ({"changes": [{"type": "set_supply_share", "material": "unobtainium", "stage": "processing", "country": "AU",
                       "share": 0.5}], "pairs": [pair("JP", "copper")]}, 422, "changes.0.material"),
        ({"changes": [{"type": "teleport"}], "pairs": [pair("JP", "copper")]}, 422, None),
        ({"changes": [], "pairs": [pair("JP", "unobtainium")]}, 404, "material"),
        ({"changes": [], "pairs": [pair("QQ", "copper")]}, 404, "importer"),
    ],
)  # fmt: skip
def test_invalid_scenarios(read_api, body, status, field):
    result = post(read_api, "/v1/scenarios", body)
    assert result.status == status, result.body
    if field:
        assert field in {d["field"] for d in result.body["details"]}
    if "portfolio_id" in body or "pairs" not in body:
        assert "exactly one of pairs or portfolio_id" in result.body["message"]


def test_scenarios_never_change_what_is_stored(read_api):
    paths = [
        "/v1/scores/JP/dysprosium",
        "/v1/scores/US/dysprosium",
        "/v1/scores/EU/dysprosium",
        "/v1/materials/dysprosium",
        "/v1/scores/JP/dysprosium/history",
    ]
    before = [get(read_api, p).body for p in paths]
    signals_before = get(read_api, "/v1/signals").body
    changes = [
        BAN_DY_TO_JP,
        {"type": "lift_signal", "signal_id": "CN-2025-18"},
        {"type": "set_supply_share", "material": "dysprosium", "stage": "processing", "country": "AU", "share": 0.9},
    ]
    for change in changes:
        scenario(read_api, [change], [pair("JP", "dysprosium"), pair("US", "dysprosium"), pair("EU", "dysprosium")])
    scenario(read_api, changes, [pair("JP", "dysprosium"), pair("NZ", "dysprosium")])
    assert [get(read_api, p).body for p in paths] == before
    assert get(read_api, "/v1/signals").body == signals_before
    assert get(read_api, "/v1/scores/NZ/dysprosium").status == 404


# --- scenarios on a portfolio ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reference_table(dynamodb_client: Any) -> Iterator[str]:
    name = create_table(dynamodb_client)
    seed_reference_data(DynamoRiskRepository(name, dynamodb_client), read_seed())
    yield name
    dynamodb_client.delete_table(TableName=name)


@pytest.fixture
def handlers(monkeypatch: pytest.MonkeyPatch, reference_table: str, dynamodb_endpoint: str | None) -> tuple[Any, Any]:
    point_handlers_at(monkeypatch, reference_table, dynamodb_endpoint)
    from functions.portfolio_api.app import lambda_handler as portfolio_handler
    from functions.read_api.app import lambda_handler as read_handler

    return portfolio_handler, read_handler


def test_a_scenario_on_the_callers_portfolio(handlers):
    portfolio_handler, read_handler = handlers
    team_a, team_b = f"team-a-{uuid.uuid4().hex[:8]}", f"team-b-{uuid.uuid4().hex[:8]}"
    items = [
        {"material": "dysprosium", "importer": "JP", "annual_spend": 100.0},
        {"material": "hree", "importer": "JP", "annual_spend": 100.0},
        {"material": "copper", "importer": "NZ", "annual_spend": 100.0},
    ]
    created = call(
        portfolio_handler,
        api_event("PUT", "/v1/portfolios/magnets", body={"name": "Magnets", "items": items}, scopes=(PORTFOLIO,),
                  client_id=team_a),
    )  # fmt: skip
    assert created.status == 201, created.body

    result = post(read_handler, "/v1/scenarios", {"changes": [BAN_DY_TO_JP], "portfolio_id": "magnets"}, team_a)
    assert result.status == 200, result.body
    hree = sorted(m.id for m in read_seed().materials if "hree" in m.groups)
    expected = {("JP", m) for m in hree} | {("NZ", "copper")}
    lines = {(line["importer"], line["material"]): line for line in result.body["items"]}
    assert set(lines) == expected
    assert len(result.body["items"]) == len(expected)  # JP dysprosium is listed once
    assert result.body["items"][0]["material"] == "dysprosium"
    assert lines["JP", "dysprosium"]["delta"] > 0
    assert all(line["delta"] == 0 for key, line in lines.items() if key != ("JP", "dysprosium"))

    other = post(read_handler, "/v1/scenarios", {"changes": [BAN_DY_TO_JP], "portfolio_id": "magnets"}, team_b)
    assert other.status == 404, other.body
    assert other.body["error"] == "not_found"
    unknown = post(read_handler, "/v1/scenarios", {"changes": [], "portfolio_id": "nope"}, team_a)
    assert unknown.status == 404


def test_an_invalid_what_if_signal_names_its_place_in_the_request(read_api):
    change = {**BAN_DY_TO_JP, "signal": {**BAN_DY_TO_JP["signal"], "targets": ["XX"]}}
    result = post(read_api, "/v1/scenarios", {"changes": [change], "pairs": [pair("JP", "dysprosium")]})
    assert result.status == 422, result.body
    assert result.body["details"][0]["field"].startswith("changes.0.signal")
