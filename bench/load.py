"""`make load`: a bounded load test of the local API (loopback only; stops by itself).

    python -m bench.load --clients 8 --seconds 15 [--requests N] [--storm-timeout 300] [--output docs/performance.md]

Starts DynamoDB Local and the whole local stack as `make run` does (local.stack.LocalStack: seed data, the default
scores, the pollers, the API with routes and auth from template.yaml, every function in its own worker processes)
on free ports, then runs N client threads (keep-alive HTTP/1.1, `Authorization: Bearer dev-reader`) over the read
routes in two phases:

1. steady: for a bounded time (and optionally a bounded number of requests);
2. rescoring storm: the same clients again while an admin PUTs one signal on every material with targets ALL, which
   the table stream hands to StreamRescoreFunction: every scored pair is rescored and written (with its history
   point) while the clients read. The storm lasts from the PUT until the stream poller has processed the record
   (bounded by --storm-timeout); the requests started in that window are its numbers.

Reports requests, errors (must be 0: any non-2xx, bad JSON or transport error), p50/p95/p99 per route, and writes
the "Load test" section of docs/performance.md (other sections kept). The /v1/health route (no auth; its one
DynamoDB GetItem is remembered for 10 s) is in the mix as the floor: the cost of the HTTP server, the gateway
emulation and a handler invocation; every route's p50 is also shown as a ratio to it.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import threading
import time
import uuid
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench.common import (
    PERFORMANCE_MD,
    BenchResult,
    Goal,
    LocalDynamo,
    Stats,
    fmt_int,
    machine_facts,
    quiet_stdout,
)
from bench.report import section_text, write_sections
from local.function_workers import default_concurrency

TOKEN = "dev-reader"  # a fake development token of the local stack (local/dev-tokens.json)
RANKING_PAGES = 3


@dataclass
class Recorder:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)
    total: int = 0

    #: (start, end) in time.perf_counter(): only requests started inside it count (end None: still open)
    window: tuple[float, float | None] | None = None

    def add(self, route: str, seconds: float, error: str | None, started: float | None = None) -> int:
        with self.lock:
            if self.window is not None and started is not None:
                low, high = self.window
                if started < low or (high is not None and started > high):
                    return self.total
            self.total += 1
            self.latencies[route].append(seconds)
            if error is not None:
                self.errors[route].append(error)
            return self.total


class Client:
    """One keep-alive connection; reconnects after a transport error."""

    def __init__(self, port: int, recorder: Recorder, rng: random.Random, data: dict[str, Any]) -> None:
        self.port = port
        self.recorder = recorder
        self.rng = rng
        self.data = data
        self.conn: http.client.HTTPConnection | None = None

    def request(self, route: str, method: str, path: str, body: Any = None, *, token: str = TOKEN) -> Any:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        error: str | None = None
        parsed: Any = None
        started = time.perf_counter()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.conn.request(method, path, body=payload, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
            if not 200 <= response.status < 300:
                error = f"{method} {path} -> {response.status}: {raw[:200]!r}"
            else:
                parsed = json.loads(raw)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            error = f"{method} {path} -> {exc.__class__.__name__}: {exc}"
            if self.conn is not None:
                self.conn.close()
            self.conn = None
        self.recorder.add(route, time.perf_counter() - started, error, started)
        return parsed

    def one_round(self) -> None:
        """One pick from the mix (a ranking follows its cursor for up to RANKING_PAGES pages)."""
        rng, data = self.rng, self.data
        importer = rng.choice(data["importers"])
        material = rng.choice(data["materials"])
        pick = rng.randrange(8)
        if pick == 0:
            self.request("health (floor)", "GET", "/v1/health")
        elif pick == 1:
            self.request("GET score", "GET", f"/v1/scores/{importer}/{material}")
        elif pick in (2, 3):
            by_importer = pick == 2
            route = "GET importer ranking" if by_importer else "GET material ranking"
            base = f"/v1/importers/{importer}/scores" if by_importer else f"/v1/materials/{material}/scores"
            page = self.request(f"{route} (page 1)", "GET", f"{base}?limit=10")
            for _ in range(RANKING_PAGES - 1):
                cursor = (page or {}).get("next_cursor")
                if not cursor:
                    break
                page = self.request(f"{route} (cursor page)", "GET", f"{base}?limit=10&cursor={quote(cursor)}")
        elif pick == 4:
            self.request("GET materials", "GET", "/v1/materials")
        elif pick == 5:
            self.request("GET material", "GET", f"/v1/materials/{material}")
        elif pick == 6:
            self.request("GET signals", "GET", f"/v1/signals?target={importer}")
        else:
            pairs = [
                {"importer": rng.choice(data["importers"]), "material": rng.choice(data["materials"])}
                for _ in range(20)
            ]
            self.request("POST scores/batch (20 pairs)", "POST", "/v1/scores/batch", {"pairs": pairs})

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def _nagle_probe(port: int, rounds: int = 30) -> dict[str, dict[str, float]]:
    """One client, sequential: health and one score, on the server as it is and with TCP_NODELAY on its sockets.

    The local API writes the response headers and the body in two sends; without TCP_NODELAY the body waits for
    the client's delayed ACK (~40 ms on Linux). The probe sets `disable_nagle_algorithm` on the request handler
    class for its second half only (an experiment here; the fix belongs in local/api_server.py).
    """
    from local.api_server import LocalApiRequestHandler

    results: dict[str, dict[str, float]] = {}
    own = "disable_nagle_algorithm" in vars(LocalApiRequestHandler)
    saved = LocalApiRequestHandler.disable_nagle_algorithm
    for label, nodelay in (("as is", False), ("TCP_NODELAY", True)):
        if nodelay:
            LocalApiRequestHandler.disable_nagle_algorithm = True
        try:
            recorder = Recorder()
            client = Client(port, recorder, random.Random(7), {})
            for _ in range(rounds):
                client.request("health", "GET", "/v1/health")
                client.request("score", "GET", "/v1/scores/JP/dysprosium")
            client.close()
        finally:
            if nodelay and own:
                LocalApiRequestHandler.disable_nagle_algorithm = saved
            elif nodelay:
                del LocalApiRequestHandler.disable_nagle_algorithm  # back to the inherited default
        if recorder.errors:
            raise RuntimeError(f"probe errors: {dict(recorder.errors)}")
        results[label] = {route: Stats.of(v).median for route, v in recorder.latencies.items()}
    return results


def _run_clients(
    port: int, recorder: Recorder, data: dict[str, Any], clients: int, seed: int, stop: threading.Event,
    deadline: float, max_requests: int = 0,
) -> list[threading.Thread]:  # fmt: skip
    """Start `clients` threads doing rounds of the mix until `stop` is set or the deadline passes."""

    def client_loop(index: int) -> None:
        client = Client(port, recorder, random.Random(seed + index), data)
        try:
            while not stop.is_set() and time.perf_counter() < deadline:
                client.one_round()
                if max_requests and recorder.total >= max_requests:
                    stop.set()
        finally:
            client.close()

    threads = [threading.Thread(target=client_loop, args=(i,), name=f"load-{seed}-{i}") for i in range(clients)]
    for t in threads:
        t.start()
    return threads


@dataclass
class Storm:
    """The rescoring storm: one signal on every material, targets ALL, PUT while the clients read."""

    recorder: Recorder
    materials: int
    seconds: float  # PUT -> the stream poller has processed the record
    finished: bool
    alerts: int  # ScoreChanged events that reached the alerts queue meanwhile
    put_status: str


def _storm(stack: Any, data: dict[str, Any], clients: int, timeout_s: float) -> Storm:
    recorder = Recorder()
    poller = stack.stream_pollers[0]
    alerts_before = len(stack.alerts.received) if stack.alerts is not None else 0
    stop = threading.Event()
    threads = _run_clients(stack.api.port, recorder, data, clients, 2000, stop, time.perf_counter() + timeout_s + 60)
    time.sleep(1.0)  # the clients are running before the storm starts
    admin = Client(stack.api.port, Recorder(), random.Random(0), data)
    signal = {
        "issuer": "CN", "measure": "export_ban", "materials": data["materials"], "targets": ["ALL"], "severity": 1,
        "announced": "2026-11-28", "status": "in_force", "source": "https://example.org/load-test-rescoring-storm",
        "title": "load test: every material, every importer",
    }  # fmt: skip
    processed_before = poller.delivered + len(poller.discarded)
    put_at = time.perf_counter()
    recorder.window = (put_at, None)
    answer = admin.request("PUT signal", "PUT", "/v1/signals/LOAD-STORM", signal, token="dev-admin")
    admin.close()
    put_status = "ok" if answer is not None else "failed: " + "; ".join(admin.recorder.errors.get("PUT signal", []))
    finished = False
    while time.perf_counter() - put_at < timeout_s:
        if poller.delivered + len(poller.discarded) > processed_before:
            finished = True
            break
        time.sleep(0.05)
    storm_end = time.perf_counter()
    recorder.window = (put_at, storm_end)
    stop.set()
    for t in threads:
        t.join(timeout=120)
    alerts = (len(stack.alerts.received) if stack.alerts is not None else 0) - alerts_before
    return Storm(recorder, len(data["materials"]), storm_end - put_at, finished, alerts, put_status)


def run_load(
    clients: int, seconds: float, max_requests: int, nagle_probe: bool = True, storm_timeout_s: float = 300.0
) -> tuple[BenchResult, int]:
    from local.stack import LocalStack
    from shared.config import DEFAULT_IMPORTERS

    started = time.perf_counter()
    alerts: list[str] = []
    with LocalDynamo() as ddb, quiet_stdout():
        stack = LocalStack(
            dynamodb_endpoint=ddb.endpoint_url, table_name=f"load-{uuid.uuid4().hex[:8]}",
            stack_name=f"load-{uuid.uuid4().hex[:6]}", quiet=True, echo=alerts.append,
        )  # fmt: skip
        with stack.start():
            repo = ddb.repository(stack.table_name)
            data = {"importers": list(DEFAULT_IMPORTERS), "materials": sorted(m.id for m in repo.list_materials())}
            pairs = stack.seed_result["rescored"].pairs_scored if stack.seed_result else 0
            recorder = Recorder()
            warm = Recorder()
            port = stack.api.port
            # warm-up (not counted): every route, from all clients at once, so that each function's worker
            # processes (one per concurrent invocation, up to its concurrency) have imported their handler
            warm_until = time.perf_counter() + 120
            for t in _run_clients(port, warm, data, clients, 0, threading.Event(), warm_until, 40 * clients):
                t.join(timeout=180)

            probe = _nagle_probe(port) if nagle_probe else None
            stop = threading.Event()
            t0 = time.perf_counter()
            threads = _run_clients(port, recorder, data, clients, 1000, stop, t0 + seconds, max_requests)
            for t in threads:
                t.join(timeout=seconds + 120)
            stop.set()
            elapsed = time.perf_counter() - t0
            storm = _storm(stack, data, clients, storm_timeout_s)
    return _report(
        recorder, warm, clients, seconds, max_requests, elapsed, time.perf_counter() - started, probe, storm, pairs
    )


def _report(
    recorder: Recorder,
    warm: Recorder,
    clients: int,
    seconds: float,
    max_requests: int,
    elapsed: float,
    total_seconds: float,
    probe: dict[str, dict[str, float]] | None,
    storm: Storm,
    pairs: int,
) -> tuple[BenchResult, int]:
    errors = sum(len(e) for e in recorder.errors.values())
    warm_errors = sum(len(e) for e in warm.errors.values())
    storm_errors = sum(len(e) for e in storm.recorder.errors.values())
    rows = _route_rows(recorder)
    everything = Stats.of([x for v in recorder.latencies.values() for x in v])
    bound = f"{seconds:g} s" + (f" or {fmt_int(max_requests)} requests" if max_requests else "")
    concurrency = default_concurrency()
    md = [
        f"`bench.load`: DynamoDB Local + the whole local stack as `make run` starts it (`local.stack.LocalStack`: "
        f"seed, the {fmt_int(pairs)} default scores, pollers, the API on loopback), {clients} client threads with "
        f"keep-alive connections and `Authorization: Bearer {TOKEN}`, bounded by {bound}. Mix per round: health "
        f"(the floor), one score, an importer or material ranking following `next_cursor` for up to {RANKING_PAGES} "
        "pages of 10, the catalogue, one material, the signal feed, and a 20-pair batch. Each function runs in its "
        f"own worker processes (up to {concurrency} per function, `local.function_workers`), as Lambda runs each "
        "function in its own execution environments.",
        "",
        f"**{fmt_int(recorder.total)} requests in {elapsed:.1f} s ({recorder.total / elapsed:.0f}/s), "
        f"{errors} errors** (warm-up: {fmt_int(warm.total)} requests, {warm_errors} errors). All requests: p50 "
        f"{everything.median * 1e3:.1f} ms, p95 {everything.p95 * 1e3:.1f} ms, p99 {everything.p99 * 1e3:.1f} ms.",
        "",
        "| route | requests | errors | p50 ms | p95 ms | p99 ms | max ms | p50 / health p50 |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
    ]
    storm_all = [x for v in storm.recorder.latencies.values() for x in v]
    storm_stats = Stats.of(storm_all) if storm_all else None
    storm_line = (
        f"p50 {storm_stats.median * 1e3:.1f} ms, p95 {storm_stats.p95 * 1e3:.1f} ms, "
        f"p99 {storm_stats.p99 * 1e3:.1f} ms, max {storm_stats.maximum * 1e3:.1f} ms"
        if storm_stats
        else "no requests"
    )
    md += [
        "",
        "### Rescoring storm",
        "",
        f"The same {clients} clients again; after 1 s an admin PUTs one signal on all {storm.materials} materials "
        "with targets `ALL` (PUT /v1/signals/LOAD-STORM). The table stream hands it to StreamRescoreFunction, which "
        "rescores and writes every scored pair with its history point. The storm is the time from the PUT until "
        "the stream poller has processed the record; the requests started in it are counted here.",
        "",
        f"**Storm: {storm.seconds:.1f} s"
        + ("" if storm.finished else " (NOT finished: stopped at the timeout)")
        + f", {fmt_int(storm.alerts)} ScoreChanged alerts, PUT {storm.put_status}. "
        f"{fmt_int(storm.recorder.total)} requests during it, {storm_errors} errors; {storm_line}.**",
        "",
        "| route (during the storm) | requests | errors | p50 ms | p95 ms | p99 ms | max ms | p50 / health p50 |",
        "|---|---|---|---|---|---|---|---|",
        *_route_rows(storm.recorder),
        "",
        "Before the functions had their own worker processes (one lock for every handler in one process), the same "
        "storm froze the local API for ~68 s: p95 7.2 s and two client timeouts.",
    ]
    if probe:
        a, b = probe["as is"], probe["TCP_NODELAY"]
        md += [
            "",
            "Probe, one client, sequential requests, p50 (before the load): health "
            f"{a['health'] * 1e3:.1f} ms as the server is vs {b['health'] * 1e3:.1f} ms with TCP_NODELAY on its "
            f"sockets; GET score {a['score'] * 1e3:.1f} vs {b['score'] * 1e3:.1f} ms. "
            + (
                "The server writes headers and body in two sends without TCP_NODELAY, so each response waits for "
                "the client's delayed ACK (~40 ms): `disable_nagle_algorithm = True` on "
                "`local.api_server.LocalApiRequestHandler` (or one send per response) removes it."
                if a["health"] > 5 * b["health"] and a["health"] > 0.02
                else "No Nagle / delayed-ACK stall."
            ),
        ]
    if errors or storm_errors:
        samples = [f"- {route}: {msgs[0]}" for route, msgs in sorted(recorder.errors.items())]
        samples += [f"- storm, {route}: {msgs[0]}" for route, msgs in sorted(storm.recorder.errors.items())]
        md += ["", "First error per route:", "", *samples]
    summary = [
        *(
            [
                f"probe (1 client): health p50 {probe['as is']['health'] * 1e3:.1f} ms as is vs "
                f"{probe['TCP_NODELAY']['health'] * 1e3:.1f} ms with TCP_NODELAY"
            ]
            if probe
            else []
        ),
        f"load: {fmt_int(recorder.total)} requests in {elapsed:.1f} s ({recorder.total / elapsed:.0f}/s) from "
        f"{clients} clients, {errors} errors; p50 {everything.median * 1e3:.1f} ms, p99 {everything.p99 * 1e3:.1f} ms",
        *[f"  {row}" for row in rows],
        f"storm: {storm.seconds:.1f} s ({'finished' if storm.finished else 'NOT finished'}), "
        f"{fmt_int(storm.alerts)} alerts; {fmt_int(storm.recorder.total)} requests, {storm_errors} errors, "
        f"{storm_line}",
    ]
    result = BenchResult(
        name="load",
        title="Load test (local API, concurrent clients)",
        markdown="\n".join(md),
        summary=summary,
        goals=[
            Goal("load test errors", "0", f"{errors} of {fmt_int(recorder.total)} requests", errors == 0),
            Goal(
                "errors during the rescoring storm",
                "0",
                f"{storm_errors} of {fmt_int(storm.recorder.total)} requests"
                + ("" if storm.finished else " (storm not finished)"),
                storm_errors == 0 and storm.finished,
            ),
        ],
        seconds=total_seconds,
    )
    return result, errors + storm_errors + (0 if storm.finished else 1)


def _route_rows(recorder: Recorder) -> list[str]:
    floor = Stats.of(recorder.latencies["health (floor)"]) if recorder.latencies.get("health (floor)") else None
    rows = []
    for route in sorted(recorder.latencies):
        st = Stats.of(recorder.latencies[route])
        vs_floor = f"{st.median / floor.median:.1f}" if floor else "-"
        rows.append(
            f"| {route} | {fmt_int(st.n)} | {len(recorder.errors.get(route, []))} | {st.median * 1e3:.1f} "
            f"| {st.p95 * 1e3:.1f} | {st.p99 * 1e3:.1f} | {st.maximum * 1e3:.1f} | {vs_floor} |"
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description="Bounded load test of the local API.")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads (default 8)")
    parser.add_argument("--seconds", type=float, default=15.0, help="how long the clients run (default 15)")
    parser.add_argument("--requests", type=int, default=0, help="stop after this many requests (default: no cap)")
    parser.add_argument("--output", type=Path, default=PERFORMANCE_MD, help="markdown file whose section to update")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--no-probe", action="store_true", help="skip the one-client TCP_NODELAY probe")
    parser.add_argument(
        "--storm-timeout", type=float, default=300.0, help="longest wait for the rescoring storm (default 300 s)"
    )
    args = parser.parse_args(argv)
    if args.clients < 1 or args.seconds <= 0 or args.seconds > 600:
        parser.error("--clients must be >= 1 and --seconds in (0, 600]")

    command = f".venv/bin/python -m bench.load --clients {args.clients} --seconds {args.seconds:g}" + (
        f" --requests {args.requests}" if args.requests else ""
    )
    facts = machine_facts()
    print(f"load: {command}", flush=True)
    warnings.filterwarnings("ignore", message="No application metrics to publish")  # /v1/health adds none
    result, errors = run_load(
        args.clients, args.seconds, args.requests, nagle_probe=not args.no_probe, storm_timeout_s=args.storm_timeout
    )
    for line in result.summary:
        print(line, flush=True)
    if not args.no_write:
        write_sections(args.output, {"load": section_text(result, command, facts)})
        print(f"wrote the load-test section of {args.output}", flush=True)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
