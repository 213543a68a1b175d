"""GET /v1/importers and GET /v1/importers/{importer}/dependencies/{material} over HTTP, as a client calls them
(401/403 for these routes are in test_auth.py, table-driven from the template)."""

from __future__ import annotations

from tests.conftest import TEST_SCORED_CODES
from tests.e2e.client import ApiClient


def test_importers_page_through_the_scored_set_in_code_order(api: ApiClient) -> None:
    pages = list(api.pages("/v1/importers", {"limit": 4}))
    codes = [item["code"] for page in pages for item in page.body["items"]]
    assert codes == list(TEST_SCORED_CODES)
    assert len(pages) == -(-len(TEST_SCORED_CODES) // 4) and all(len(p.body["items"]) <= 4 for p in pages)
    cd = next(item for page in pages for item in page.body["items"] if item["code"] == "CD")
    assert cd["materials_with_data_count"] > 0 and cd["materials_on_fallback"] > 0
    assert cd["in_default_set"] is True


def test_the_importers_cursor_belongs_to_its_query(api: ApiClient) -> None:
    first = api.get("/v1/importers", params={"limit": 2})
    assert first.status == 200 and first.body["next_cursor"]
    ranked = api.get("/v1/importers/JP/scores", params={"cursor": first.body["next_cursor"]})
    assert ranked.status == 422, ranked.body
    assert api.get("/v1/importers", params={"limit": 0}).status == 422
    assert api.get("/v1/importers", token="dev-admin").status == 200


def test_a_dependency_with_partners_tonnes_and_usd(api: ApiClient) -> None:
    reply = api.get("/v1/importers/kr/dependencies/cobalt")
    assert reply.status == 200, reply.body
    body = reply.body
    assert (body["importer"], body["material"]) == ("KR", "cobalt")
    assert body["method"].startswith("bilateral_trade/")
    stage = next(iter(body["stages"].values()))
    assert stage["partners"][0]["share"] >= stage["partners"][-1]["share"]
    assert stage["trade"]["years"] and stage["trade"]["hs_codes"]
    assert any(p["tonnes"] and p["usd"] for p in stage["partners"])


def test_dependency_404s_say_why(api: ApiClient) -> None:
    unknown = api.get("/v1/importers/QQ/dependencies/cobalt")
    assert unknown.status == 404 and unknown.body["error"] == "not_found", unknown.body
    material = api.get("/v1/importers/KR/dependencies/unobtainium")
    assert material.status == 404 and "unknown material" in material.body["message"]
    index = {i["code"]: i for p in api.pages("/v1/importers", {"limit": 200}) for i in p.body["items"]}
    catalogue = [m["id"] for m in api.get("/v1/materials").body["items"]]
    missing = next(m for m in catalogue if m not in index["CD"]["materials_with_data"])
    fallback = api.get(f"/v1/importers/CD/dependencies/{missing}")
    assert fallback.status == 404 and "fallback" in fallback.body["message"]
    assert api.get("/v1/importers/C%C3%90/dependencies/cobalt").status in {404, 422}  # not ASCII letters
