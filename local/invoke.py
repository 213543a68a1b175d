"""Docker-less `sam local invoke`: call one function's handler with a JSON event, print the result.

    python -m local.invoke ReadApiFunction events/get_score.json
    DYNAMODB_ENDPOINT_URL=http://127.0.0.1:8001 python -m local.invoke ReadApiFunction - < event.json

The handler gets the template's environment (TABLE_NAME -> the local table) plus DYNAMODB_ENDPOINT_URL
(from the environment, default http://127.0.0.1:8000), region us-east-1 and fake credentials; when `make run`
is running there, also its queues, bus and SQS/EventBridge endpoints (from .local/stack.json). The result goes
to stdout as JSON; the function's own output (logs, metrics) goes to stderr, as with `sam local invoke`.
Exit status: 0 ok, 1 the handler raised, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

from local.lambda_runtime import LambdaContext, apply_environment, function_runtime_environment, load_handler
from local.stack import default_stack_file, process_alive, read_stack_file
from local.template_values import LOCAL_TABLE_NAME
from tooling.sam_template import DEFAULT_TEMPLATE_PATH, TemplateError, function_spec, load_template

DEFAULT_ENDPOINT_URL = "http://127.0.0.1:8000"


class InvokeError(Exception):
    """Bad arguments: unknown function, missing or invalid event file."""


def read_event(event_file: str) -> Any:
    if event_file == "-":
        text = sys.stdin.read()
        source = "stdin"
    else:
        path = Path(event_file)
        if not path.is_file():
            raise InvokeError(f"event file not found: {path}")
        text = path.read_text(encoding="utf-8")
        source = str(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvokeError(f"{source} is not valid JSON: {exc}") from exc


def invoke(
    function_logical_id: str,
    event: Any,
    *,
    template_path: Path = DEFAULT_TEMPLATE_PATH,
    table_name: str = LOCAL_TABLE_NAME,
    endpoint_url: str | None = None,
    stack_file: Path | None = None,
) -> Any:
    """Set the function's local environment, import its handler and call it; return what it returns.

    When `make run` is running on that endpoint and table (its .local/stack.json, or `stack_file`), the
    function also gets the stack's queues, bus and SQS/EventBridge endpoints (RESCORE_QUEUE_URL, EVENT_BUS_NAME,
    AWS_ENDPOINT_URL_SQS...), so e.g. POST /v1/rescore or the nightly planner work as in the running stack.
    """
    if not template_path.is_file():
        raise InvokeError(f"template not found: {template_path}")
    template = load_template(template_path)
    try:
        spec = function_spec(template, function_logical_id)
    except TemplateError as exc:
        raise InvokeError(str(exc)) from exc
    endpoint = endpoint_url or os.environ.get("DYNAMODB_ENDPOINT_URL") or DEFAULT_ENDPOINT_URL
    stack = read_stack_file(stack_file or default_stack_file())
    running = (
        stack is not None
        and stack.dynamodb_endpoint == endpoint
        and stack.table_name == table_name
        and process_alive(stack.pid)
    )
    apply_environment(
        function_runtime_environment(
            template,
            function_logical_id,
            table_name=table_name,
            endpoint_url=endpoint,
            resource_values=stack.messaging.resource_values() if running and stack else None,
            service_endpoints=stack.messaging.environment() if running and stack else None,
        )
    )
    context = LambdaContext(spec.logical_id, spec.memory_mb, spec.timeout_s)
    # The function's prints and logs (Powertools writes to stdout) go to stderr; stdout carries the result only.
    with contextlib.redirect_stdout(sys.stderr):
        handler = load_handler(spec.handler)
        return handler(event, context)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local.invoke", description="Docker-less `sam local invoke` for template.yaml's functions."
    )
    parser.add_argument("function_logical_id", help="logical id in template.yaml, e.g. ReadApiFunction")
    parser.add_argument("event_file", help="JSON event file (see events/), or - for stdin")
    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE_PATH, help="default: template.yaml")
    parser.add_argument("--table-name", default=LOCAL_TABLE_NAME, help=f"default: {LOCAL_TABLE_NAME}")
    args = parser.parse_args(argv)

    try:
        event = read_event(args.event_file)
        result = invoke(args.function_logical_id, event, template_path=args.template, table_name=args.table_name)
    except InvokeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        error = {
            "errorMessage": str(exc),
            "errorType": type(exc).__name__,
            "stackTrace": traceback.format_tb(exc.__traceback__),
        }
        print(json.dumps(error))
        return 1
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
