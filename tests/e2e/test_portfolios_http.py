"""Portfolios over HTTP as two procurement teams use them: team-a's portfolio does not exist for team-b."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import pytest

from tests.e2e.client import ApiClient


def bill_of_materials() -> dict[str, Any]:
    return {
        "name": "Magnet plant",
        "currency": "JPY",
        "items": [
            {"material": "dysprosium", "importer": "JP", "annual_spend": 120_000_000, "part": "N52SH magnets"},
            {"material": "rare_earths", "importer": "jp", "annual_spend": 80_000_000, "part": "polishing"},
            {"material": "copper", "importer": "JP", "annual_spend": 300_000_000, "part": "windings"},
        ],
    }


@pytest.fixture
def team_a_portfolio(api: ApiClient) -> str:
    portfolio_id = f"plant-{uuid.uuid4().hex[:8]}"
    created = api.put(f"/v1/portfolios/{portfolio_id}", bill_of_materials(), token="team-a")
    assert created.status == 201, created.body
    return portfolio_id


def test_a_team_reads_its_portfolio_risk_as_json_and_csv(api: ApiClient, team_a_portfolio: str) -> None:
    risk = api.get(f"/v1/portfolios/{team_a_portfolio}/risk", token="team-a")
    assert risk.status == 200, risk.body
    assert risk.body["max_score"] >= risk.body["spend_weighted_score"] > 0
    spends = [line["risk_spend"] for line in risk.body["items"]]
    assert spends == sorted(spends, reverse=True)
    assert any("Chinese processing" in d["text"] for d in risk.body["drivers"])

    # the client parses only JSON, so fetch the CSV as raw text
    as_csv = api.session.get(
        f"{api.base_url}/v1/portfolios/{team_a_portfolio}/risk",
        headers={"Authorization": "Bearer team-a", "Accept": "text/csv"},
        timeout=30,
    )
    assert as_csv.status_code == 200
    assert as_csv.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [(r["material"], r["importer"]) for r in rows] == [
        (line["material"], line["importer"]) for line in risk.body["items"]
    ]


def test_another_team_cannot_read_replace_delete_list_or_use_it(api: ApiClient, team_a_portfolio: str) -> None:
    path = f"/v1/portfolios/{team_a_portfolio}"
    assert api.get(path, token="team-b").status == 404
    assert api.get(f"{path}/risk", token="team-b").status == 404
    assert api.request("DELETE", path, token="team-b").status == 404
    replaced = api.put(path, {**bill_of_materials(), "name": "hijacked", "version": 1}, token="team-b")
    assert replaced.status in (404, 409)  # exactly what an id nobody has gets: existence is not revealed
    assert team_a_portfolio not in {p["id"] for p in api.get("/v1/portfolios", token="team-b").body["items"]}
    scenario = api.post(
        "/v1/scenarios",
        {"changes": [], "portfolio_id": team_a_portfolio},
        token="team-b",
    )
    assert scenario.status == 404

    mine = api.get(path, token="team-a")
    assert mine.status == 200
    assert (mine.body["name"], mine.body["version"]) == ("Magnet plant", 1)
    assert team_a_portfolio in {p["id"] for p in api.get("/v1/portfolios", token="team-a").body["items"]}


def test_a_reader_token_without_the_portfolio_scope_is_403(api: ApiClient, team_a_portfolio: str) -> None:
    assert api.get(f"/v1/portfolios/{team_a_portfolio}", token="dev-reader").status == 403


def test_spend_on_a_group_that_lost_its_materials_stays_in_the_totals_and_is_flagged(api: ApiClient) -> None:
    """Issue 12: a material PUT that takes the only member out of a group a portfolio names used to drop that
    spend from the risk without a word (total 1010 -> 10). It stays in the total and is listed, in JSON and CSV."""
    group = f"e2e_group_{uuid.uuid4().hex[:8]}"
    stored = api.get("/v1/materials/tantalum")
    assert stored.status == 200, stored.body
    original = {
        k: v for k, v in stored.body.items() if k not in ("id", "active_signals", "active_signals_by_stage", "version")
    }

    def put_groups(groups: list[str]) -> None:
        version = api.get("/v1/materials/tantalum").body["version"]
        reply = api.put("/v1/materials/tantalum", {**original, "groups": groups, "version": version})
        assert reply.status == 200, reply.body

    put_groups([*original["groups"], group])
    try:
        portfolio_id = f"capacitors-{uuid.uuid4().hex[:8]}"
        items = [
            {"material": group, "importer": "JP", "annual_spend": 1000, "part": "capacitors"},
            {"material": "copper", "importer": "JP", "annual_spend": 10, "part": "leads"},
        ]
        body = {"name": "Capacitor line", "currency": "USD", "items": items}
        assert api.put(f"/v1/portfolios/{portfolio_id}", body, token="team-a").status == 201
        path = f"/v1/portfolios/{portfolio_id}/risk"
        before = api.get(path, token="team-a").body
        assert (before["total_spend"], before["unscored_spend"], before["unscored_lines"]) == (1010, 0, [])

        put_groups(original["groups"])  # the group has no materials any more
        risk = api.get(path, token="team-a")
        assert risk.status == 200, risk.body
        assert (risk.body["total_spend"], risk.body["scored_spend"], risk.body["unscored_spend"]) == (1010, 10, 1000)
        assert [line["material"] for line in risk.body["items"]] == ["copper"]
        [unscored] = risk.body["unscored_lines"]
        assert (unscored["item_index"], unscored["material"], unscored["importer"]) == (0, group, "JP")
        assert (unscored["annual_spend"], unscored["part"]) == (1000, "capacitors")
        assert f"group {group}" in unscored["reason"]

        as_csv = api.session.get(
            f"{api.base_url}{path}", headers={"Authorization": "Bearer team-a", "Accept": "text/csv"}, timeout=30
        )
        assert as_csv.status_code == 200
        rows = list(csv.DictReader(io.StringIO(as_csv.text)))
        assert [(r["material"], r["annual_spend"], r["score"], r["unscored_reason"]) for r in rows][1:] == [
            (group, "1000.0", "", unscored["reason"])
        ]
        assert rows[0]["material"] == "copper" and rows[0]["unscored_reason"] == ""

        scenario = api.post("/v1/scenarios", {"changes": [], "portfolio_id": portfolio_id}, token="team-a")
        assert scenario.status == 200, scenario.body
        assert scenario.body["unscored_lines"] == risk.body["unscored_lines"]
    finally:
        if group in api.get("/v1/materials/tantalum").body["groups"]:
            put_groups(original["groups"])
