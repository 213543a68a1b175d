"""The read routes over HTTP against the seeded, scored local stack: documented fields, filters, pagination to the
end, case-insensitive codes, 404 for unknown importers and materials, 422 naming the bad field, 404 for unknown
paths. Nothing here writes; the values compared are the stack's own (nothing is hard-coded from the seed)."""

from __future__ import annotations

from typing import Any

import pytest

from local.stack import LocalStack
from shared.schemas import (
    HistoryPointResponse,
    HistoryResponse,
    MaterialListResponse,
    MaterialResponse,
    MaterialSummary,
    ScorePageResponse,
    ScoreResponse,
    SignalListResponse,
    SignalResponse,
)
from tests.e2e.client import ApiClient, documented

BANDS = ("low", "moderate", "high", "critical")


def materials_seeded(stack: LocalStack) -> int:
    assert stack.seed_result is not None
    return int(stack.seed_result["seeded"]["materials"])


def importers_scored(stack: LocalStack) -> int:
    assert stack.seed_result is not None
    return int(stack.seed_result["rescored"].importers)


def all_items(api: ApiClient, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every item of a paginated score list; each page and item checked against the documented models."""
    items: list[dict[str, Any]] = []
    for page in api.pages(path, params):
        documented(page.body, ScorePageResponse)
        limit = int((params or {}).get("limit", 50))
        assert len(page.body["items"]) <= limit
        items.extend(documented(item, ScoreResponse) for item in page.body["items"])
    return items


def assert_ranked(items: list[dict[str, Any]]) -> None:
    scores = [item["score"] for item in items]
    assert scores == sorted(scores, reverse=True)


# ----------------------------------------------------------------------------------------- materials


def test_materials_catalogue_lists_every_seeded_material(api: ApiClient, e2e_stack: LocalStack) -> None:
    reply = api.get("/v1/materials")
    assert reply.status == 200
    items = documented(reply.body, MaterialListResponse)["items"]
    assert len(items) == materials_seeded(e2e_stack)
    for item in items:
        documented(item, MaterialSummary)
    ids = [item["id"] for item in items]
    assert len(set(ids)) == len(ids)
    assert "dysprosium" in ids


def test_material_profile_with_active_signals_in_any_case(api: ApiClient) -> None:
    lower, mixed = api.get("/v1/materials/dysprosium"), api.get("/v1/materials/DysProsium")
    assert lower.status == mixed.status == 200
    body = documented(lower.body, MaterialResponse)
    assert mixed.body == body
    assert body["id"] == "dysprosium"
    assert "hree" in body["groups"]
    assert body["stages"] and body["version"] >= 1
    for signal in body["active_signals"]:
        documented(signal, SignalResponse)


# ----------------------------------------------------------------------------------------- scores


def test_one_score_with_components_drivers_and_provenance_in_any_case(api: ApiClient) -> None:
    upper, lower = api.get("/v1/scores/JP/dysprosium"), api.get("/v1/scores/jp/DYSPROSIUM")
    assert upper.status == lower.status == 200
    body = documented(upper.body, ScoreResponse)
    assert lower.body == body
    assert (body["importer"], body["material"]) == ("JP", "dysprosium")
    assert 0 <= body["score"] <= 100 and body["band"] in BANDS
    assert body["drivers"] and body["components"] and body["inputs_hash"] and body["model_version"]


def test_score_history_oldest_first_with_time_filters(api: ApiClient) -> None:
    reply = api.get("/v1/scores/jp/Dysprosium/history")
    assert reply.status == 200
    body = documented(reply.body, HistoryResponse)
    assert (body["importer"], body["material"]) == ("JP", "dysprosium")
    assert body["items"] and body["next_cursor"] is None
    for point in body["items"]:
        documented(point, HistoryPointResponse)
    times = [point["at"] for point in body["items"]]
    assert times == sorted(times)

    later = api.get("/v1/scores/JP/dysprosium/history", params={"from": "2999-01-01T00:00:00Z"})
    assert later.status == 200 and later.body["items"] == []
    window = api.get("/v1/scores/JP/dysprosium/history", params={"from": times[0], "to": times[-1]})
    assert [p["at"] for p in window.body["items"]] == times


def test_importer_ranking_pages_follow_next_cursor_to_the_end(api: ApiClient, e2e_stack: LocalStack) -> None:
    items = all_items(api, "/v1/importers/JP/scores", {"limit": 7})
    assert len(items) == materials_seeded(e2e_stack)  # every material is scored for a scored importer
    assert {item["importer"] for item in items} == {"JP"}
    assert len({item["material"] for item in items}) == len(items)  # no page repeats an item
    assert_ranked(items)
    one_page = api.get("/v1/importers/jp/scores", params={"limit": 200})
    assert [i["material"] for i in one_page.body["items"]] == [i["material"] for i in items]
    assert one_page.body["next_cursor"] is None


@pytest.mark.parametrize(
    ("params", "keep"),
    [
        ({"band": "critical"}, lambda item: item["band"] == "critical"),
        ({"band": "moderate"}, lambda item: item["band"] == "moderate"),
        ({"min_score": 50}, lambda item: item["score"] >= 50),
        ({"group": "hree"}, lambda item: "hree" in item["groups"]),
        (
            {"group": "rare_earths", "min_score": 40},
            lambda item: "rare_earths" in item["groups"] and item["score"] >= 40,
        ),
    ],
    ids=["band=critical", "band=moderate", "min_score", "group", "group+min_score"],
)
def test_importer_ranking_filters_page_through_exactly_the_matching_scores(
    api: ApiClient, params: dict[str, Any], keep: Any
) -> None:
    everything = all_items(api, "/v1/importers/JP/scores", {"limit": 200})
    filtered = all_items(api, "/v1/importers/JP/scores", {**params, "limit": 5})
    expected = [item["material"] for item in everything if keep(item)]
    assert expected, f"the seed has no JP score matching {params}: pick another filter"
    assert sorted(item["material"] for item in filtered) == sorted(expected)
    assert all(keep(item) for item in filtered)
    assert_ranked(filtered)


def test_material_ranking_covers_every_scored_importer(api: ApiClient, e2e_stack: LocalStack) -> None:
    items = all_items(api, "/v1/materials/DYSPROSIUM/scores", {"limit": 4})
    assert len(items) == importers_scored(e2e_stack)
    assert {item["material"] for item in items} == {"dysprosium"}
    assert len({item["importer"] for item in items}) == len(items)
    assert_ranked(items)
    critical = all_items(api, "/v1/materials/dysprosium/scores", {"band": "critical", "limit": 3})
    assert sorted(i["importer"] for i in critical) == sorted(i["importer"] for i in items if i["band"] == "critical")


# ----------------------------------------------------------------------------------------- signals


def test_signal_feed_newest_first_with_filters_in_any_case(api: ApiClient) -> None:
    reply = api.get("/v1/signals")
    assert reply.status == 200
    signals = [documented(s, SignalResponse) for s in documented(reply.body, SignalListResponse)["items"]]
    assert len(signals) >= 10
    assert [(s["announced"], s["id"]) for s in signals] == sorted(
        ((s["announced"], s["id"]) for s in signals), reverse=True
    )

    def ids(params: dict[str, str]) -> list[str]:
        filtered = api.get("/v1/signals", params=params)
        assert filtered.status == 200, filtered.body
        return [s["id"] for s in filtered.body["items"]]

    by_target = [s["id"] for s in signals if "JP" in s["targets"] or "ALL" in s["targets"]]
    assert by_target and ids({"target": "JP"}) == ids({"target": "jp"}) == by_target
    by_issuer = [s["id"] for s in signals if s["issuer"] == "CN"]
    assert by_issuer and ids({"issuer": "cn"}) == by_issuer
    in_force = [s["id"] for s in signals if s["status"] == "in_force"]
    assert ids({"status": "in_force"}) == in_force
    both = [s for s in by_issuer if s in in_force]
    assert ids({"issuer": "CN", "status": "in_force"}) == both
    assert ids({"material": "Dysprosium"}) == ids({"material": "dysprosium"})
    assert ids({"material": "dysprosium"})


# ----------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/materials/unobtainium", "material"),
        ("/v1/materials/unobtainium/scores", "material"),
        ("/v1/scores/JP/unobtainium", "material"),
        ("/v1/scores/JP/unobtainium/history", "material"),
        ("/v1/scores/ZZ/dysprosium", "importer"),
        ("/v1/scores/zz/dysprosium/history", "importer"),
        ("/v1/importers/ZZ/scores", "importer"),
    ],
)
def test_unknown_importer_or_material_is_404_naming_it(api: ApiClient, path: str, field: str) -> None:
    reply = api.get(path)
    assert reply.status == 404, reply.body
    assert reply.error()["error"] == "not_found"
    assert field in reply.error_fields()


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/importers/JP/scores", {"limit": "0"}, "limit"),
        ("/v1/importers/JP/scores", {"limit": "201"}, "limit"),
        ("/v1/importers/JP/scores", {"limit": "ten"}, "limit"),
        ("/v1/importers/JP/scores", {"band": "purple"}, "band"),
        ("/v1/importers/JP/scores", {"min_score": "101"}, "min_score"),
        ("/v1/importers/JP/scores", {"min_score": "high"}, "min_score"),
        ("/v1/importers/JP/scores", {"group": "no such group!"}, "group"),
        ("/v1/importers/JP/scores", {"cursor": "not-a-cursor"}, "cursor"),
        ("/v1/materials/dysprosium/scores", {"limit": "-1"}, "limit"),
        ("/v1/scores/JP/dysprosium/history", {"from": "yesterday"}, "from"),
        ("/v1/scores/JP/dysprosium/history", {"limit": "1001"}, "limit"),
        ("/v1/signals", {"status": "rumoured"}, "status"),
        ("/v1/signals", {"issuer": "CHN"}, "issuer"),
        ("/v1/scores/J/dysprosium", None, "importer"),
        ("/v1/materials/9lives", None, "material"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_bad_query_or_path_values_are_422_naming_the_field(
    api: ApiClient, path: str, params: dict[str, str] | None, field: str
) -> None:
    reply = api.get(path, params=params)
    assert reply.status == 422, reply.body
    assert field in reply.error_fields(), reply.body


def test_a_cursor_from_another_query_is_422(api: ApiClient) -> None:
    first = api.get("/v1/importers/JP/scores", params={"limit": 2})
    cursor = first.body["next_cursor"]
    assert cursor
    reply = api.get("/v1/importers/US/scores", params={"limit": 2, "cursor": cursor})
    assert reply.status == 422
    assert "cursor" in reply.error_fields()


@pytest.mark.parametrize("path", ["/v1/nothing", "/v2/materials", "/", "/v1/scores/JP"])
def test_unknown_paths_are_a_json_404(api: ApiClient, path: str) -> None:
    for token in (None, "dev-reader"):
        reply = api.get(path, token)
        assert reply.status == 404, reply.body
        assert reply.headers["Content-Type"].startswith("application/json")
        assert reply.error()["error"] == "not_found"
