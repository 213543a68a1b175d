"""Portfolio API on moto with the real handlers: versioned CRUD, pagination, tenant isolation, validation, the
413 body limit, aggregated risk and its CSV export.

Portfolios are written, so the module has its own table (real seed data, scored for a few importers); every test
uses its own tenant ids, so tests do not see each other's portfolios.
"""

from __future__ import annotations

import csv
import io
import json
import random
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from functions.portfolio_api.app import RISK_CSV_COLUMNS
from shared.adapters.dynamodb_repository import DynamoRiskRepository
from shared.adapters.seed_files import read_seed
from shared.domain.errors import TooLargeError
from shared.domain.models import Band
from shared.domain.portfolio import Portfolio
from shared.domain.scoring import band_for
from shared.http import MAX_BODY_BYTES
from shared.services.rescoring import rescore_all
from shared.services.seeding import seed_reference_data
from tests.conftest import point_handlers_at
from tests.support import ADMIN, PORTFOLIO, READ, SEED_AS_OF, ApiResult, api_event, call, create_table

SCORED = ("EU", "JP", "US", "DE")


@pytest.fixture(scope="module")
def portfolio_table(dynamodb_client: Any) -> Iterator[str]:
    name = create_table(dynamodb_client)
    repo = DynamoRiskRepository(name, dynamodb_client)
    seed_reference_data(repo, read_seed())
    rescore_all(repo, SEED_AS_OF, importers=SCORED)
    yield name
    dynamodb_client.delete_table(TableName=name)


@dataclass(frozen=True)
class Api:
    portfolio_handler: Any
    read_handler: Any

    def portfolio(self, method: str, path: str, tenant: str, body: Any = None, **kwargs: Any) -> ApiResult:
        event = api_event(method, path, body=body, scopes=(READ, PORTFOLIO), client_id=tenant, **kwargs)
        return call(self.portfolio_handler, event)

    def put(self, tenant: str, portfolio_id: str, body: Any, **kwargs: Any) -> ApiResult:
        return self.portfolio("PUT", f"/v1/portfolios/{portfolio_id}", tenant, body, **kwargs)

    def get(self, tenant: str, portfolio_id: str) -> ApiResult:
        return self.portfolio("GET", f"/v1/portfolios/{portfolio_id}", tenant)

    def delete(self, tenant: str, portfolio_id: str, **kwargs: Any) -> ApiResult:
        return self.portfolio("DELETE", f"/v1/portfolios/{portfolio_id}", tenant, **kwargs)

    def risk(self, tenant: str, portfolio_id: str, **kwargs: Any) -> ApiResult:
        return self.portfolio("GET", f"/v1/portfolios/{portfolio_id}/risk", tenant, **kwargs)

    def list(self, tenant: str, query: dict[str, str] | None = None) -> ApiResult:
        return self.portfolio("GET", "/v1/portfolios", tenant, query=query)

    def scenario(self, tenant: str, body: Any) -> ApiResult:
        event = api_event("POST", "/v1/scenarios", body=body, scopes=(READ, PORTFOLIO), client_id=tenant)
        return call(self.read_handler, event)

    def score(self, importer: str, material: str) -> ApiResult:
        return call(self.read_handler, api_event("GET", f"/v1/scores/{importer}/{material}"))

    def material(self, material: str) -> ApiResult:
        return call(self.read_handler, api_event("GET", f"/v1/materials/{material}"))

    def put_material(self, material: str, body: Any) -> ApiResult:
        from functions.admin_api.app import lambda_handler as admin_handler

        return call(admin_handler, api_event("PUT", f"/v1/materials/{material}", body=body, scopes=(ADMIN,)))


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch, portfolio_table: str, dynamodb_endpoint: str | None) -> Api:
    point_handlers_at(monkeypatch, portfolio_table, dynamodb_endpoint)
    from functions.portfolio_api.app import lambda_handler as portfolio_handler
    from functions.read_api.app import lambda_handler as read_handler

    return Api(portfolio_handler, read_handler)


@pytest.fixture
def team_a() -> str:
    return f"team-a-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def team_b() -> str:
    return f"team-b-{uuid.uuid4().hex[:8]}"


def item(material: str, importer: str = "JP", spend: float = 1000.0, **extra: Any) -> dict[str, Any]:
    return {"material": material, "importer": importer, "annual_spend": spend, **extra}


def body(name: str = "Magnet plant", items: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "currency": "USD",
        "items": items if items is not None else [item("dysprosium", spend=250_000.0, part="rotor magnet")],
        **extra,
    }


def assert_conflict(result: ApiResult) -> None:
    assert result.status == 409, result.body
    assert result.body["error"] == "version_conflict"
    assert [d["field"] for d in result.body["details"]] == ["version"]


def same_answer_for(answer: Any, probed_id: str, other_id: str) -> Any:
    """An error body for one id, as it reads for another (ids appear in messages)."""
    return json.loads(json.dumps(answer).replace(probed_id, other_id))


def assert_not_found(result: ApiResult) -> None:
    assert result.status == 404, result.body
    assert result.body["error"] == "not_found"


# --- create, read, replace, delete ----------------------------------------------------------------------------


def test_create_returns_201_with_an_etag_and_get_returns_it(api, team_a):
    created = api.put(team_a, "magnets", body())
    assert created.status == 201, created.body
    assert created.headers["ETag"] == '"1"'
    assert created.body["id"] == "magnets"
    assert created.body["version"] == 1
    assert "tenant" not in created.body
    assert created.body["items"] == [
        {
            "material": "dysprosium",
            "importer": "JP",
            "annual_spend": 250_000.0,
            "currency": None,
            "part": "rotor magnet",
            "supplier": None,
            "hs_code": None,
            "stage": None,
            "sourcing": None,
            "supplier_country": None,
        }
    ]
    read = api.get(team_a, "magnets")
    assert read.status == 200
    assert read.body == created.body


def test_codes_are_stored_canonical(api, team_a):
    created = api.put(team_a, "canon", body(items=[item("Dysprosium", importer="jp")]))
    assert created.status == 201, created.body
    assert (created.body["items"][0]["material"], created.body["items"][0]["importer"]) == ("dysprosium", "JP")


def test_replace_with_the_current_version_bumps_it(api, team_a):
    api.put(team_a, "magnets", body())
    replaced = api.put(team_a, "magnets", body(name="Magnet plant 2", version=1))
    assert replaced.status == 200, replaced.body
    assert (replaced.body["version"], replaced.headers["ETag"]) == (2, '"2"')
    assert api.get(team_a, "magnets").body == replaced.body

    via_if_match = api.put(team_a, "magnets", body(name="Magnet plant 3"), headers={"If-Match": 'W/"2"'})
    assert via_if_match.status == 200, via_if_match.body
    assert via_if_match.body["version"] == 3


def test_a_stale_version_is_409_and_changes_nothing(api, team_a):
    api.put(team_a, "magnets", body())
    current = api.put(team_a, "magnets", body(name="v2", version=1)).body
    stale = api.put(team_a, "magnets", body(name="lost update", version=1))
    assert_conflict(stale)
    stale_if_match = api.put(team_a, "magnets", body(name="lost update"), headers={"If-Match": '"1"'})
    assert_conflict(stale_if_match)
    assert api.get(team_a, "magnets").body == current


def test_replacing_without_a_version_is_409_and_changes_nothing(api, team_a):
    created = api.put(team_a, "magnets", body()).body
    result = api.put(team_a, "magnets", body(name="blind overwrite"))
    assert_conflict(result)
    assert "version 1" in result.body["message"]
    assert api.get(team_a, "magnets").body == created


def test_the_same_body_twice_keeps_the_version(api, team_a):
    created = api.put(team_a, "magnets", body()).body
    again = api.put(team_a, "magnets", body(version=1))
    assert again.status == 200, again.body
    assert again.body == created  # same version, same updated_at: nothing was written
    assert again.headers["ETag"] == '"1"'


def test_delete_is_204_then_the_portfolio_is_gone(api, team_a):
    api.put(team_a, "magnets", body())
    deleted = api.delete(team_a, "magnets")
    assert deleted.status == 204
    assert not deleted.body
    assert_not_found(api.get(team_a, "magnets"))
    assert_not_found(api.risk(team_a, "magnets"))
    assert_not_found(api.delete(team_a, "magnets"))
    # the id can be created again, from version 1
    assert api.put(team_a, "magnets", body()).body["version"] == 1


def test_deleting_an_unknown_portfolio_is_404(api, team_a):
    result = api.delete(team_a, "never-existed")
    assert_not_found(result)
    assert result.body["details"][0]["field"] == "portfolio_id"


def test_delete_with_a_stale_if_match_is_409_and_keeps_it(api, team_a):
    api.put(team_a, "magnets", body())
    current = api.put(team_a, "magnets", body(name="v2", version=1)).body
    assert_conflict(api.delete(team_a, "magnets", headers={"If-Match": '"1"'}))
    assert api.get(team_a, "magnets").body == current
    assert api.delete(team_a, "magnets", headers={"If-Match": '"2"'}).status == 204


# --- listing ---------------------------------------------------------------------------------------------------


def test_list_paginates_with_a_cursor_and_shows_only_the_callers_portfolios(api, team_a, team_b):
    ids = [f"p{i}" for i in range(5)]
    for i, portfolio_id in enumerate(ids):
        assert api.put(team_a, portfolio_id, body(name=f"Plant {i}", items=[item("copper")] * (i + 1))).status == 201
    assert api.put(team_b, "theirs", body()).status == 201

    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = api.list(team_a, {"limit": "2"} | ({"cursor": cursor} if cursor else {}))
        assert page.status == 200, page.body
        assert len(page.body["items"]) <= 2
        seen.extend(page.body["items"])
        pages += 1
        cursor = page.body["next_cursor"]
        if cursor is None:
            break
        assert pages < 10, "pagination does not end"
    assert pages == 3
    assert sorted(p["id"] for p in seen) == ids  # no duplicates, nothing missing, nothing of team-b's
    first = next(p for p in seen if p["id"] == "p0")
    assert {k: first[k] for k in ("name", "currency", "item_count", "version")} == {
        "name": "Plant 0",
        "currency": "USD",
        "item_count": 1,
        "version": 1,
    }
    assert next(p for p in seen if p["id"] == "p4")["item_count"] == 5

    theirs = api.list(team_b).body
    assert [p["id"] for p in theirs["items"]] == ["theirs"]
    assert theirs["next_cursor"] is None


def test_a_cursor_from_another_tenant_is_refused(api, team_a, team_b):
    for portfolio_id in ("a1", "a2", "a3"):
        api.put(team_a, portfolio_id, body())
    cursor = api.list(team_a, {"limit": "1"}).body["next_cursor"]
    assert cursor
    result = api.list(team_b, {"limit": "1", "cursor": cursor})
    assert result.status == 422, result.body
    assert result.body["details"][0]["field"] == "cursor"


def test_an_empty_list(api, team_a):
    result = api.list(team_a)
    assert result.status == 200
    assert result.body == {"items": [], "next_cursor": None}


# --- tenant isolation ------------------------------------------------------------------------------------------


def test_another_tenant_cannot_see_or_touch_a_portfolio(api, team_a, team_b):
    created = api.put(team_a, "secret", body(name="Team A plant")).body
    never = f"never-{uuid.uuid4().hex[:6]}"

    for result in (
        api.get(team_b, "secret"),
        api.risk(team_b, "secret"),
        api.risk(team_b, "secret", headers={"Accept": "text/csv"}),
        api.delete(team_b, "secret"),
        api.delete(team_b, "secret", headers={"If-Match": '"1"'}),
        api.scenario(team_b, {"changes": [], "portfolio_id": "secret"}),
    ):
        assert_not_found(result)
        assert "Team A" not in str(result.body)
    # the answers are exactly those for an id nobody has: nothing tells team-b that "secret" exists
    for probe in (api.get, api.risk, api.delete):
        assert probe(team_b, "secret").body == same_answer_for(probe(team_b, never).body, never, "secret")
    assert api.list(team_b).body == {"items": [], "next_cursor": None}

    # A replace (with team-a's version) addresses team-b's own, empty, namespace: the same refusal as for an id
    # nobody has (never 403, never a write to team-a's portfolio).
    replace = api.put(team_b, "secret", body(name="hijacked", version=1))
    replace_never = api.put(team_b, never, body(name="hijacked", version=1))
    assert replace.status == replace_never.status
    assert replace.status in (404, 409), replace.body
    assert replace.body == same_answer_for(replace_never.body, never, "secret")

    # Without a version team-b simply creates its own portfolio under the same id; team-a's is a different item.
    own = api.put(team_b, "secret", body(name="Team B plant", items=[item("copper", importer="US")]))
    assert own.status == 201, own.body
    assert api.get(team_b, "secret").body["name"] == "Team B plant"
    assert api.delete(team_b, "secret").status == 204

    assert api.get(team_a, "secret").body == created
    assert [p["id"] for p in api.list(team_a).body["items"]] == ["secret"]
    assert api.risk(team_a, "secret").status == 200


# --- validation and the body limit -----------------------------------------------------------------------------


def test_more_than_1000_items_is_422_naming_items(api, team_a):
    result = api.put(team_a, "big", body(items=[item("copper")] * 1001))
    assert result.status == 422, result.body
    assert "items" in {d["field"] for d in result.body["details"]}
    assert_not_found(api.get(team_a, "big"))
    assert api.put(team_a, "big", body(items=[item("copper")] * 1000)).status == 201


def test_unknown_materials_are_422_listing_every_row_and_nothing_is_stored(api, team_a):
    items = [item("dysprosium"), item("unobtainium"), item("rare_earths"), item("kryptonite"), item("copper")]
    result = api.put(team_a, "typos", body(items=items))
    assert result.status == 422, result.body
    assert result.body["error"] == "invalid_input"
    assert [d["field"] for d in result.body["details"]] == ["items.1.material", "items.3.material"]
    assert "unobtainium" in result.body["details"][0]["message"]
    assert "kryptonite" in result.body["details"][1]["message"]
    assert "nothing was stored" in result.body["message"]
    assert_not_found(api.get(team_a, "typos"))


def test_unknown_materials_on_replace_keep_the_stored_portfolio(api, team_a):
    created = api.put(team_a, "magnets", body()).body
    result = api.put(team_a, "magnets", body(items=[item("unobtainium")], version=1))
    assert result.status == 422
    assert api.get(team_a, "magnets").body == created


def test_an_unknown_importer_is_422_naming_the_row(api, team_a):
    result = api.put(team_a, "bad-importer", body(items=[item("copper"), item("copper", importer="QQ")]))
    assert result.status == 422, result.body
    assert "items.1.importer" in {d["field"] for d in result.body["details"]}
    assert_not_found(api.get(team_a, "bad-importer"))


def test_an_item_in_another_currency_is_422(api, team_a):
    result = api.put(team_a, "fx", body(items=[item("copper", currency="USD"), item("copper", currency="EUR")]))
    assert result.status == 422, result.body
    assert result.body["details"][0]["field"] == "items.1.currency"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"currency": "usd"}, "currency"),
        ({"items": [item("copper", spend=-1.0)]}, "items.0.annual_spend"),
        ({"surprise": True}, "surprise"),
    ],
)
def test_invalid_bodies_are_422_naming_the_field(api, team_a, change, field):
    result = api.put(team_a, "invalid", {**body(), **change})
    assert result.status == 422, result.body
    assert field in {d["field"] for d in result.body["details"]}


def test_a_body_over_the_limit_is_413_json(api, team_a):
    padding = "x" * 600
    items = [item("copper", part=padding, supplier=padding) for _ in range(1000)]
    oversized = json.dumps(body(items=items))
    assert len(oversized.encode()) > MAX_BODY_BYTES
    result = api.put(team_a, "huge", oversized)
    assert result.status == 413
    assert result.headers["Content-Type"].startswith("application/json")
    assert result.body["error"] == "payload_too_large"
    assert_not_found(api.get(team_a, "huge"))


def test_the_body_limit_counts_bytes_and_is_checked_before_validation(api, team_a):
    base = json.dumps(body(name=""))
    at_limit = base.replace('"name": ""', '"name": "' + "x" * (MAX_BODY_BYTES - len(base.encode())) + '"')
    assert len(at_limit.encode()) == MAX_BODY_BYTES
    assert api.put(team_a, "limit", at_limit).status == 422  # within the limit, so parsed: the name is too long
    over = at_limit.replace("x", "\u00e9", 1)  # same number of characters, one byte more in UTF-8
    assert len(over) == len(at_limit) and len(over.encode()) == MAX_BODY_BYTES + 1
    assert api.put(team_a, "limit", over).status == 413


# --- risk -------------------------------------------------------------------------------------------------------

RISK_ITEMS = [
    item("dysprosium", spend=500_000.0, part="rotor magnet", supplier="Shin-Etsu"),
    item("neodymium", spend=300_000.0, part="rotor magnet"),
    item("copper", spend=200_000.0, part="windings"),
    item("rare_earths", importer="DE", spend=160_000.0, part="catalyst"),
]


def test_portfolio_risk_aggregates_the_stored_scores(api, team_a):
    assert api.put(team_a, "motors", body(name="Motor plant", items=RISK_ITEMS)).status == 201
    result = api.risk(team_a, "motors")
    assert result.status == 200, result.body
    risk = result.body
    lines = risk["items"]
    assert (risk["portfolio_id"], risk["name"], risk["currency"]) == ("motors", "Motor plant", "USD")

    rare_earths = [m.id for m in read_seed().materials if "rare_earths" in m.groups]
    assert len(lines) == 3 + len(rare_earths)
    group_lines = [line for line in lines if line["via_group"] == "rare_earths"]
    assert sorted(line["material"] for line in group_lines) == sorted(rare_earths)
    assert {line["importer"] for line in group_lines} == {"DE"}
    assert {line["annual_spend"] for line in group_lines} == {round(160_000.0 / len(rare_earths), 2)}

    # every line carries the stored score (GET /v1/scores), nothing was scored live
    assert risk["live_scored_lines"] == 0
    for line in lines:
        stored = api.score(line["importer"], line["material"]).body
        assert (line["score"], line["band"], line["confidence"]) == (
            stored["score"],
            stored["band"],
            stored["confidence"],
        )
        assert line["top_driver"] == stored["drivers"][0]["text"]
        assert line["risk_spend"] == pytest.approx(line["annual_spend"] * line["score"] / 100, abs=0.01)

    total = sum(line["annual_spend"] for line in lines)
    assert risk["total_spend"] == pytest.approx(1_160_000.0)
    assert total == pytest.approx(1_160_000.0)
    weighted = sum(line["annual_spend"] * line["score"] for line in lines) / total
    assert risk["spend_weighted_score"] == pytest.approx(weighted, abs=1e-3)
    assert risk["max_score"] == max(line["score"] for line in lines)
    assert risk["band"] == band_for(risk["spend_weighted_score"]).value
    assert risk["at_risk_spend"] == pytest.approx(
        sum(line["annual_spend"] for line in lines if line["band"] in (Band.HIGH, Band.CRITICAL)), abs=0.05
    )

    # ranked by risk x spend, largest first: JP dysprosium (critical, the largest spend) leads
    risk_spend = [line["risk_spend"] for line in lines]
    assert risk_spend == sorted(risk_spend, reverse=True)
    assert (lines[0]["material"], lines[0]["importer"], lines[0]["band"]) == ("dysprosium", "JP", "critical")
    assert (lines[0]["part"], lines[0]["supplier"]) == ("rotor magnet", "Shin-Etsu")

    drivers = risk["drivers"]
    assert drivers
    assert any("Chinese processing" in d["text"] for d in drivers)
    shares = [d["at_risk_spend_share"] for d in drivers]
    assert shares == sorted(shares, reverse=True)
    assert all(0 < s <= 1 for s in shares)
    heavy = next(d for d in drivers if "Chinese processing of heavy rare earths" in d["text"])
    assert heavy["text"].startswith(f"{heavy['at_risk_spend_share']:.0%} of your at-risk spend")


def test_an_importer_outside_the_scored_set_is_scored_live(api, team_a):
    items = [item("dysprosium", importer="JP"), item("dysprosium", importer="NZ"), item("hree", importer="NZ")]
    assert api.put(team_a, "kiwi", body(items=items)).status == 201
    result = api.risk(team_a, "kiwi")
    assert result.status == 200, result.body
    hree = [m.id for m in read_seed().materials if "hree" in m.groups]
    # every NZ line is live; NZ dysprosium is two lines (direct and via hree) of one pair
    nz = [line for line in result.body["items"] if line["importer"] == "NZ"]
    assert len(nz) == 1 + len(hree)
    assert result.body["live_scored_lines"] == len(nz)
    nz_dy = [line for line in nz if line["material"] == "dysprosium"]
    assert [line["via_group"] for line in nz_dy] in (["hree", None], [None, "hree"])
    assert nz_dy[0]["score"] == nz_dy[1]["score"]
    assert all(0 <= line["score"] <= 100 for line in nz)
    assert api.score("NZ", "dysprosium").status == 404  # nothing was stored for NZ


def test_risk_of_an_empty_portfolio(api, team_a):
    assert api.put(team_a, "empty", body(items=[])).status == 201
    risk = api.risk(team_a, "empty").body
    assert (risk["total_spend"], risk["spend_weighted_score"], risk["max_score"], risk["band"]) == (0, 0, 0, "low")
    assert (risk["items"], risk["drivers"], risk["live_scored_lines"]) == ([], [], 0)


def test_risk_as_csv_matches_the_json(api, team_a):
    items = [*RISK_ITEMS, item("copper", importer="NZ", spend=1234.5, part='bus bar, "tinned"')]
    assert api.put(team_a, "motors", body(items=items)).status == 201
    json_lines = api.risk(team_a, "motors").body["items"]
    result = api.risk(team_a, "motors", headers={"Accept": "text/csv"})
    assert result.status == 200, result.body
    assert result.headers["Content-Type"].startswith("text/csv")
    assert 'filename="motors-risk.csv"' in result.headers["Content-Disposition"]

    rows = list(csv.reader(io.StringIO(result.body, newline="")))
    assert tuple(rows[0]) == RISK_CSV_COLUMNS
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert len(records) == len(json_lines)
    numeric = {"annual_spend", "score", "risk_spend", "confidence", "company_score", "score_difference"}
    for record, line in zip(records, json_lines, strict=True):
        for column in RISK_CSV_COLUMNS:
            expected = line.get(column)  # unscored_reason: empty on scored lines
            if isinstance(expected, bool):
                assert record[column] == str(expected), column
            elif column in numeric:
                assert float(record[column]) == expected, column
            else:
                assert record[column] == ("" if expected is None else expected), column
    assert any(r["part"] == 'bus bar, "tinned"' for r in records)


def test_csv_cells_that_would_run_as_formulas_are_defused(api, team_a):
    formula = '=HYPERLINK("http://example.invalid","click")'
    assert api.put(team_a, "csv-injection", body(items=[item("copper", part=formula, supplier="+1 555")])).status == 201
    result = api.risk(team_a, "csv-injection", headers={"Accept": "text/csv"})
    row = next(csv.DictReader(io.StringIO(result.body)))
    assert row["part"] == "'" + formula
    assert row["supplier"] == "'+1 555"
    assert float(row["annual_spend"]) == 1000.0  # numbers are untouched


def test_a_portfolio_too_large_to_store_is_413_and_nothing_is_stored(fresh_repo):
    rng = random.Random(7)
    noise = lambda: "".join(chr(rng.randint(0x4E00, 0x9FFF)) for _ in range(200))  # noqa: E731 (incompressible)
    portfolio = Portfolio.parse(
        {
            "tenant": "team-a",
            "id": "huge",
            "name": "incompressible",
            "items": [item("copper", part=noise(), supplier=noise()) for _ in range(1000)],
            "updated_at": "2026-11-28T00:00:00Z",
        }
    )
    with pytest.raises(TooLargeError, match="too large to store"):
        fresh_repo.put_portfolio(portfolio, None)
    assert fresh_repo.get_portfolio("team-a", "huge") is None


@pytest.mark.parametrize(
    "cell",
    [
        " =1+1",
        "\u00a0=1+1",  # NBSP
        "\u3000@SUM(A1)",  # ideographic space
        "\uff1d1+1",  # full-width =
        "\uff0b1",
        "\uff0d1",
        "\uff20SUM(A1)",
        "  \uff1dcmd",
    ],
)
def test_csv_cells_that_would_run_as_formulas_after_whitespace_or_full_width_are_defused(api, team_a, cell):
    assert api.put(team_a, "csv-injection-2", body(items=[item("copper", part=cell, supplier="ACME")])).status in {
        200,
        201,
    }
    result = api.risk(team_a, "csv-injection-2", headers={"Accept": "text/csv"})
    row = next(csv.DictReader(io.StringIO(result.body, newline="")))
    assert row["part"] == "'" + cell  # parsed back: the cell is text, the original after the quote
    assert row["supplier"] == "ACME"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("part", "rotor\u202emagnet"),  # bidi override
        ("part", "rotor\u2066magnet\u2069"),  # bidi isolate
        ("supplier", "ACME\u200b"),  # zero-width space
        ("supplier", "\ufeffACME"),  # BOM
        ("supplier", "AC\u2060ME"),  # word joiner
        ("part", "line\nbreak"),
        ("part", "nul\x00"),
        ("supplier", "c1\x85"),
    ],
)
def test_hidden_characters_in_free_text_are_422_naming_the_field(api, team_a, field, value):
    result = api.put(team_a, "hidden", body(items=[item("copper", **{field: value})]))
    assert result.status == 422, result.body
    assert f"items.0.{field}" in {d["field"] for d in result.body["details"]}
    assert api.get(team_a, "hidden").status == 404


def test_hidden_characters_in_the_portfolio_name_are_422(api, team_a):
    result = api.put(team_a, "hidden-name", body(name="Plant\u202e1"))
    assert result.status == 422, result.body
    assert [d["field"] for d in result.body["details"]] == ["name"]


@pytest.mark.parametrize("importer", ["u\u017f", "\u0131t", "\u0130T", "J\uff30"])
def test_non_ascii_importer_codes_are_refused_not_folded(api, team_a, importer):
    """str.upper() maps the long s to S and the dotless i to I: u\u017f was stored as US before."""
    result = api.put(team_a, "unicode-importer", body(items=[item("copper", importer=importer)]))
    assert result.status == 422, result.body
    assert api.score(importer, "copper").status in {404, 422}


@pytest.mark.parametrize("currency", ["XYZ", "HRK", "usd", "XXX"])
def test_currencies_must_be_current_iso_4217_codes(api, team_a, currency):
    result = api.put(team_a, "currency", {**body(), "currency": currency})
    assert result.status == 422, result.body
    assert "currency" in {d["field"] for d in result.body["details"]}
    item_currency = api.put(team_a, "currency", body(items=[item("copper", currency=currency)]))
    assert item_currency.status == 422, item_currency.body


def test_a_current_currency_is_accepted(api, team_a):
    assert api.put(team_a, "currency-ok", {**body(), "currency": "EUR"}).status == 201


@pytest.mark.parametrize(("field", "value"), [("annual_spend", True), ("annual_spend", False), ("version", True)])
def test_booleans_are_not_numbers(api, team_a, field, value):
    doc = body(items=[item("copper", **({field: value} if field == "annual_spend" else {}))])
    if field == "version":
        doc["version"] = value
    result = api.put(team_a, "booleans", doc)
    assert result.status == 422, result.body


# --- spend whose group lost its materials (issue 12) ------------------------------------------------------------


@contextmanager
def material_in_group(api: Api, material: str, group: str) -> Iterator[Callable[[], None]]:
    """Puts `material` in `group` (a new group: no other test names it); yields a function that takes it out again,
    as an admin's material PUT would. The material leaves the group at the end in any case."""
    stored = api.material(material).body
    original = {k: v for k, v in stored.items() if k not in ("id", "active_signals", "active_signals_by_stage")}

    def put(groups: list[str]) -> None:
        current = api.material(material).body["version"]
        result = api.put_material(material, {**original, "groups": groups, "version": current})
        assert result.status == 200, result.body

    put([*original["groups"], group])
    try:
        yield lambda: put(original["groups"])
    finally:
        if group in api.material(material).body["groups"]:
            put(original["groups"])


def test_spend_on_a_group_that_lost_its_materials_is_listed_as_unscored_not_dropped(api, team_a):
    group = f"test_group_{uuid.uuid4().hex[:8]}"
    items = [item(group, spend=1000.0, part="alloy", supplier="Acme"), item("copper", spend=10.0, part="windings")]
    with material_in_group(api, "vanadium", group) as leave_group:
        assert api.put(team_a, "alloys", body(items=items)).status == 201
        before = api.risk(team_a, "alloys").body
        assert (before["total_spend"], before["scored_spend"], before["unscored_spend"]) == (1010.0, 1010.0, 0.0)
        assert before["unscored_lines"] == []
        assert {line["material"] for line in before["items"]} == {"vanadium", "copper"}

        leave_group()  # the group now has no materials: the item expands to nothing
        result = api.risk(team_a, "alloys")
        assert result.status == 200, result.body
        risk = result.body
        # the spend is still there, and said to be unscored, with why
        assert (risk["total_spend"], risk["scored_spend"], risk["unscored_spend"]) == (1010.0, 10.0, 1000.0)
        assert [line["material"] for line in risk["items"]] == ["copper"]
        assert risk["spend_weighted_score"] == risk["items"][0]["score"]
        [unscored] = risk["unscored_lines"]
        assert {k: v for k, v in unscored.items() if k != "reason"} == {
            "item_index": 0,
            "material": group,
            "importer": "JP",
            "via_group": None,
            "part": "alloy",
            "supplier": "Acme",
            "annual_spend": 1000.0,
        }
        assert f"group {group}" in unscored["reason"]

        # the CSV shows it too: after the scored lines, with the reason and its spend
        as_csv = api.risk(team_a, "alloys", headers={"Accept": "text/csv"})
        rows = list(csv.DictReader(io.StringIO(as_csv.body)))
        assert [(r["material"], r["unscored_reason"]) for r in rows] == [
            ("copper", ""),
            (group, unscored["reason"]),
        ]
        assert (float(rows[1]["annual_spend"]), rows[1]["score"], rows[1]["band"]) == (1000.0, "", "")

        # a scenario on the portfolio expands it the same way, and says so too
        scenario = api.scenario(team_a, {"changes": [], "portfolio_id": "alloys"})
        assert scenario.status == 200, scenario.body
        assert [(x["importer"], x["material"]) for x in scenario.body["items"]] == [("JP", "copper")]
        assert scenario.body["unscored_lines"] == risk["unscored_lines"]


def test_a_scenario_on_pairs_lists_nothing_unscored(api, team_a):
    result = api.scenario(team_a, {"changes": [], "pairs": [{"importer": "JP", "material": "copper"}]})
    assert result.status == 200, result.body
    assert result.body["unscored_lines"] == []
    assert len(result.body["items"]) == 1
