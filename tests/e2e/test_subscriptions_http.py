"""Alert subscriptions over HTTP (issue 16) as two teams use them: the secret once, versions, tenants, auth."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.e2e.client import ApiClient


def subscription(**extra: Any) -> dict[str, Any]:
    return {"materials": ["dysprosium"], "importers": ["JP"], "bands": ["high", "critical"], **extra}


@pytest.fixture
def sub_path() -> str:
    return f"/v1/subscriptions/dy-{uuid.uuid4().hex[:8]}"


def test_a_team_subscribes_and_gets_the_secret_once(api: ApiClient, sub_path: str) -> None:
    created = api.put(sub_path, subscription(url="https://hooks.example.com/risk"), token="team-a")
    assert created.status == 201, created.body
    assert created.body["secret"].startswith("whsec_") and created.headers["ETag"] == '"1"'
    read = api.get(sub_path, token="team-a")
    assert read.status == 200 and read.body["secret"] is None and read.body["importers"] == ["JP"]
    listed = {s["id"] for s in api.get("/v1/subscriptions", token="team-a", params={"limit": "200"}).body["items"]}
    assert sub_path.rsplit("/", 1)[1] in listed

    rotated = api.post(f"{sub_path}/rotate-secret", None, token="team-a", headers={"If-Match": '"1"'})
    assert rotated.status == 200 and rotated.body["secret"] not in (None, created.body["secret"])
    assert api.get(sub_path, token="team-a").body["version"] == 2


def test_the_local_stack_allows_a_loopback_receiver(api: ApiClient, sub_path: str) -> None:
    created = api.put(sub_path, subscription(url="http://127.0.0.1:8765/hooks"), token="team-a")
    assert created.status == 201, created.body
    refused = api.put(f"{sub_path}-x", subscription(url="http://10.1.2.3/hooks"), token="team-a")
    assert refused.status == 422 and refused.body["error"] == "invalid_input", refused.body


def test_another_team_gets_404_and_stale_versions_409(api: ApiClient, sub_path: str) -> None:
    assert api.put(sub_path, subscription(url="https://hooks.example.com/a"), token="team-a").status == 201
    assert api.get(sub_path, token="team-b").status == 404
    assert api.request("DELETE", sub_path, token="team-b").status == 404
    assert api.post(f"{sub_path}/rotate-secret", None, token="team-b").status == 404
    stale = api.put(sub_path, subscription(url="https://hooks.example.com/b", version=5), token="team-a")
    assert stale.status == 409 and stale.body["error"] == "version_conflict"
    assert api.request("DELETE", sub_path, token="team-a", headers={"If-Match": "1"}).status == 204
    assert api.get(sub_path, token="team-a").status == 404


def test_another_teams_portfolio_cannot_be_watched(api: ApiClient, sub_path: str) -> None:
    plant = f"plant-{uuid.uuid4().hex[:8]}"
    portfolio = {"name": "b", "items": [{"material": "copper", "importer": "JP", "annual_spend": 1.0}]}
    assert api.put(f"/v1/portfolios/{plant}", portfolio, token="team-b").status == 201
    body = {"portfolio_id": plant, "min_change": 5.0, "url": "https://hooks.example.com/p"}
    refused = api.put(sub_path, body, token="team-a")
    assert refused.status == 422 and refused.body["details"][0]["field"] == "portfolio_id"
    assert api.put(sub_path, body, token="team-b").status == 201


def test_scopes(api: ApiClient, sub_path: str) -> None:
    body = subscription(url="https://hooks.example.com/a")
    assert api.put(sub_path, body, token=None).status == 401
    assert api.put(sub_path, body, token="dev-reader").status == 403
    assert api.get("/v1/subscriptions", token="dev-reader").status == 403
