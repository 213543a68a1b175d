"""`make run`: the whole API on this machine without Docker, asynchronous flows included.

    python -m local.run [--port 3000] [--ddb-port 8000] [--messaging-port 0] [--stack-file .local/stack.json]

Starts Amazon DynamoDB Local (in memory, fresh every run) and then the local stack (local.stack.LocalStack):
moto's SQS + EventBridge in-process, the table from template.yaml, the seed data and every score, the pollers
(table stream -> StreamRescoreFunction, RescoreQueue -> RescoreWorkerFunction, ScoreChanged alerts -> this
console) and the API (routes and auth from template.yaml, development tokens from local/dev-tokens.json).
It writes the endpoints to .local/stack.json for `make rescore`, serves until Ctrl-C or SIGTERM, and stops
everything it started (and removes the file).
Ports default to $PORT / $DDB_PORT (the Makefile's variables: `make run PORT=3001 DDB_PORT=8001`), else 3000 / 8000;
the messaging port to $MESSAGING_PORT, else any free port.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from local.auth import load_dev_tokens
from local.dynamodb_local import DynamoDBLocal, DynamoDBLocalError, PortInUseError, ensure_port_free
from local.messaging import LOCAL_VISIBILITY_TIMEOUT_S, MessagingUnavailableError
from local.stack import (
    LocalStack,
    default_stack_file,
    remove_stack_file,
    rescore_everything,
    seed_and_score,
    write_stack_file,
)
from local.template_values import LOCAL_TABLE_NAME
from tooling.sam_template import DEFAULT_TEMPLATE_PATH, load_template

__all__ = ["describe", "example_commands", "main", "rescore_everything", "seed_and_score"]

SAMPLE_SIGNAL = (
    '{"issuer": "CN", "measure": "export_ban", "materials": ["dysprosium"], "targets": ["US"], "severity": 1, '
    '"announced": "2026-11-28", "status": "in_force", "source": "https://example.org/test"}'
)
DEFAULT_API_PORT = 3000
DEFAULT_DDB_PORT = 8000


def example_commands(base_url: str) -> list[str]:
    auth = "-H 'Authorization: Bearer dev-reader'"
    return [
        f"curl -s {auth} {base_url}/v1/scores/JP/dysprosium",
        f"curl -s {auth} '{base_url}/v1/importers/JP/scores?limit=5'",
        f"curl -s {auth} {base_url}/v1/materials/dysprosium",
        f"curl -s {auth} '{base_url}/v1/signals?target=JP'",
        f"curl -si {base_url}/v1/scores/JP/dysprosium    # no token: 401",
        f"curl -s -X PUT -H 'Authorization: Bearer dev-admin' -H 'Content-Type: application/json' "
        f"{base_url}/v1/signals/CN-TEST-BAN -d '{SAMPLE_SIGNAL}'    # rescored from the stream: an alert prints here",
        "make rescore    # a nightly pass: planner -> SQS -> workers, with progress",
    ]


def _port_default(env_var: str, fallback: int) -> int:
    value = os.environ.get(env_var, "")
    return int(value) if value.isdigit() else fallback


class _StopRequestedError(Exception):
    """Raised in the main thread by the SIGINT/SIGTERM/SIGHUP handler."""


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _StopRequestedError(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local.run", description="Run the API locally on DynamoDB Local (no Docker)."
    )
    parser.add_argument("--port", type=int, default=_port_default("PORT", DEFAULT_API_PORT), help="API port")
    parser.add_argument(
        "--ddb-port", type=int, default=_port_default("DDB_PORT", DEFAULT_DDB_PORT), help="DynamoDB Local port"
    )
    parser.add_argument(
        "--messaging-port", type=int, default=_port_default("MESSAGING_PORT", 0),
        help="local SQS + EventBridge (moto) port; 0: any free port",
    )  # fmt: skip
    parser.add_argument(
        "--visibility-timeout", type=int, default=LOCAL_VISIBILITY_TIMEOUT_S,
        help="seconds before a failed chunk is redelivered (the template's 720 s would be 12 minutes locally)",
    )  # fmt: skip
    parser.add_argument("--stack-file", type=Path, default=default_stack_file(), help="where `make rescore` looks")
    parser.add_argument("--table-name", default=LOCAL_TABLE_NAME)
    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE_PATH)
    parser.add_argument("--skip-seed", action="store_true", help="start with an empty table")
    args = parser.parse_args(argv)

    # Every fixed port before anything starts: a clear message, nothing half-started.
    try:
        ensure_port_free(args.port, "PORT")
        ensure_port_free(args.ddb_port, "DDB_PORT")
        if args.messaging_port:
            ensure_port_free(args.messaging_port, "MESSAGING_PORT")
    except PortInUseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    # SIGINT too: a shell that starts us in the background sets it to "ignore", which Python would inherit.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_stop)

    ddb = DynamoDBLocal(args.ddb_port)
    stack: LocalStack | None = None
    try:
        started = time.monotonic()
        print(f"starting DynamoDB Local on {ddb.endpoint_url} ...", flush=True)
        ddb.start()
        stack = LocalStack(
            dynamodb_endpoint=ddb.endpoint_url,
            table_name=args.table_name,
            template=load_template(args.template),
            api_port=args.port,
            messaging_port=args.messaging_port,
            visibility_timeout_s=args.visibility_timeout,
        )
        stack.start(seed=not args.skip_seed, progress=lambda line: print(line, flush=True))
        if stack.seed_result is not None:
            print(f"loaded the seed data and scored every pair: {describe(stack.seed_result)}", flush=True)
        write_stack_file(args.stack_file, stack.state())
        _print_banner(stack, args.stack_file, time.monotonic() - started, ddb)
        while True:  # the API and the pollers run in threads; signals arrive here
            time.sleep(0.5)
    except (KeyboardInterrupt, _StopRequestedError):
        print("\nstopping ...", file=sys.stderr)
    except (PortInUseError, DynamoDBLocalError, MessagingUnavailableError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        remove_stack_file(args.stack_file, os.getpid())
        if stack is not None:
            stack.stop()
        ddb.stop()
    print("stopped the API, the pollers, the local SQS/EventBridge and DynamoDB Local.", file=sys.stderr)
    return 0


def describe(value: Any) -> str:
    """Compact one-line text for counts dicts and summary dataclasses."""
    if isinstance(value, dict):
        return ", ".join(f"{key}: {describe(item)}" for key, item in value.items())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return "(" + ", ".join(f"{f.name}={getattr(value, f.name)}" for f in dataclasses.fields(value)) + ")"
    return str(value)


def _print_banner(stack: LocalStack, stack_file: Path, elapsed: float, ddb: DynamoDBLocal) -> None:
    tokens = load_dev_tokens()
    info = stack.state()
    messaging = info.messaging
    exposure = (
        "listens on 127.0.0.1 only"
        if ddb.exposure_warning is None
        else f"WARNING: listens on EVERY interface, without authentication ({ddb.exposure_warning})"
    )
    lines = [
        "",
        f"Local API ready in {elapsed:.1f}s: {info.api_url}",
        f"  DynamoDB Local: {info.dynamodb_endpoint}  (table {info.table_name}, in memory: gone when this stops; "
        f"{exposure})",
        f"  SQS + EventBridge (moto): {messaging.endpoint_url}  (queues: {', '.join(sorted(messaging.queue_urls))}; "
        f"bus: {', '.join(messaging.event_buses.values())})",
        "  Pollers: " + ", ".join(p.name for p in stack.pollers) + "  (ScoreChanged alerts print here)",
        f"  Endpoints for `make rescore`: {stack_file}",
        "  Dev tokens (local only, local/dev-tokens.json): "
        + ", ".join(f"{t.token} [{' '.join(t.scopes)}]" for t in tokens.values()),
        "",
        "Try:",
        *(f"  {command}" for command in example_commands(info.api_url)),
        "",
        "Ctrl-C stops the API, the pollers, the local SQS/EventBridge and DynamoDB Local.",
    ]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
