"""Signal drafts on the admin handler with moto (issue 19): the item family (TENANT#<client> / DRAFT#<id>, TTL),
another admin client's draft is a 404, and a draft wakes no rescoring (the stream filter drops it)."""

from __future__ import annotations

from typing import Any

import pytest

from functions.admin_api.app import lambda_handler
from local.pollers import matches_filter
from tests.integration import flows as flows_module
from tests.integration.flows import Flow, FlowFactory, seed
from tests.support import ADMIN, api_event, call
from tooling.sam_template import dynamodb_event_sources, load_template

flows = flows_module.flows
STREAM_FILTERS = next(
    s.filter_patterns
    for s in dynamodb_event_sources(load_template())
    if s.function_logical_id == "StreamRescoreFunction"
)


def delivered(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records the template's FilterCriteria lets through to StreamRescoreFunction."""
    return [r for r in records if any(matches_filter(p, r) for p in STREAM_FILTERS)]


BODY = {
    "text": "Beijing banned exports of terbium to Japan on 2 January 2026.",
    "published": "2026-01-08",
    "url": "https://example.org/terbium",
}


@pytest.fixture
def flow(flows: FlowFactory) -> Flow:
    return flows.new(seed(materials=("dysprosium", "terbium")))


def as_client(flow: Flow, client_id: str, method: str, path: str, body: Any = None) -> Any:
    flow.activate()
    return call(lambda_handler, api_event(method, path, body=body, scopes=(ADMIN,), client_id=client_id))


def test_a_draft_is_the_admin_clients_own_and_wakes_no_rescoring(flow: Flow) -> None:
    flow.poll_stream()  # the seed's records
    made = as_client(flow, "admin-a", "POST", "/v1/signal-drafts", BODY)
    assert made.status == 201, made.body
    draft_id = made.body["drafts"][0]["id"]
    item = flow.factory.dynamodb.get_item(
        TableName=flow.table, Key={"pk": {"S": "TENANT#admin-a"}, "sk": {"S": f"DRAFT#{draft_id}"}}
    ).get("Item")
    assert item is not None and int(item["expires_at"]["N"]) > 0
    assert as_client(flow, "admin-a", "GET", f"/v1/signal-drafts/{draft_id}").status == 200
    other = as_client(flow, "admin-b", "GET", f"/v1/signal-drafts/{draft_id}")
    assert other.status == 404 and set(other.body) == {"error", "message", "details"}
    assert as_client(flow, "admin-b", "POST", f"/v1/signal-drafts/{draft_id}/publish", {}).status == 404
    assert as_client(flow, "admin-b", "GET", "/v1/signal-drafts").body["items"] == []
    # the draft's record is not an input: the stream filter (as in template.yaml) passes nothing of it
    records = flow.poll_stream()
    assert [r["dynamodb"]["Keys"]["sk"]["S"] for r in records] == [f"DRAFT#{draft_id}"]
    assert delivered(records) == []


def test_publish_is_a_signal_record_for_the_stream(flow: Flow) -> None:
    made = as_client(flow, "admin-a", "POST", "/v1/signal-drafts", BODY)
    draft_id = made.body["drafts"][0]["id"]
    flow.poll_stream()
    published = as_client(flow, "admin-a", "POST", f"/v1/signal-drafts/{draft_id}/publish", {})
    assert published.status == 201, published.body
    records = delivered(flow.poll_stream())  # the draft's mark is dropped, the signal passes
    assert [r["dynamodb"]["Keys"]["sk"]["S"] for r in records] == [f"DRAFT-{draft_id}"]
