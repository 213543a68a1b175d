"""`make run`: the whole API on this machine without Docker.

    python -m local.run [--port 3000] [--ddb-port 8000]

Starts Amazon DynamoDB Local (in memory, fresh every run), creates the table from template.yaml, loads the
seed data, computes every score, then serves the API (routes and auth from template.yaml, development tokens
from local/dev-tokens.json) until Ctrl-C or SIGTERM, and stops everything it started.
Ports default to $PORT / $DDB_PORT (the Makefile's variables: `make run PORT=3001 DDB_PORT=8001`), else 3000 / 8000.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from local.api_server import LocalApiServer, make_server
from local.auth import load_dev_tokens
from local.dynamodb_local import (
    DynamoDBLocal,
    DynamoDBLocalError,
    PortInUseError,
    create_table_from_template,
    ensure_port_free,
    local_client,
)
from local.lambda_runtime import apply_environment, stack_environment
from local.template import DEFAULT_TEMPLATE_PATH, LOCAL_TABLE_NAME, REPO_ROOT, api_routes, load_template

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

SEED_DIR = REPO_ROOT / "data" / "seed"
DEFAULT_API_PORT = 3000
DEFAULT_DDB_PORT = 8000


def seed_and_score(client: DynamoDBClient, table_name: str, seed_dir: Path = SEED_DIR) -> dict[str, Any]:
    """Load the seed data into the table and compute every default score (the lead's services do the work)."""
    from shared.adapters.dynamodb_repository import DynamoRiskRepository
    from shared.adapters.seed_files import read_seed
    from shared.services.seeding import seed_reference_data

    repo = DynamoRiskRepository(table_name, client=client)
    counts = seed_reference_data(repo, read_seed(seed_dir))
    return {"seeded": counts, "rescored": rescore_everything(client, table_name)}


def rescore_everything(client: DynamoDBClient, table_name: str) -> Any:
    """One full in-process rescoring pass at now (UTC, whole seconds); returns the service's summary."""
    from shared.adapters.dynamodb_repository import DynamoRiskRepository
    from shared.services.rescoring import rescore_all

    repo = DynamoRiskRepository(table_name, client=client)
    return rescore_all(repo, as_of=datetime.now(UTC).replace(microsecond=0))


def example_commands(base_url: str) -> list[str]:
    auth = "-H 'Authorization: Bearer dev-reader'"
    return [
        f"curl -s {auth} {base_url}/v1/scores/JP/dysprosium",
        f"curl -s {auth} '{base_url}/v1/importers/JP/scores?limit=5'",
        f"curl -s {auth} {base_url}/v1/materials/dysprosium",
        f"curl -s {auth} '{base_url}/v1/signals?target=JP'",
        f"curl -si {base_url}/v1/scores/JP/dysprosium    # no token: 401",
    ]


def _port_default(env_var: str, fallback: int) -> int:
    value = os.environ.get(env_var, "")
    return int(value) if value.isdigit() else fallback


class _StopRequestedError(Exception):
    """Raised in the main thread by the SIGTERM/SIGHUP handler."""


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
    parser.add_argument("--table-name", default=LOCAL_TABLE_NAME)
    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE_PATH)
    parser.add_argument("--skip-seed", action="store_true", help="start with an empty table")
    args = parser.parse_args(argv)

    # Both ports before anything starts: a clear message, nothing half-started.
    try:
        ensure_port_free(args.port, "PORT")
        ensure_port_free(args.ddb_port, "DDB_PORT")
    except PortInUseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_stop)

    ddb = DynamoDBLocal(args.ddb_port)
    server: LocalApiServer | None = None
    try:
        started = time.monotonic()
        print(f"starting DynamoDB Local on {ddb.endpoint_url} ...", flush=True)
        ddb.start()
        template = load_template(args.template)
        routes = api_routes(template)
        apply_environment(stack_environment(template, table_name=args.table_name, endpoint_url=ddb.endpoint_url))
        client = local_client(ddb.endpoint_url)
        create_table_from_template(client, args.table_name, template=template)
        print(f"created table {args.table_name} from {args.template.name}", flush=True)
        if not args.skip_seed:
            result = seed_and_score(client, args.table_name)
            print(f"loaded the seed data and scored every pair: {describe(result)}", flush=True)

        server = make_server(args.port, args.table_name, ddb.endpoint_url, template=template, routes=routes)
        _print_banner(server.base_url, ddb.endpoint_url, args.table_name, time.monotonic() - started)
        server.serve_forever()
    except (KeyboardInterrupt, _StopRequestedError):
        print("\nstopping ...", file=sys.stderr)
    except (PortInUseError, DynamoDBLocalError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_DFL)
        if server is not None:
            server.server_close()
        ddb.stop()
    print("stopped the API and DynamoDB Local.", file=sys.stderr)
    return 0


def describe(value: Any) -> str:
    """Compact one-line text for counts dicts and summary dataclasses."""
    if isinstance(value, dict):
        return ", ".join(f"{key}: {describe(item)}" for key, item in value.items())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return "(" + ", ".join(f"{f.name}={getattr(value, f.name)}" for f in dataclasses.fields(value)) + ")"
    return str(value)


def _print_banner(base_url: str, ddb_url: str, table_name: str, elapsed: float) -> None:
    tokens = load_dev_tokens()
    lines = [
        "",
        f"Local API ready in {elapsed:.1f}s: {base_url}",
        f"  DynamoDB Local: {ddb_url}  (table {table_name}, in memory: gone when this stops)",
        "  Dev tokens (local only, local/dev-tokens.json): "
        + ", ".join(f"{t.token} [{' '.join(t.scopes)}]" for t in tokens.values()),
        "",
        "Try:",
        *(f"  {command}" for command in example_commands(base_url)),
        "",
        "Ctrl-C stops the API and DynamoDB Local.",
    ]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
