"""Signal drafts (issue 19): the extractor's time per 1,000 words, and paste -> published signal's last affected
score written, against the event path's write floor.

    .venv/bin/python -m bench.run --only drafts [--quick]     # docs/performance.md, section 8

It reuses the event path's helpers.

Paste -> last score: each sample POSTs a pasted text ("Beijing banned exports of dysprosium ... with immediate
effect", no destination: targets ALL = the 200 scored importers, so 200 pairs as in section 5) through the admin
handler (extraction, duplicate check, impact computed like a scenario on the 200 pairs, the draft stored), POSTs
its publish (the signal written as the PUT does), polls the table stream for the signal's record and invokes the
stream handler in-process; the sample ends when the handler returns. Floor: section 5's (the same score + history
items written the least way). Each sample's dates are 100 days apart so no draft is a duplicate of the last one.
"""

from __future__ import annotations

import json
import statistics
import time
from datetime import date, timedelta
from typing import Any

from bench.common import BenchResult, Goal, LocalDynamo, Stats, quiet_stdout
from bench.event_path import (
    ADMIN_ENV,
    ISSUER,
    MATERIAL,
    _put_and_read_record,
    _rescored_then_floor,
    scored_importers,
    scored_table_with_stream,
)
from tests.support import ADMIN, FakeLambdaContext, api_event


def extractor_per_1000_words(repeats: int) -> tuple[float, int, int]:
    """(median seconds per 1,000 words, words, drafts) over the labelled texts joined into one ~1,000-word text."""
    from scripts.evaluate_extractor import catalogue_table
    from shared.domain.extraction import extract_drafts
    from tests.draft_texts import HELD_OUT, LABELLED

    table = catalogue_table()
    texts = [label.text for label in LABELLED + HELD_OUT]
    text = " ".join(texts)
    while len(text.split()) < 1000:
        text += " " + " ".join(texts)
    words = len(text.split())
    drafts = extract_drafts(text, date(2026, 1, 8), table)  # warm-up: compiles the gazetteers, imports dateparser
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        extract_drafts(text, date(2026, 1, 8), table)
        samples.append((time.perf_counter() - started) * 1e3 * 1000 / words)  # ms per 1,000 words
    return statistics.median(samples), words, len(drafts)


def paste_to_score(repeats: int) -> dict[str, Any]:
    from shared.ports import Pair
    from tests.fakes import RecordingPublisher

    importers = scored_importers()
    samples: list[dict[str, float]] = []
    with LocalDynamo() as ddb:
        table, reader = scored_table_with_stream(ddb, "drafts", importers)
        pairs = [Pair(i, MATERIAL) for i in importers]
        env = {"SCORED_IMPORTERS": " ".join(importers), **ADMIN_ENV}
        with ddb.handler_environment("StreamRescoreFunction", table, **env):
            import functions.stream_rescore.app as stream_app
            from functions.admin_api.app import lambda_handler as admin_handler
            from shared.adapters.factory import get_repository

            publisher = RecordingPublisher()
            saved = getattr(stream_app, "get_publisher")  # noqa: B009
            setattr(stream_app, "get_publisher", lambda: publisher)  # noqa: B010
            try:
                with quiet_stdout():
                    for i in range(repeats + 1):  # the first one warms up and is discarded
                        day = date(2020, 1, 1) + timedelta(days=100 * i)
                        body = {
                            "text": f"Beijing banned exports of dysprosium on {day:%d %B %Y} with immediate effect. "
                            f"Sample {i}.",
                            "published": (day + timedelta(days=1)).isoformat(),
                            "url": f"https://example.org/bench-draft-{i}",
                        }
                        hashes = {p: s.inputs_hash for p, s in get_repository().get_scores(pairs).items()}
                        t0 = time.perf_counter()
                        made = admin_handler(
                            api_event("POST", "/v1/signal-drafts", body=body, scopes=(ADMIN,)), FakeLambdaContext()
                        )
                        t_draft = time.perf_counter()
                        if made["statusCode"] != 201:
                            raise RuntimeError(f"POST draft answered {made['statusCode']}: {made['body']}")
                        (draft,) = json.loads(made["body"])["drafts"]
                        if draft["fields"]["issuer"] != ISSUER or draft["duplicate_of"] is not None:
                            raise RuntimeError(f"unexpected draft: {draft['fields']}, {draft['duplicate_of']}")
                        event = api_event("POST", f"/v1/signal-drafts/{draft['id']}/publish", body={}, scopes=(ADMIN,))
                        t_publish, t_published, records = _put_and_read_record(admin_handler, event, reader)
                        t_seen = time.perf_counter()
                        result = stream_app.lambda_handler({"Records": records}, FakeLambdaContext())
                        t_done = time.perf_counter()
                        if result.get("batchItemFailures"):
                            raise RuntimeError(f"stream handler failures: {result}")
                        scores = get_repository().get_scores(pairs)
                        floor_s, _ = _rescored_then_floor(ddb.client, table, pairs, scores, hashes)
                        reader.poll()
                        if i:
                            samples.append(
                                {
                                    "total": t_done - t0,
                                    "draft": t_draft - t0,
                                    "publish": t_published - t_publish,
                                    "handler": t_done - t_seen,
                                    "floor": floor_s,
                                }
                            )
            finally:
                setattr(stream_app, "get_publisher", saved)  # noqa: B010
    keys = ("total", "draft", "publish", "handler", "floor")
    result_stats: dict[str, Any] = {k: Stats.of([x[k] for x in samples]) for k in keys}
    result_stats["ratio"] = Stats.of([x["total"] / x["floor"] for x in samples])
    result_stats["pairs"] = len(pairs)
    result_stats["samples"] = len(samples)
    return result_stats


def run(quick: bool = False) -> BenchResult:
    started = time.perf_counter()
    per_1000, words, drafts = extractor_per_1000_words(10 if quick else 50)
    st = paste_to_score(3 if quick else 10)
    ratio = st["ratio"]
    md = [
        f"Extractor (`extract_drafts`, pure, one core): **{per_1000:.1f} ms per 1,000 words** (median of the "
        f"labelled texts joined into {words} words, {drafts} drafts; dateparser resolves each date phrase).",
        "",
        f"{st['samples']} samples, {st['pairs']} pairs each (targets ALL over the 200 scored importers):",
        "",
        "| step | median (min-max) |",
        "|---|---|",
        f"| **paste -> last affected score written** | **{st['total'].ms()}** |",
        f"| POST /v1/signal-drafts (extract, duplicate check, impact on {st['pairs']} pairs, store) "
        f"| {st['draft'].ms()} |",
        f"| POST publish (the signal written as the PUT does) | {st['publish'].ms()} |",
        f"| stream handler (rescore, publish, write) | {st['handler'].ms()} |",
        f"| floor (section 5's: the same score + history items at their least) | {st['floor'].ms()} |",
        "",
        f"Paste -> last score / floor: {ratio.median:.2f} ({ratio.minimum:.2f}-{ratio.maximum:.2f}). The paste's own "
        "cost is the impact scenario (the pairs scored twice live), not the extractor. Not included: the analyst's "
        "review between draft and publish, AWS's stream polling and 1 s batching window.",
    ]
    return BenchResult(
        name="drafts",
        title="8. Signal drafts (paste -> published signal -> last affected score)",
        markdown="\n".join(md),
        summary=[
            f"drafts: extractor {per_1000:.1f} ms / 1,000 words; paste -> last score {st['total'].ms()} "
            f"({ratio.median:.2f}x the write floor)"
        ],
        goals=[
            Goal("extractor time per 1,000 words", "none (report)", f"{per_1000:.1f} ms", None),
            Goal("paste -> last affected score / write floor", "none (report)", f"{ratio.median:.2f}", None),
        ],
        seconds=time.perf_counter() - started,
    )
