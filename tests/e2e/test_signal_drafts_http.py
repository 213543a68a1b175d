"""Draft signals over HTTP (issue 19): paste -> draft (evidence, impact, no score change) -> publish -> the
stream rescoring moves the affected score, the ScoreChanged alert fires and a subscriber's signed webhook arrives,
as for a PUT signal."""

from __future__ import annotations

import http.server
import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from local.stack import LocalStack
from shared.domain.webhooks import verify
from shared.schemas_drafts import DraftCreateResponse, DraftListResponse, DraftPublishResponse, DraftResponse
from tests.e2e.client import ApiClient, documented, eventually
from tests.support import IDLE_TIMEOUT_S

ASYNC_TIMEOUT_S = 20.0


@pytest.fixture(autouse=True)
def quiet_stack(e2e_stack: LocalStack) -> Iterator[None]:
    assert e2e_stack.wait_until_idle(timeout_s=IDLE_TIMEOUT_S), "the local stack's pollers did not go idle"
    yield


class _Hooks(http.server.BaseHTTPRequestHandler):
    """A subscriber's receiver on 127.0.0.1: keeps every webhook (headers, body) and answers 204."""

    received: list[tuple[dict[str, str], bytes]] = []  # noqa: RUF012 (one receiver per module)

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        _Hooks.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()


@pytest.fixture
def receiver() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hooks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


def paste(marker: str) -> dict[str, Any]:
    return {
        "text": (
            "Beijing banned exports of terbium to South Korea on 27 November 2026 with immediate effect, "
            f"officials said, while Australia was not named. Reference {marker}."
        ),
        "published": "2026-11-28",
        "url": f"https://example.org/news/{marker}",
    }


def test_paste_draft_publish_moves_the_score_and_fires_the_alert_and_the_webhook(
    api: ApiClient, e2e_stack: LocalStack, receiver: str
) -> None:
    marker = uuid.uuid4().hex[:10]
    before = api.get("/v1/scores/KR/terbium").body
    watch = {"pairs": [{"importer": "KR", "material": "terbium"}], "min_change": 0.5, "url": receiver}
    subscribed = api.put(f"/v1/subscriptions/drafts-{marker}", watch, token="team-a")
    assert subscribed.status == 201, subscribed.body

    made = api.post("/v1/signal-drafts", paste(marker))
    assert made.status == 201, made.body
    documented(made.body, DraftCreateResponse)
    (draft,) = made.body["drafts"]
    fields = draft["fields"]
    assert (fields["issuer"], fields["measure"], fields["materials"], fields["targets"]) == (
        "CN",
        "export_ban",
        ["terbium"],
        ["KR"],
    )
    assert draft["other_countries"] == ["AU"]
    assert {e["field"] for e in draft["evidence"]} >= {"issuer", "measure", "materials", "targets", "announced"}
    assert draft["impact"]["pairs_touched"] == 1 and draft["impact"]["changes"][0]["change"] > 0
    assert draft["signal_id"] is None

    # a draft changes no score
    assert api.get("/v1/scores/KR/terbium").body == before
    fetched = api.get(f"/v1/signal-drafts/{draft['id']}", token="dev-admin")
    assert fetched.status == 200 and fetched.body == draft
    documented(fetched.body, DraftResponse)
    listed = [d["id"] for page in api.pages("/v1/signal-drafts", token="dev-admin") for d in page.body["items"]]
    assert draft["id"] in listed
    documented(api.get("/v1/signal-drafts", token="dev-admin").body, DraftListResponse)

    published = api.post(f"/v1/signal-drafts/{draft['id']}/publish", {"fields": {"title": "edited"}})
    assert published.status == 201, published.body
    documented(published.body, DraftPublishResponse)
    signal = published.body["signal"]
    assert (signal["id"], signal["source"], signal["title"]) == (
        f"DRAFT-{draft['id']}",
        paste(marker)["url"],
        "edited",
    )
    assert published.headers["Location"] == f"/v1/signals/{signal['id']}"

    def rescored() -> dict[str, Any] | None:
        score = api.get("/v1/scores/KR/terbium").body
        return score if signal["id"] in score["signal_ids"] else None

    after = eventually(rescored, timeout_s=ASYNC_TIMEOUT_S)
    assert after is not None, f"KR/terbium was not rescored with {signal['id']} within {ASYNC_TIMEOUT_S:.0f}s"
    assert after["score"] > before["score"]
    assert e2e_stack.alerts is not None
    alert = e2e_stack.alerts.wait_for(
        lambda d: (d["importer"], d["material"], d["cause"]["id"]) == ("KR", "terbium", signal["id"]),
        timeout_s=ASYNC_TIMEOUT_S,
    )
    assert alert is not None, f"no ScoreChanged for (KR, terbium): {e2e_stack.alerts.received}"

    def webhook() -> tuple[dict[str, str], bytes] | None:
        return next((h for h in list(_Hooks.received) if json.loads(h[1])["cause"]["id"] == signal["id"]), None)

    hook = eventually(webhook, timeout_s=60.0)
    assert hook is not None, f"no webhook for {signal['id']}: {len(_Hooks.received)} received"
    headers, body = hook
    assert verify(subscribed.body["secret"], headers, body, now=int(time.time()))
    assert json.loads(body)["pair"] == {"importer": "KR", "material": "terbium"}

    again = api.post(f"/v1/signal-drafts/{draft['id']}/publish", {})
    assert again.status == 409, again.body
    assert again.body["error"] and "already published" in again.body["message"]

    # the same paste again: the same (now published) draft, nothing new stored
    repeat = api.post("/v1/signal-drafts", paste(marker))
    assert repeat.status == 201 and repeat.body["drafts"][0]["signal_id"] == signal["id"]


def test_draft_errors_are_the_one_error_shape(api: ApiClient) -> None:
    marker = uuid.uuid4().hex[:10]
    unknown = api.get("/v1/signal-drafts/0123456789abcdef-1", token="dev-admin")
    assert unknown.status == 404 and unknown.body["error"]
    assert api.post("/v1/signal-drafts/0123456789abcdef-1/publish", {}).status == 404
    assert api.get("/v1/signal-drafts/not-an-id", token="dev-admin").status == 422
    too_long = api.post("/v1/signal-drafts", {**paste(marker), "text": "x" * 20_001})
    assert too_long.status == 422 and "text" in str(too_long.body["details"])
    assert api.post("/v1/signal-drafts", {**paste(marker), "published": "someday"}).status == 422
    assert api.post("/v1/signal-drafts", {**paste(marker), "url": "not a url"}).status == 422
    assert api.post("/v1/signal-drafts", paste(marker), token="dev-reader").status == 403
    assert api.post("/v1/signal-drafts", paste(marker), token=None).status == 401
    assert api.get("/v1/signal-drafts", token="dev-reader").status == 403
    nothing = api.post("/v1/signal-drafts", {**paste(marker), "text": "Markets were calm today."})
    assert nothing.status == 201 and nothing.body["drafts"] == []

    made = api.post("/v1/signal-drafts", {**paste(marker), "text": f"Exports of terbium were banned. {marker}"})
    (draft,) = made.body["drafts"]
    invalid = api.post(f"/v1/signal-drafts/{draft['id']}/publish", {})
    assert invalid.status == 422 and "issuer" in invalid.body["message"]
    bad_edit = api.post(f"/v1/signal-drafts/{draft['id']}/publish", {"fields": {"severity": 2}})
    assert bad_edit.status == 422
    assert api.get(f"/v1/signal-drafts/{draft['id']}", token="dev-admin").body["signal_id"] is None
