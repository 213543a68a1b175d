"""POST /v1/rescore: an empty list is refused (null or absent means all), and an Idempotency-Key reused with
another body is refused instead of silently answering with the first run."""

from __future__ import annotations

import pytest

from tests.integration import flows as flows_module
from tests.integration.flows import Flow, FlowFactory, seed

flows = flows_module.flows

MATERIALS = ("cobalt", "dysprosium", "lithium", "terbium")


@pytest.fixture
def flow(flows: FlowFactory) -> Flow:
    return flows.new(seed(materials=MATERIALS))


@pytest.mark.parametrize("body", [{"materials": []}, {"importers": []}, {"materials": [], "importers": ["JP"]}])
def test_an_empty_list_is_a_422_and_starts_nothing(flow, body):
    result = flow.admin("POST", "/v1/rescore", body)
    assert result.status == 422, result.body
    assert set(result.body) == {"error", "message", "details"}
    assert flow.queue_depth() == 0


@pytest.mark.parametrize("body", [{}, {"materials": None}, {"materials": None, "importers": None}])
def test_null_or_absent_lists_mean_everything(flow, body):
    result = flow.admin("POST", "/v1/rescore", body)
    assert result.status == 202, result.body
    assert result.body["chunks_total"] >= 1
    assert flow.queue_depth() == result.body["chunks_total"]


def test_a_reused_idempotency_key_needs_the_same_body(flow):
    key = {"Idempotency-Key": "night-fix-42"}
    first = flow.admin("POST", "/v1/rescore", {"materials": ["dysprosium", "terbium"]}, key)
    assert first.status == 202, first.body
    queued = flow.queue_depth()

    # the same body (other order, other case): the same run, as before
    same = flow.admin("POST", "/v1/rescore", {"materials": ["Terbium", "dysprosium"]}, key)
    assert same.status == 202, same.body
    assert same.body["run_id"] == first.body["run_id"]

    # another body with that key: refused, naming the key, and nothing more is queued
    depth = flow.queue_depth()
    for other in ({"materials": ["cobalt"]}, {}, {"materials": ["dysprosium", "terbium"], "importers": ["JP"]}):
        refused = flow.admin("POST", "/v1/rescore", other, key)
        assert refused.status == 422, refused.body
        assert refused.body["error"] == "invalid_input"
        assert "Idempotency-Key" in refused.body["message"]
        assert refused.body["details"][0]["field"] == "Idempotency-Key"
        assert flow.queue_depth() == depth
    assert queued >= 1
    # the run itself is untouched
    assert flow.run(first.body["run_id"])["chunks_total"] == first.body["chunks_total"]
