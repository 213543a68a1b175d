"""Admin bulk load of policy signals over HTTP (issue 13): a CSV with a bad row (reported, the others stored and
rescored by ONE run), and the same load again (nothing changes, no run)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from local.stack import LocalStack
from shared.schemas_admin import RescoreRunResponse, SignalLoadResponse
from tests.e2e.client import TIMEOUT_S, ApiClient, documented, eventually
from tests.support import IDLE_TIMEOUT_S

HEADER = "id,announced,effective,issuer,measure,instrument,materials,targets,status,status_until,source,stages"


@pytest.fixture(autouse=True)
def quiet_stack(e2e_stack: LocalStack) -> Iterator[None]:
    assert e2e_stack.wait_until_idle(timeout_s=IDLE_TIMEOUT_S), "the local stack's pollers did not go idle"
    yield


def put_csv(api: ApiClient, text: str) -> tuple[int, Any]:
    response = api.session.put(
        api.base_url + "/v1/signals",
        data=text.encode(),
        headers={"Authorization": "Bearer dev-admin", "Content-Type": "text/csv; charset=utf-8"},
        timeout=TIMEOUT_S,
    )
    return response.status_code, response.json()


def test_bulk_csv_with_a_bad_row_then_the_same_load_again(api: ApiClient, e2e_stack: LocalStack) -> None:
    tag = uuid.uuid4().hex[:6].upper()
    rows = [
        f"E2E-{tag}-NICKEL-ORE,2019-09-02,2020-01-01,ID,export_ban,e2e: ore only,nickel,ALL,in_force,,"
        "https://example.org/e2e-nickel,extraction",
        f"E2E-{tag}-BAD,2022-12-20,2022-12-20,ZW,export_ban,e2e,lithium,ALL,in_force,2023-01-06,"
        "https://example.org/e2e-bad,",
        f"E2E-{tag}-COBALT-QUOTA,2025-09-20,2025-10-16,CD,export_quota,e2e: quota,cobalt,ALL,in_force,,"
        "https://example.org/e2e-cobalt,",
    ]
    text = "\r\n".join([HEADER, *rows]) + "\r\n"
    status, body = put_csv(api, text)
    assert status == 202, body
    documented(body, SignalLoadResponse)
    assert [(r["row"], r["result"]) for r in body["rows"]] == [(1, "created"), (2, "invalid"), (3, "created")]
    assert body["rows"][1]["details"][0]["field"] == "status_until"
    assert body["materials"] == ["cobalt", "nickel"]
    run_id = body["run"]["run_id"]

    feed = api.get("/v1/signals", params={"issuer": "ID", "stage": "extraction"}).body["items"]
    assert f"E2E-{tag}-NICKEL-ORE" in {s["id"] for s in feed}
    assert f"E2E-{tag}-BAD" not in {s["id"] for s in api.get("/v1/signals", params={"issuer": "ZW"}).body["items"]}

    def completed() -> dict[str, Any] | None:
        run = api.get(f"/v1/rescore/{run_id}", token="dev-admin").body
        return run if run["status"] == "completed" else None

    run = eventually(completed, timeout_s=60)
    assert run is not None, f"run {run_id} did not complete"
    documented(run, RescoreRunResponse)
    score = api.get("/v1/scores/JP/cobalt").body
    assert f"E2E-{tag}-COBALT-QUOTA" in score["signal_ids"]

    again_status, again = put_csv(api, text)
    assert again_status == 200, again
    assert [r["result"] for r in again["rows"]] == ["unchanged", "invalid", "unchanged"]
    assert again["run"] is None
    assert api.get("/v1/scores/JP/cobalt").body == score
