"""The read API's real handler on the seeded table: every route, its filters, pagination and errors.

tests/local_stack re-runs this module against DynamoDB Local.
"""

from __future__ import annotations

from typing import Any

import pytest

from shared.domain.models import Band
from tests.support import SEED_AS_OF, api_event, call


def get(handler, path, query=None, **kwargs):
    return call(handler, api_event("GET", path, query, **kwargs))


def test_health(read_api):
    result = get(read_api, "/v1/health")
    assert result.status == 200
    assert result.body["status"] == "ok"


def test_score_has_the_documented_fields(read_api):
    result = get(read_api, "/v1/scores/JP/dysprosium")
    assert result.status == 200
    body = result.body
    for field in (
        "importer",
        "material",
        "score",
        "band",
        "components",
        "contributions",
        "drivers",
        "confidence",
        "model_version",
        "inputs_hash",
        "computed_at",
    ):
        assert field in body, field
    assert set(body["components"]) >= {
        "supply_risk",
        "concentration",
        "import_reliance",
        "site_concentration",
        "policy_pressure",
    }
    assert sum(body["contributions"].values()) == pytest.approx(body["score"], abs=1e-6)
    assert body["computed_at"].startswith(SEED_AS_OF.strftime("%Y-%m-%dT%H:%M:%S"))
    assert body["drivers"][0]["points"] >= body["drivers"][-1]["points"]
    assert all(d["source"] for d in body["drivers"])


def test_japan_dysprosium_is_critical_and_above_the_united_states(read_api):
    jp = get(read_api, "/v1/scores/JP/dysprosium").body
    us = get(read_api, "/v1/scores/US/dysprosium").body
    assert jp["band"] == "critical"
    assert jp["score"] > us["score"]
    assert "CN-2026-JP-LICENCE-STALL" in jp["signal_ids"]
    assert "CN-2026-JP-LICENCE-STALL" not in us["signal_ids"]
    assert any("China" in d["text"] and "100%" in d["text"] for d in jp["drivers"])


def test_codes_are_case_insensitive_and_canonical_on_output(read_api):
    result = get(read_api, "/v1/scores/jp/DYSPROSIUM")
    assert result.status == 200
    assert (result.body["importer"], result.body["material"]) == ("JP", "dysprosium")


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/scores/XX/dysprosium", "importer"),
        ("/v1/scores/JP/unobtainium", "material"),
        ("/v1/materials/unobtainium", "material"),
        ("/v1/importers/QQ/scores", "importer"),
        ("/v1/materials/unobtainium/scores", "material"),
        ("/v1/scores/JP/unobtainium/history", "material"),
    ],
)
def test_unknown_ids_are_404_naming_the_field(read_api, path, field):
    result = get(read_api, path)
    assert result.status == 404
    assert result.body["error"] == "not_found"
    assert result.body["details"][0]["field"] == field


def test_valid_but_unscored_importer_is_404_with_a_reason(read_api):
    result = get(read_api, "/v1/scores/NZ/dysprosium")
    assert result.status == 404
    assert "not scored" in result.body["message"]


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/v1/importers/JP/scores", {"limit": "0"}, "limit"),
        ("/v1/importers/JP/scores", {"limit": "abc"}, "limit"),
        ("/v1/importers/JP/scores", {"band": "apocalyptic"}, "band"),
        ("/v1/importers/JP/scores", {"min_score": "101"}, "min_score"),
        ("/v1/importers/JP/scores", {"cursor": "not-a-cursor"}, "cursor"),
        ("/v1/scores/JPN/dysprosium", None, "importer"),
        ("/v1/scores/JP/dysprosium/history", {"from": "yesterday"}, "from"),
        ("/v1/signals", {"status": "rumoured"}, "status"),
        ("/v1/signals", {"issuer": "China"}, "issuer"),
        ("/v1/signals", {"target": "AA"}, "target"),
        ("/v1/signals", {"issuer": "ZZ"}, "issuer"),
    ],
)
def test_invalid_input_is_422_naming_the_field(read_api, path, query, field):
    result = get(read_api, path, query)
    assert result.status == 422, result.body
    assert result.body["error"] in {"validation_error", "invalid_input"}
    assert field in {d["field"] for d in result.body["details"]}


def test_unknown_route_is_a_json_404(read_api):
    result = get(read_api, "/v1/nothing-here")
    assert result.status == 404
    assert result.body["error"] == "not_found"


def test_importer_ranking_is_ordered_and_paginates_without_gaps(read_api, seed_data):
    seen: list[dict[str, Any]] = []
    cursor = None
    pages = 0
    while True:
        query = {"limit": "20"} | ({"cursor": cursor} if cursor else {})
        page = get(read_api, "/v1/importers/JP/scores", query)
        assert page.status == 200
        seen.extend(page.body["items"])
        pages += 1
        cursor = page.body["next_cursor"]
        if cursor is None:
            break
    materials = [item["material"] for item in seen]
    assert len(materials) == len(set(materials)) == len(seed_data.materials)
    assert pages == -(-len(seed_data.materials) // 20)
    scores = [item["score"] for item in seen]
    assert scores == sorted(scores, reverse=True)


def test_a_cursor_cannot_be_replayed_on_another_query(read_api):
    first = get(read_api, "/v1/importers/JP/scores", {"limit": "2"}).body
    result = get(read_api, "/v1/importers/US/scores", {"limit": "2", "cursor": first["next_cursor"]})
    assert result.status == 422
    assert result.body["details"][0]["field"] == "cursor"


def test_ranking_filters(read_api):
    critical = get(read_api, "/v1/importers/JP/scores", {"band": "critical", "limit": "200"}).body["items"]
    assert critical and all(i["band"] == "critical" for i in critical)
    hree = get(read_api, "/v1/importers/JP/scores", {"group": "hree", "limit": "200"}).body["items"]
    assert hree and all("hree" in i["groups"] for i in hree)
    assert any(i["material"] == "dysprosium" for i in hree)
    high_only = get(read_api, "/v1/importers/JP/scores", {"min_score": "80", "limit": "200"}).body["items"]
    assert high_only and all(i["score"] >= 80 for i in high_only)
    small_pages = get(read_api, "/v1/importers/JP/scores", {"group": "hree", "limit": "3"}).body
    assert len(small_pages["items"]) == 3 and small_pages["next_cursor"]


def test_material_ranking_across_importers(read_api):
    body = get(read_api, "/v1/materials/dysprosium/scores", {"limit": "5"}).body
    assert body["items"][0]["material"] == "dysprosium"
    importers = [i["importer"] for i in body["items"]]
    assert importers[0] == "JP"
    band_body = get(read_api, "/v1/materials/dysprosium/scores", {"band": Band.LOW.value}).body
    assert all(i["band"] == "low" for i in band_body["items"])


def test_materials_catalogue_and_profile(read_api, seed_data):
    catalogue = get(read_api, "/v1/materials").body["items"]
    assert len(catalogue) == len(seed_data.materials)
    assert [m["id"] for m in catalogue] == sorted(m["id"] for m in catalogue)
    profile = get(read_api, "/v1/materials/Neodymium").body
    assert profile["id"] == "neodymium"
    assert any(site["name"] == "Bayan Obo" for site in profile["sites"])
    assert profile["stages"]["processing"][0]["country"] == "CN"
    dysprosium = get(read_api, "/v1/materials/dysprosium").body
    active = {s["id"] for s in dysprosium["active_signals"]}
    assert "CN-2025-18" in active
    assert "CN-2010-JP-EMBARGO" not in active  # lifted in 2010: decayed away


def test_signals_feed_filters(read_api):
    all_signals = get(read_api, "/v1/signals").body["items"]
    assert len(all_signals) >= 5
    announced = [s["announced"] for s in all_signals]
    assert announced == sorted(announced, reverse=True)
    for_japan = get(read_api, "/v1/signals", {"target": "jp"}).body["items"]
    assert {"CN-2026-JP-LICENCE-STALL", "CN-2025-18"} <= {s["id"] for s in for_japan}
    assert all("JP" in s["targets"] or "ALL" in s["targets"] for s in for_japan)
    dysprosium = get(read_api, "/v1/signals", {"material": "dysprosium"}).body["items"]
    assert "CN-2010-JP-EMBARGO" in {s["id"] for s in dysprosium}  # via the rare_earths group
    reported = get(read_api, "/v1/signals", {"status": "reported"}).body["items"]
    assert reported and all(s["status"] == "reported" for s in reported)
    none = get(read_api, "/v1/signals", {"issuer": "AU"}).body["items"]
    assert none == []


def test_history_has_the_seeded_run(read_api):
    body = get(read_api, "/v1/scores/JP/dysprosium/history").body
    assert len(body["items"]) == 1
    assert body["items"][0]["at"].startswith("2026-11-28T02:00:00")
    empty = get(read_api, "/v1/scores/JP/dysprosium/history", {"from": "2027-01-01T00:00:00Z"}).body
    assert empty["items"] == []


@pytest.mark.parametrize(
    ("query", "rows"),
    [
        ({"from": "2026-11-28T02:00:00Z"}, 1),
        ({"from": "2026-11-28T12:00:00+10:00"}, 1),  # the same instant
        ({"from": "2026-11-28T02:00:00"}, 1),  # no offset: UTC
        ({"from": "2026-11-28T12:00:01+10:00"}, 0),  # a second later
        ({"to": "2026-11-28T02:00:00Z"}, 1),
        ({"to": "2026-11-27T21:00:00-05:00"}, 1),  # the same instant
        ({"to": "2026-11-28T01:59:59"}, 0),
        ({"to": "2026-11-27T20:59:59-05:00"}, 0),
        ({"from": "2026-11-28T11:00:00+09:00", "to": "2026-11-27T18:00:00-08:00"}, 1),
    ],
)
def test_history_bounds_compare_instants_not_text(read_api, query, rows):
    body = get(read_api, "/v1/scores/JP/dysprosium/history", query).body
    assert len(body["items"]) == rows, body


def test_a_body_that_is_not_json_is_415(read_api):
    event = api_event("POST", "/v1/scores/batch", body="pairs=JP", headers={"Content-Type": "text/plain"})
    result = call(read_api, event)
    assert result.status == 415, result.body
    assert result.body["error"] == "unsupported_media_type"
