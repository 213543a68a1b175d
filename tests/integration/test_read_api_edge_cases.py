"""The read API's real handler on the seeded table: filter combinations, contradictory filters, history ranges,
cursors replayed on another query or forged, and request bodies that are not plain JSON objects (issue 12).

None of these may be a 500: contradictory-but-valid filters are an empty page, everything else a 422.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from shared.domain.models import Band
from tests.support import ApiResult, api_event, call

RANKED_ROUTES = ("/v1/importers/JP/scores", "/v1/materials/dysprosium/scores")
#: the bands' score ranges, [lower, upper)
BAND_RANGES = {Band.LOW: (0, 25), Band.MODERATE: (25, 50), Band.HIGH: (50, 75), Band.CRITICAL: (75, 101)}
MIN_SCORES = (None, "0", "24.99999", "25", "50", "74.9999", "75", "99.5", "100")


def get(handler: Any, path: str, query: dict[str, str] | None = None) -> ApiResult:
    return call(handler, api_event("GET", path, query))


def cursor_of(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def decoded(cursor: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    return payload


def assert_invalid_cursor(result: ApiResult) -> None:
    assert result.status == 422, result.body
    assert result.body["error"] == "invalid_input"
    assert [d["field"] for d in result.body["details"]] == ["cursor"]
    assert "same path and filters" in result.body["message"]


@pytest.mark.parametrize("path", RANKED_ROUTES)
@pytest.mark.parametrize("band", [None, *Band])
@pytest.mark.parametrize("min_score", MIN_SCORES)
def test_every_band_and_min_score_combination_is_a_page_of_matching_scores(read_api, path, band, min_score):
    """Contradictory combinations (band=low&min_score=50) are valid filters that match nothing: an empty page."""
    query = {k: v for k, v in {"band": band and band.value, "min_score": min_score, "limit": "200"}.items() if v}
    result = get(read_api, path, query)

    assert result.status == 200, result.body
    lower, upper = BAND_RANGES[band] if band else (0, 101)
    floor = float(min_score) if min_score else 0.0
    for item in result.body["items"]:
        assert lower <= item["score"] < upper and item["score"] >= floor, item["score"]
        assert band is None or item["band"] == band.value
    if floor >= upper:
        assert result.body == {"items": [], "next_cursor": None}


@pytest.mark.parametrize("path", RANKED_ROUTES)
def test_a_contradictory_filter_pair_is_an_empty_page_as_csv_too(read_api, path):
    event = api_event("GET", path, {"band": "low", "min_score": "50"}, headers={"Accept": "text/csv"})
    result = call(read_api, event)
    assert result.status == 200
    assert result.body.splitlines()[1:] == []
    assert "X-Next-Cursor" not in result.headers


def test_history_from_after_to_is_422_naming_both(read_api):
    query = {"from": "2026-06-01T00:00:00Z", "to": "2025-01-01T00:00:00Z"}
    result = get(read_api, "/v1/scores/JP/dysprosium/history", query)
    assert result.status == 422, result.body
    assert result.body["error"] == "invalid_input"
    assert [d["field"] for d in result.body["details"]] == ["from", "to"]


@pytest.mark.parametrize(
    "query",
    [
        {"from": "2026-06-01T00:00:00", "to": "2025-01-01T00:00:00Z"},  # naive and aware: compared in UTC
        {"from": "2026-01-01T08:00:00+09:00", "to": "2025-12-31T22:00:00Z"},  # 23:00Z is after 22:00Z
    ],
)
def test_history_bounds_are_compared_in_utc(read_api, query):
    result = get(read_api, "/v1/scores/JP/dysprosium/history", query)
    assert result.status == 422, result.body
    assert "must not be after" in result.body["message"]


def test_history_bounds_with_an_offset_select_the_same_points_as_in_utc(read_api):
    everything = get(read_api, "/v1/scores/JP/dysprosium/history").body["items"]
    assert everything
    at = everything[0]["at"]  # e.g. 2026-...T02:00:00+00:00; the same instant at +09:00 must include it
    from datetime import datetime, timedelta, timezone

    tokyo = datetime.fromisoformat(at).astimezone(timezone(timedelta(hours=9))).isoformat()
    result = get(read_api, "/v1/scores/JP/dysprosium/history", {"from": tokyo, "to": tokyo})
    assert result.status == 200, result.body
    assert [p["at"] for p in result.body["items"]] == [at]


def test_equal_history_bounds_are_valid(read_api):
    query = {"from": "2025-01-01T00:00:00Z", "to": "2025-01-01T00:00:00Z"}
    assert get(read_api, "/v1/scores/JP/dysprosium/history", query).status == 200


@pytest.mark.parametrize("path", RANKED_ROUTES)
@pytest.mark.parametrize(
    "changed",
    [
        {"band": "low"},
        {"band": "critical"},
        {"min_score": "10"},
        {"min_score": "0"},
        {"group": "hree"},
        {"group": "rare_earths", "min_score": "1"},
    ],
)
def test_a_cursor_replayed_with_other_filters_is_422(read_api, path, changed):
    first = get(read_api, path, {"limit": "2"})
    assert first.status == 200 and first.body["next_cursor"], first.body
    assert get(read_api, path, {"limit": "2", "cursor": first.body["next_cursor"]}).status == 200

    assert_invalid_cursor(get(read_api, path, {"limit": "2", "cursor": first.body["next_cursor"], **changed}))


def test_a_filtered_cursor_works_with_the_same_filters_only(read_api):
    query = {"limit": "1", "band": "critical", "min_score": "80"}
    first = get(read_api, "/v1/importers/JP/scores", query)
    cursor = first.body["next_cursor"]
    assert cursor
    assert get(read_api, "/v1/importers/JP/scores", {**query, "cursor": cursor}).status == 200
    assert get(read_api, "/v1/importers/JP/scores", {**query, "limit": "5", "cursor": cursor}).status == 200
    assert_invalid_cursor(
        get(read_api, "/v1/importers/JP/scores", {"limit": "1", "band": "critical", "cursor": cursor})
    )


def test_a_cursor_replayed_on_another_partition_is_422(read_api):
    cursor = get(read_api, "/v1/importers/JP/scores", {"limit": "2"}).body["next_cursor"]
    assert_invalid_cursor(get(read_api, "/v1/importers/US/scores", {"limit": "2", "cursor": cursor}))
    assert_invalid_cursor(get(read_api, "/v1/materials/dysprosium/scores", {"limit": "2", "cursor": cursor}))
    assert_invalid_cursor(get(read_api, "/v1/scores/JP/dysprosium/history", {"cursor": cursor}))


def _forgeries(real: dict[str, Any]) -> list[Any]:
    """Well-formed cursors (base64 JSON with the right partition and digest) whose key is foreign or malformed."""
    key = real["k"]
    score, _, material = key["gsi1sk"].partition("#")
    return [
        {**real, "k": {"pk": "X"}},  # missing attributes
        {**real, "k": {**key, "extra": "1"}},  # an extra attribute
        {**real, "k": {**key, "gsi1sk": 91.7}},  # a number instead of a string
        {**real, "k": {**key, "pk": {"S": "SCORE#JP"}}},  # an attribute value instead of a string
        {**real, "k": {**key, "gsi1pk": "RANK#IMPORTER#US", "pk": "SCORE#US"}},  # another partition's key
        {**real, "k": {**key, "gsi1sk": f"{score}#copper"}},  # index and table keys of different items
        {**real, "k": {**key, "gsi1sk": f"not-a-score#{material}"}},
        {**real, "k": {**key, "sk": ""}},
        {**real, "k": [key]},
        {**real, "q": "0" * 16},  # the digest of other filters
        {"p": real["p"], "k": key},  # no digest at all (a cursor from before the digest)
        {**real, "extra": 1},
        [real],
        "a string",
        None,
    ]


def test_forged_ranking_cursors_are_422(read_api):
    cursor = get(read_api, "/v1/importers/JP/scores", {"limit": "2"}).body["next_cursor"]
    real = decoded(cursor)
    assert set(real["k"]) == {"pk", "sk", "gsi1pk", "gsi1sk"}
    for forged in _forgeries(real):
        result = get(read_api, "/v1/importers/JP/scores", {"limit": "2", "cursor": cursor_of(forged)})
        assert result.status == 422, (forged, result.body)
        assert_invalid_cursor(result)


def test_a_forged_cursor_outside_the_filtered_range_is_422(read_api):
    """A cursor made for band=critical with a key from the low band: DynamoDB would refuse it (a 500 before)."""
    query = {"limit": "1", "band": "critical"}
    real = decoded(get(read_api, "/v1/importers/JP/scores", query).body["next_cursor"])
    material = real["k"]["sk"]
    forged = {**real, "k": {**real["k"], "gsi1sk": f"010.0000#{material}"}}
    assert_invalid_cursor(get(read_api, "/v1/importers/JP/scores", {**query, "cursor": cursor_of(forged)}))


def test_forged_history_cursors_are_422(read_api):
    partition = "HISTORY#JP#dysprosium"
    for forged in (
        {"p": partition, "q": "x", "k": {"pk": partition, "sk": "2026-01-01T00:00:00+00:00"}},
        {"p": partition, "k": {"pk": partition, "sk": "2026-01-01T00:00:00+00:00"}},
    ):
        result = get(read_api, "/v1/scores/JP/dysprosium/history", {"cursor": cursor_of(forged)})
        assert_invalid_cursor(result)


@pytest.mark.parametrize(
    "body",
    [
        "[" * 1000 + "]" * 1000,
        '{"pairs": ' + "[" * 1000 + "]" * 1000 + "}",
        '{"pairs": ' + "[" * 100_000 + "]" * 100_000 + "}",  # ~200 KB, far beyond the recursion limit
        '{"pairs": ' + '{"a": ' * 40 + "1" + "}" * 40 + "}",
    ],
)
def test_deeply_nested_json_is_422(read_api, body):
    result = call(read_api, api_event("POST", "/v1/scores/batch", body=body))
    assert result.status == 422, result.body
    assert result.body["error"] == "validation_error"
    assert "nested more than" in result.body["message"]


def test_duplicate_json_keys_are_422(read_api):
    body = '{"pairs": [{"importer": "JP", "material": "terbium"}], "pairs": [{"importer": "US", "material": "x"}]}'
    result = call(read_api, api_event("POST", "/v1/scores/batch", body=body))
    assert result.status == 422, result.body
    assert result.body["details"] == [{"field": "body", "message": "JSON decode error: duplicate key 'pairs'"}]


def test_duplicate_keys_in_nested_objects_are_422(read_api):
    body = '{"pairs": [{"importer": "JP", "importer": "US", "material": "terbium"}]}'
    result = call(read_api, api_event("POST", "/v1/scores/batch", body=body))
    assert result.status == 422, result.body
    assert "duplicate key 'importer'" in result.body["message"]


@pytest.mark.parametrize("importer", ["u\u017f", "\u0131t", "\u0130T"])
def test_non_ascii_importer_codes_are_not_folded_onto_ascii_ones(read_api, importer):
    assert get(read_api, f"/v1/scores/{importer}/dysprosium").status == 422
    assert get(read_api, f"/v1/importers/{importer}/scores").status == 422
    batch = call(
        read_api, api_event("POST", "/v1/scores/batch", body={"pairs": [{"importer": importer, "material": "terbium"}]})
    )
    assert batch.status == 200, batch.body
    assert batch.body["items"] == []
    assert [m["reason"] for m in batch.body["missing"]] == ["unknown importer"]
