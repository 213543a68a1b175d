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
