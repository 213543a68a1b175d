"""`make rescore`: one nightly rescoring pass, the real way, against the running local stack (`make run`).

    python -m local.rescore [--stack-file .local/stack.json] [--timeout 300]

`make run` publishes its endpoints in .local/stack.json (local.stack.StackInfo: DynamoDB Local, the moto
SQS/EventBridge endpoint, queue URLs, table name, its pid). This command reads it, invokes
NightlyPlannerFunction's handler with {"scheduled_time": <now>} in the function's own local environment (its
RESCORE_QUEUE_URL is the running stack's queue, AWS_ENDPOINT_URL_SQS its moto server), then follows the run record
(the repository's get_run, what GET /v1/rescore/{run_id} returns) while the stack's worker poller processes the
chunks, printing progress until chunks_done + chunks_failed == chunks_total (or --timeout).
Exit status: 0 completed, 1 the stack is not running / the run had failed chunks / timed out, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from local.dynamodb_local import local_client
from local.lambda_runtime import apply_environment, function_runtime_environment, invoke_function
from local.messaging import local_sqs_client
from local.stack import StackInfo, default_stack_file, process_alive, read_stack_file
from tooling.sam_template import DEFAULT_TEMPLATE_PATH, function_spec, load_template

PLANNER = "NightlyPlannerFunction"
DEFAULT_TIMEOUT_S = 300.0


class StackNotRunningError(Exception):
    """No local stack to rescore: the message says what to do."""


def find_stack(stack_file: Path) -> StackInfo:
    """The running stack described by stack_file, checked alive (process, DynamoDB Local, messaging endpoint)."""
    info = read_stack_file(stack_file)
    if info is None:
        raise StackNotRunningError(
            f"the local stack is not running (no readable {stack_file}): start it with `make run` in another "
            "terminal first"
        )
    if not process_alive(info.pid):
        raise StackNotRunningError(
            f"the local stack recorded in {stack_file} (pid {info.pid}) is not running any more: start it with "
            "`make run`"
        )
    try:
        local_client(info.dynamodb_endpoint, timeout_s=2.0, max_attempts=1).describe_table(TableName=info.table_name)
        probe = local_sqs_client(info.messaging.endpoint_url)
        probe.get_queue_attributes(QueueUrl=next(iter(info.messaging.queue_urls.values())))
    except (BotoCoreError, ClientError, StopIteration) as exc:
        raise StackNotRunningError(
            f"the local stack in {stack_file} (pid {info.pid}) does not answer ({exc}): restart it with `make run`"
        ) from exc
    return info


def plan_nightly_run(info: StackInfo, template: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Invoke the planner's handler as the schedule would, in its own environment pointed at the stack."""
    apply_environment(
        function_runtime_environment(
            template,
            PLANNER,
            table_name=info.table_name,
            endpoint_url=info.dynamodb_endpoint,
            resource_values=info.messaging.resource_values(),
            service_endpoints=info.messaging.environment(),
        )
    )
    # the handler's logs (Powertools writes JSON to stdout) go to stderr: stdout is this command's report
    with contextlib.redirect_stdout(sys.stderr):
        result = invoke_function(function_spec(template, PLANNER), {"scheduled_time": now.isoformat()})
    if not isinstance(result, dict) or "run_id" not in result:
        raise RuntimeError(f"{PLANNER} returned {result!r}, not a run")
    return result


def follow_run(run_id: str, *, timeout_s: float, interval_s: float = 0.5) -> Any:
    """Poll the run record until every chunk is done or failed (or timeout); print each change. Returns the run."""
    from shared.adapters.factory import get_repository

    repo = get_repository()
    deadline = time.monotonic() + timeout_s
    last: tuple[int, int, int] | None = None
    while True:
        run = repo.get_run(run_id)
        if run is None:
            raise RuntimeError(f"run {run_id} has no record in the table")
        progress = (run.chunks_done, run.chunks_failed, run.pairs_scored)
        if progress != last:
            print(
                f"  {run_id}: {run.chunks_done + run.chunks_failed}/{run.chunks_total} chunks "
                f"({run.chunks_failed} failed), {run.pairs_scored} pairs scored",
                flush=True,
            )
            last = progress
        if run.chunks_done + run.chunks_failed >= run.chunks_total or time.monotonic() > deadline:
            return run
        time.sleep(interval_s)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local.rescore", description="One nightly rescoring pass against the running `make run` stack."
    )
    parser.add_argument("--stack-file", type=Path, default=default_stack_file(), help="written by `make run`")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds to wait for the workers")
    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE_PATH)
    parser.add_argument(
        "--ddb-port", type=int, default=None,
        help="(optional) the DynamoDB Local port you expect; the stack file is authoritative",
    )  # fmt: skip
    args = parser.parse_args(argv)

    try:
        info = find_stack(args.stack_file)
    except StackNotRunningError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.ddb_port is not None and not info.dynamodb_endpoint.endswith(f":{args.ddb_port}"):
        print(
            f"note: the running stack's DynamoDB Local is {info.dynamodb_endpoint} (from {args.stack_file}), "
            f"not port {args.ddb_port}: using the running stack",
            file=sys.stderr,
        )

    template = load_template(args.template)
    now = datetime.now(UTC).replace(microsecond=0)
    planned = plan_nightly_run(info, template, now)
    run_id = str(planned["run_id"])
    print(
        f"{PLANNER} planned {run_id} (as_of {planned.get('as_of')}): {planned.get('chunks_total')} chunks on "
        f"the rescoring queue; the stack's workers are scoring them ...",
        flush=True,
    )
    run = follow_run(run_id, timeout_s=args.timeout)
    finished = run.chunks_done + run.chunks_failed >= run.chunks_total
    summary = (
        f"run_id={run.run_id}, status={run.status}, chunks_done={run.chunks_done}, "
        f"chunks_failed={run.chunks_failed}, chunks_total={run.chunks_total}, pairs_scored={run.pairs_scored}"
    )
    if not finished:
        print(f"error: timed out after {args.timeout:.0f}s waiting for the workers: {summary}", file=sys.stderr)
        return 1
    print(f"rescored {info.table_name} at {info.dynamodb_endpoint}: {summary}", flush=True)
    return 0 if run.chunks_failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
