"""Company sourcing over HTTP (issue 15): the spreadsheet PUT/GET round trip, a bad row stores nothing, JSON round
trip, company scores next to national ones, the risk history, and tenant isolation on the new routes."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import requests

from tests.e2e.client import ApiClient

CSV_BODY = (
    "material,hs_code,importer,annual_spend,part,supplier,supplier_country,sourcing\r\n"
    ",282200,DE,700000,cathode precursor,Trader SA,,CD:0.7;FI:0.3\r\n"
    "dysprosium,,DE,300000,magnets,,AU,\r\n"
    "copper,,DE,100000,windings,,,\r\n"
)


def new_id() -> str:
    return f"plant-{uuid.uuid4().hex[:8]}"


def raw(api: ApiClient, method: str, path: str, token: str, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
    return api.session.request(method, f"{api.base_url}{path}", headers=headers, timeout=30, **kwargs)


def put_csv(api: ApiClient, portfolio_id: str, body: str, token: str = "team-a", **params: str) -> requests.Response:
    return raw(
        api,
        "PUT",
        f"/v1/portfolios/{portfolio_id}",
        token,
        data=body.encode(),
        params=params,
        headers={"Content-Type": "text/csv"},
    )


def test_a_csv_upload_round_trips_and_scores_company_sourcing(api: ApiClient) -> None:
    portfolio_id = new_id()
    created = put_csv(api, portfolio_id, CSV_BODY, name="Battery plant", currency="EUR")
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["name"], body["currency"], len(body["items"])) == ("Battery plant", "EUR", 3)
    assert body["items"][0]["material"] == "cobalt" and body["items"][0]["stage"] == "processing"

    as_csv = raw(api, "GET", f"/v1/portfolios/{portfolio_id}", "team-a", headers={"Accept": "text/csv"})
    assert as_csv.status_code == 200 and as_csv.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [r["sourcing"] for r in rows] == ["CD:0.7;FI:0.3", "", ""]
    assert rows[1]["supplier_country"] == "AU"

    # the spreadsheet GET returned goes back in unchanged: same items, nothing changes (version stays 1)
    again = put_csv(api, portfolio_id, as_csv.text, name="Battery plant", currency="EUR", **{})
    assert again.status_code == 409  # a replace needs the version (If-Match), like JSON
    replaced = raw(
        api,
        "PUT",
        f"/v1/portfolios/{portfolio_id}?name=Battery%20plant&currency=EUR",
        "team-a",
        data=as_csv.text.encode(),
        headers={"Content-Type": "text/csv", "If-Match": '"1"'},
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["items"] == body["items"] and replaced.json()["version"] == 1

    risk = api.get(f"/v1/portfolios/{portfolio_id}/risk", token="team-a")
    assert risk.status == 200, risk.body
    lines = {line["material"]: line for line in risk.body["items"]}
    assert lines["cobalt"]["company_sourced"] and lines["dysprosium"]["company_sourced"]
    assert not lines["copper"]["company_sourced"]
    assert lines["copper"]["company_score"] == lines["copper"]["score"] and lines["copper"]["score_difference"] == 0
    cobalt = lines["cobalt"]
    assert cobalt["score_difference"] == round(cobalt["company_score"] - cobalt["score"], 4)
    assert {d["basis"] for d in cobalt["company_drivers"]} <= {"company", "national", "company+national", "world"}
    assert risk.body["company"]["spend_weighted_score"] == round(
        risk.body["spend_weighted_score"] + risk.body["company_difference"], 4
    )


def test_a_json_portfolio_with_sourcing_round_trips(api: ApiClient) -> None:
    portfolio_id = new_id()
    item = {
        "material": "cobalt",
        "importer": "KR",
        "annual_spend": 5.0,
        "sourcing": {"processing": [{"country": "CD", "share": 0.5}, {"country": "FI", "share": 0.3}]},
    }
    created = api.put(f"/v1/portfolios/{portfolio_id}", {"name": "x", "items": [item]}, token="team-a")
    assert created.status == 201, created.body
    read = api.get(f"/v1/portfolios/{portfolio_id}", token="team-a")
    assert read.body == created.body
    back_body = {k: read.body[k] for k in ("name", "currency", "items", "version")}
    back = api.put(f"/v1/portfolios/{portfolio_id}", back_body, token="team-a")
    assert back.status == 200, back.body
    assert back.body == read.body  # unchanged: same version, same items


def test_a_csv_with_a_bad_row_is_a_422_naming_the_row_and_stores_nothing(api: ApiClient) -> None:
    portfolio_id = new_id()
    bad = CSV_BODY + "cobalt,,DE,12,x,,,CD:0.8;FI:0.4\r\n" + ",252400,DE,1,asbestos,,,\r\n"
    answer = put_csv(api, portfolio_id, bad)
    assert answer.status_code == 422, answer.text
    error = answer.json()
    assert set(error) == {"error", "message", "details"}
    fields = {d["field"] for d in error["details"]}
    assert "row 5.sourcing" in fields and "row 6.hs_code" in fields
    assert api.get(f"/v1/portfolios/{portfolio_id}", token="team-a").status == 404

    not_a_number = put_csv(api, portfolio_id, "material,importer,annual_spend\r\ncobalt,DE,lots\r\n")
    assert not_a_number.status_code == 422
    assert not_a_number.json()["details"][0]["field"] == "row 2.annual_spend"
    assert api.get(f"/v1/portfolios/{portfolio_id}", token="team-a").status == 404


def test_the_risk_history_is_per_day_and_national_json_and_csv(api: ApiClient) -> None:
    portfolio_id = new_id()
    assert put_csv(api, portfolio_id, CSV_BODY).status_code == 201
    history = api.get(f"/v1/portfolios/{portfolio_id}/risk/history", token="team-a")
    assert history.status == 200, history.body
    assert history.body["basis"] == "national"
    for day in history.body["days"]:
        assert day["max_score"] >= day["spend_weighted_score"]
    as_csv = raw(api, "GET", f"/v1/portfolios/{portfolio_id}/risk/history", "team-a", headers={"Accept": "text/csv"})
    assert as_csv.status_code == 200 and as_csv.text.startswith("day,spend_weighted_score,max_score")
    wrong_way = api.get(
        f"/v1/portfolios/{portfolio_id}/risk/history", token="team-a", params={"from": "2026-05-02", "to": "2026-05-01"}
    )
    assert wrong_way.status == 422 and "from" in wrong_way.error_fields()


def test_the_new_routes_are_tenant_isolated_and_scoped(api: ApiClient) -> None:
    portfolio_id = new_id()
    assert put_csv(api, portfolio_id, CSV_BODY).status_code == 201
    for path in (f"/v1/portfolios/{portfolio_id}/risk/history", f"/v1/portfolios/{portfolio_id}/risk"):
        assert api.get(path, token="team-b").status == 404
        assert api.get(path, token="dev-reader").status == 403
        assert api.get(path, token=None).status == 401
    other = raw(api, "GET", f"/v1/portfolios/{portfolio_id}", "team-b", headers={"Accept": "text/csv"})
    assert other.status_code == 404
    hijack = put_csv(api, portfolio_id, CSV_BODY, token="team-b")
    assert hijack.status_code == 201  # team-b's own portfolio of that id: team-a's is untouched
    mine = api.get(f"/v1/portfolios/{portfolio_id}", token="team-a")
    assert mine.status == 200 and mine.body["version"] == 1
    assert put_csv(api, portfolio_id, CSV_BODY, token="dev-reader").status_code == 403
