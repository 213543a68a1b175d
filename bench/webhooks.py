"""9. Alert webhooks (issue 16): signal PUT -> signed webhook received by a loopback receiver, for 1 subscription
and with 1,000 subscriptions matching, against the event-path floor (PUT -> the score written) in the same sample.

    .venv/bin/python -m bench.run --only webhooks [--quick]     # docs/performance.md

Each sample PUTs one signal (a CN export ban on dysprosium targeting JP only; its severity alternates high and
low, never twice the same, a new version of the same signal each time, so the pair's score moves every sample and
exactly one ScoreChanged is published) through the admin handler, polls the table stream, invokes the stream
handler in-process (EventBridge: a RecordingPublisher); that is the event-path floor (section 5's path, 1 pair).
Then the published event goes the delivery function's way: `webhook_delivery.fan_out` (the subscription directory
read whole, one task per match) and `attempt_delivery` for each task, one after another in this process (one
delivery worker), each a real HTTP POST through `HttpWebhookSender` to a ThreadingHTTPServer on 127.0.0.1 that
records when each request arrived. The sample ends when the last matching webhook has arrived.

Not included: the EventBridge rule and the SQS hops (in AWS two queue receives, each up to the long-poll and
batching delays), KMS Decrypt per attempt (a fake sealer here); in AWS the 1,000 tasks are spread over concurrent
function instances (batches of 10), here one worker sends them all, so the 1,000 case is the serial cost.
"""

from __future__ import annotations

import http.server
import threading
import time
from datetime import UTC, datetime
from typing import Any, ClassVar

from bench.common import BENCH_AS_OF, BenchResult, Goal, LocalDynamo, Stats, quiet_stdout
from bench.event_path import ADMIN_ENV, ISSUER, MATERIAL, _put_and_read_record, scored_importers
from tests.support import ADMIN, FakeLambdaContext, api_event

TARGET = "JP"
MANY = 1000


class _Receiver(http.server.BaseHTTPRequestHandler):
    arrivals: ClassVar[dict[str, float]] = {}
    lock = threading.Lock()

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        arrived = time.perf_counter()
        with _Receiver.lock:
            _Receiver.arrivals[self.headers.get("Webhook-Id", "")] = arrived
        self.send_response(204)
        self.end_headers()


def _signal(i: int) -> dict[str, Any]:
    return {
        "issuer": ISSUER,
        "measure": "export_ban",
        "materials": [MATERIAL],
        "targets": [TARGET],
        # high and low in turn, never the same twice: every sample is a different score change (decision 81); steps
        # of 0.001 keep the swing (~0.8) past the stream's alert threshold for every sample of a full run
        "severity": round((1.0 - 0.001 * i) if i % 2 == 0 else (0.2 + 0.001 * i), 3),
        "announced": "2026-11-01",
        "status": "in_force",
        "source": "https://example.org/bench-webhook",
        "title": "benchmark export ban (webhooks)",
        **({"version": i} if i else {}),
    }


def run(quick: bool = False) -> BenchResult:
    from local.dynamodb_local import local_streams_client
    from local.streams import StreamReader
    from shared.adapters.webhook_http import HttpWebhookSender
    from shared.domain.webhooks import RetryPolicy
    from shared.services import subscriptions
    from shared.services.rescoring import ScoringContext, score_material
    from shared.services.webhook_delivery import attempt_delivery, fan_out
    from tests.fakes import FakeSecretSealer, RecordingDeliveryQueue, RecordingPublisher

    repeats = 3 if quick else 10
    many = 100 if quick else MANY
    started = time.perf_counter()
    importers = scored_importers()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    sender = HttpWebhookSender(allow_loopback=True, loopback_only=True)
    sealer = FakeSecretSealer()
    samples: dict[int, list[dict[str, float]]] = {1: [], many: []}
    version = 0
    try:
        with LocalDynamo() as ddb:
            table = ddb.seeded_table("webhooks")
            repo = ddb.repository(table)
            material = repo.get_materials([MATERIAL])[0]
            context = ScoringContext.load(repo)
            repo.save_scores(
                score_material(context, material, repo.list_dependencies(MATERIAL), importers, BENCH_AS_OF),
                2_000_000_000,
            )
            reader = StreamReader.for_table(ddb.client, local_streams_client(ddb.endpoint_url), table)
            reader.skip_existing()
            env = {"SCORED_IMPORTERS": " ".join(importers), **ADMIN_ENV}
            with ddb.handler_environment("StreamRescoreFunction", table, **env):
                import functions.stream_rescore.app as stream_app
                from functions.admin_api.app import lambda_handler as admin_handler

                publisher = RecordingPublisher()
                saved = getattr(stream_app, "get_publisher")  # noqa: B009
                setattr(stream_app, "get_publisher", lambda: publisher)  # noqa: B010  # loopback only
                created = 0
                try:
                    with quiet_stdout():
                        for count in (1, many):
                            for k in range(created, count):  # 50 subscriptions per tenant
                                body = {"pairs": [{"importer": TARGET, "material": MATERIAL}], "min_change": 0.01}
                                subscriptions.upsert_subscription(
                                    repo,
                                    sealer,
                                    f"bench-tenant-{k // 50}",
                                    f"s{k}",
                                    {**body, "url": url},
                                    None,
                                    datetime.now(UTC),
                                    allow_loopback=True,
                                )
                            created = count
                            for i in range(repeats + 1):  # the first one warms up and is discarded
                                event = api_event(
                                    "PUT", "/v1/signals/BENCH-HOOK", body=_signal(version), scopes=(ADMIN,)
                                )
                                version += 1
                                before = len(publisher.events)
                                t0, _, records = _put_and_read_record(admin_handler, event, reader)
                                result = stream_app.lambda_handler({"Records": records}, FakeLambdaContext())
                                t_scored = time.perf_counter()
                                if result.get("batchItemFailures"):
                                    raise RuntimeError(f"stream handler failures: {result}")
                                events = publisher.events[before:]
                                if len(events) != 1:
                                    raise RuntimeError(f"expected one ScoreChanged, got {len(events)}")
                                queue = RecordingDeliveryQueue()
                                now = datetime.now(UTC)
                                queued = fan_out(repo, queue, events, now)
                                t_matched = time.perf_counter()
                                for task, _ in list(queue.scheduled):
                                    outcome = attempt_delivery(
                                        repo, sealer, sender, queue, task, now, policy=RetryPolicy()
                                    )
                                    if outcome.kind != "delivered":
                                        raise RuntimeError(
                                            f"delivery {task.delivery_id} ({count} subscriptions, sample {i}, "
                                            f"event at {events[0].computed_at.isoformat()}): {outcome}"
                                        )
                                with _Receiver.lock:
                                    arrived = [_Receiver.arrivals[t.delivery_id] for t, _ in queue.scheduled]
                                if queued != count or len(arrived) != count:
                                    raise RuntimeError(f"{queued} queued, {len(arrived)} arrived, {count} expected")
                                reader.poll()  # the delivery function's own items: not changes
                                if i:
                                    samples[count].append(
                                        {
                                            "total": max(arrived) - t0,
                                            "first": min(arrived) - t0,
                                            "floor": t_scored - t0,
                                            "match": t_matched - t_scored,
                                            "send": max(arrived) - t_matched,
                                        }
                                    )
                finally:
                    setattr(stream_app, "get_publisher", saved)  # noqa: B010
    finally:
        server.shutdown()
        server.server_close()

    keys = ("total", "first", "floor", "match", "send")
    one = {k: Stats.of([x[k] for x in samples[1]]) for k in keys}
    lots = {k: Stats.of([x[k] for x in samples[many]]) for k in keys}
    ratio_one = Stats.of([x["total"] / x["floor"] for x in samples[1]])
    ratio_many = Stats.of([x["total"] / x["floor"] for x in samples[many]])
    per_delivery_ms = lots["send"].median * 1e3 / many
    md = [
        f"One pair ({TARGET}, {MATERIAL}); each sample PUTs a new version of one CN export ban on it (severity "
        "alternating high / low, never twice the same, so exactly one ScoreChanged each time) through the admin "
        "handler, polls the table stream, runs the stream handler in-process (the event-path floor: PUT -> the "
        "score written), then the delivery function's services: fan_out (subscription directory, one task per "
        "match) and attempt_delivery per task, one worker in sequence, each a signed POST through HttpWebhookSender "
        f"to a loopback receiver that notes when each request arrives. {repeats} samples per size after one "
        "discarded warm-up. Not included: the EventBridge rule and the two SQS hops, KMS Decrypt (a fake sealer), "
        f"and AWS's concurrency (the {many} deliveries are spread over function instances there; here one worker "
        "sends them all).",
        "",
        f"| step | 1 subscription: median (min-max) | {many} subscriptions: median (min-max) |",
        "|---|---|---|",
        f"| **signal PUT -> last webhook received** | **{one['total'].ms()}** | **{lots['total'].ms()}** |",
        f"| signal PUT -> first webhook received | {one['first'].ms()} | {lots['first'].ms()} |",
        f"| floor: signal PUT -> the score written (event path) | {one['floor'].ms()} | {lots['floor'].ms()} |",
        f"| matching (fan_out: directory read, tasks) | {one['match'].ms()} | {lots['match'].ms()} |",
        f"| sending (attempt_delivery per task, serial) | {one['send'].ms()} | {lots['send'].ms()} |",
        "",
        f"PUT -> webhook / event-path floor: {ratio_one.median:.2f} ({ratio_one.minimum:.2f}-{ratio_one.maximum:.2f}) "
        f"with 1 subscription, {ratio_many.median:.2f} ({ratio_many.minimum:.2f}-{ratio_many.maximum:.2f}) with "
        f"{many}. One worker sends {1e3 / per_delivery_ms:.0f} deliveries/s ({per_delivery_ms:.1f} ms each: the "
        "delivered check, the subscription read, the POST, the delivered mark and the attempt log row).",
    ]
    summary = [
        f"webhooks: PUT -> webhook {one['total'].ms()} (floor {one['floor'].median * 1e3:.0f} ms) for 1 subscription; "
        f"{lots['total'].ms()} for {many} (serial, {per_delivery_ms:.1f} ms per delivery)"
    ]
    return BenchResult(
        name="webhooks",
        title="9. Alert webhooks (signal PUT -> signed webhook received)",
        markdown="\n".join(md),
        summary=summary,
        goals=[
            Goal(
                "webhooks: PUT -> webhook received, 1 subscription / event-path floor",
                "none (report)",
                f"{ratio_one.median:.2f} ({one['total'].median * 1e3:.0f} vs {one['floor'].median * 1e3:.0f} ms)",
                None,
            ),
            Goal(
                f"webhooks: PUT -> last of {many} webhooks received (one worker)",
                "none (report)",
                f"{lots['total'].median:.2f} s ({per_delivery_ms:.1f} ms per delivery)",
                None,
            ),
        ],
        seconds=time.perf_counter() - started,
    )
