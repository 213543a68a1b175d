"""GET /v1/countries/{country}/governance over HTTP (issue 17, the material page's governance column): the stored
governance for any reader, in any case; 401 without a token; 404 in the error shape for an unknown code or a country
without governance; 422 for a malformed code."""

from __future__ import annotations

import pytest

from shared.schemas import GovernanceResponse
from tests.e2e.client import ApiClient, documented


def test_a_reader_gets_a_countrys_governance_in_any_case(api: ApiClient) -> None:
    reply = api.request("GET", "/v1/countries/cn/governance", token="dev-reader")
    assert reply.status == 200, reply.body
    body = documented(reply.body, GovernanceResponse)
    assert body["country"] == "CN" and 0 <= body["governance_risk"] <= 10 and body["source"]
    assert api.request("GET", "/v1/countries/CN/governance", token="team-b").body == body


def test_without_a_token_it_is_401(api: ApiClient) -> None:
    assert api.request("GET", "/v1/countries/CN/governance").status == 401


@pytest.mark.parametrize("code", ["ZZ", "Q1", "AQ"])
def test_an_unknown_code_or_a_country_without_governance_is_a_404_in_the_error_shape(api: ApiClient, code: str) -> None:
    reply = api.request("GET", f"/v1/countries/{code}/governance", token="dev-reader")
    assert reply.status == 404, reply.body
    assert set(reply.body) == {"error", "message", "details"} and reply.body["error"] == "not_found"


@pytest.mark.parametrize("code", ["USA", "U"])
def test_a_malformed_code_is_422_naming_the_field(api: ApiClient, code: str) -> None:
    reply = api.request("GET", f"/v1/countries/{code}/governance", token="dev-reader")
    assert reply.status == 422, reply.body
    assert set(reply.body) == {"error", "message", "details"}
    assert "country" in str(reply.body["details"])
