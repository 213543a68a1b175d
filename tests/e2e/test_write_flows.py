"""Admin writes over HTTP and the asynchronous flows behind them, through the local stack's real wiring:

PUT signal -> DynamoDB Local stream -> stream poller -> StreamRescoreFunction -> score + history + ScoreChanged on
the (moto) EventBridge bus -> rule -> alerts queue -> alerts poller; POST /v1/rescore -> RescoreQueue (moto SQS) ->
worker poller -> RescoreWorkerFunction -> run record. Bad requests leave the stored state as it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from local.stack import LocalStack
from shared.schemas import MaterialResponse, SignalResponse
from shared.schemas_admin import RescoreRunResponse
from tests.e2e.client import ApiClient, documented, eventually
from tests.support import IDLE_TIMEOUT_S

ASYNC_TIMEOUT_S = 20.0


@pytest.fixture(autouse=True)
def quiet_stack(e2e_stack: LocalStack) -> Iterator[None]:
    """Each test starts once the stack is idle: no stream record or queued chunk left from an earlier test (a run
    still writing scores, say) can interleave with what this test observes."""
    assert e2e_stack.wait_until_idle(timeout_s=IDLE_TIMEOUT_S), "the local stack's pollers did not go idle"
    yield


def ban_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "issuer": "CN",
        "measure": "export_ban",
        "materials": ["dysprosium"],
        "targets": ["US"],
        "severity": 1,
        "announced": "2026-11-28",
        "status": "in_force",
        "source": "https://example.org/e2e-test-ban",
        "title": "e2e: export ban on dysprosium to the US",
    }
    body.update(changes)
    return body


def signal_in_feed(api: ApiClient, signal_id: str) -> dict[str, Any] | None:
    reply = api.get("/v1/signals", params={"material": "dysprosium"})
    return next((s for s in reply.body["items"] if s["id"] == signal_id), None)


def test_a_new_signal_is_rescored_from_the_stream_with_history_and_an_alert(
    api: ApiClient, e2e_stack: LocalStack
) -> None:
    signal_id = f"CN-E2E-BAN-{uuid.uuid4().hex[:6].upper()}"
    before = api.get("/v1/scores/US/dysprosium").body
    history_before = api.get("/v1/scores/US/dysprosium/history").body["items"]
    assert signal_id not in before["signal_ids"]

    created = api.put(f"/v1/signals/{signal_id}", ban_body())
    assert created.status == 201, created.body
    documented(created.body, SignalResponse)
    assert created.body["version"] == 1
    assert created.headers["ETag"] == '"1"'

    def rescored() -> dict[str, Any] | None:
        score = api.get("/v1/scores/us/DYSPROSIUM").body
        return score if signal_id in score["signal_ids"] else None

    after = eventually(rescored, timeout_s=ASYNC_TIMEOUT_S)
    assert after is not None, f"US/dysprosium was not rescored with {signal_id} within {ASYNC_TIMEOUT_S:.0f}s"
    assert after["score"] > before["score"]
    assert after["computed_at"] > before["computed_at"]

    history = api.get("/v1/scores/US/dysprosium/history").body["items"]
    assert len(history) == len(history_before) + 1
    assert history[-1]["score"] == after["score"] and signal_id in history[-1]["signal_ids"]
    assert history[:-1] == history_before

    assert e2e_stack.alerts is not None
    alert = e2e_stack.alerts.wait_for(
        lambda d: (d["importer"], d["material"], d["cause"]["id"]) == ("US", "dysprosium", signal_id),
        timeout_s=ASYNC_TIMEOUT_S,
    )
    assert alert is not None, (
        f"no ScoreChanged for (US, dysprosium) reached the alerts queue: {e2e_stack.alerts.received}"
    )
    assert alert["old_score"] == before["score"] and alert["new_score"] == after["score"]
    assert (alert["old_band"], alert["new_band"]) == (before["band"], after["band"])
    assert alert["cause"] == {"type": "signal", "id": signal_id}

    # the same body again: 200, the same version, nothing written (so nothing rescored)
    again = api.put(f"/v1/signals/{signal_id}", ban_body())
    assert again.status == 200, again.body
    assert again.body == created.body
    assert again.headers["ETag"] == '"1"'

    # a stale version: 409, and the stored signal is unchanged
    updated = api.put(f"/v1/signals/{signal_id}", ban_body(severity=0.9, version=1))
    assert updated.status == 200, updated.body
    assert updated.body["version"] == 2
    stale = api.put(f"/v1/signals/{signal_id}", ban_body(severity=0.5, version=1))
    assert stale.status == 409, stale.body
    assert "version" in stale.error_fields()
    stale_header = api.put(f"/v1/signals/{signal_id}", ban_body(severity=0.5), headers={"If-Match": '"1"'})
    assert stale_header.status == 409, stale_header.body
    stored = signal_in_feed(api, signal_id)
    assert stored is not None and stored["version"] == 2 and stored["severity"] == 0.9


def test_rescore_run_over_http_completes_through_the_queue_and_workers(api: ApiClient, e2e_stack: LocalStack) -> None:
    assert e2e_stack.seed_result is not None
    scored_importers = e2e_stack.seed_result["rescored"].importers  # what a run without "importers" scores
    started = api.post("/v1/rescore", {"materials": ["Dysprosium"]})
    assert started.status == 202, started.body
    run = documented(started.body, RescoreRunResponse)
    run_id = run["run_id"]
    assert run["status"] == "running" and run["chunks_total"] == 1
    assert started.headers["Location"] == f"/v1/rescore/{run_id}"

    def finished() -> dict[str, Any] | None:
        reply = api.get(f"/v1/rescore/{run_id}", "dev-admin")
        assert reply.status == 200, reply.body
        return reply.body if reply.body["status"] != "running" else None

    done = eventually(finished, timeout_s=ASYNC_TIMEOUT_S)
    assert done is not None, f"run {run_id} did not complete within {ASYNC_TIMEOUT_S:.0f}s"
    documented(done, RescoreRunResponse)
    assert done["status"] == "completed"
    assert (done["chunks_done"], done["chunks_failed"], done["chunks_total"]) == (1, 0, 1)
    assert done["pairs_scored"] == 1 * scored_importers

    rescored = api.get("/v1/scores/JP/dysprosium").body
    assert rescored["computed_at"] == done["as_of"]

    unknown = api.get("/v1/rescore/manual-doesnotexist", "dev-admin")
    assert unknown.status == 404 and "run_id" in unknown.error_fields()


def test_rescore_of_an_unknown_material_is_404_and_starts_nothing(api: ApiClient) -> None:
    reply = api.post("/v1/rescore", {"materials": ["unobtainium"]})
    assert reply.status == 404, reply.body
    assert "material" in reply.error_fields()


def test_a_rejected_material_update_leaves_the_stored_material_identical(api: ApiClient) -> None:
    before = api.get("/v1/materials/neodymium")
    assert before.status == 200
    documented(before.body, MaterialResponse)
    rejected = api.put(
        "/v1/materials/neodymium",
        {"name": "Neodymium (broken)", "stages": "not a mapping", "source": "", "version": before.body["version"]},
    )
    assert rejected.status == 422, rejected.body
    assert {"stages", "source"} <= rejected.error_fields()
    assert api.get("/v1/materials/neodymium").body == before.body


def test_a_rejected_signal_stores_nothing_and_changes_no_score(api: ApiClient) -> None:
    signals_before = api.get("/v1/signals").body
    score_before = api.get("/v1/scores/US/terbium").body
    signal_id = f"CN-E2E-BAD-{uuid.uuid4().hex[:6].upper()}"
    for body, field in (
        (ban_body(materials=["terbium"], severity=2), "severity"),
        (ban_body(materials=["terbium"], measure="embargo-ish"), "measure"),
        (ban_body(materials=["unobtainium"]), "materials.0"),
    ):
        reply = api.put(f"/v1/signals/{signal_id}", body)
        assert reply.status == 422, reply.body
        assert field in reply.error_fields(), reply.body
    assert api.get("/v1/signals").body == signals_before
    assert api.get("/v1/scores/US/terbium").body == score_before


def test_admin_writes_by_a_reader_are_refused_and_change_nothing(api: ApiClient) -> None:
    before = api.get("/v1/signals").body
    reply = api.put("/v1/signals/CN-E2E-READER", ban_body(), token="dev-reader")
    assert reply.status == 403
    assert api.get("/v1/signals").body == before
