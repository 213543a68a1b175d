"""One function's execution environment: a process that imports the handler once and serves invocations.

    python -m local.lambda_worker <fd>      (started by local.function_workers, never by hand)

The parent (local.function_workers.FunctionWorkers) talks to it over the socket `fd`, one JSON document per line:

    parent -> worker   {"handler": "functions.read_api.app.lambda_handler", "sys_path": [...]}      once, first
    worker -> parent   {"ready": true} | {"init_error": {"errorType", "errorMessage", "stackTrace"}}
    parent -> worker   {"event": ..., "request_id": ..., "function_name": ..., "memory_mb": ..., "timeout_s": ...}
    worker -> parent   {"result": ...} | {"error": {"errorType", "errorMessage", "stackTrace"}}

As in Lambda, one invocation at a time, the handler's module stays imported between invocations (a warm
container), events and results cross as JSON (bytes as base64, as Lambda's DynamoDB stream events carry binary
values) and the handler's prints and logs go to the inherited stdout/stderr. The process exits when the parent
closes the socket (or dies: the socket reaches EOF). Standard library only, so that the handler's own imports are
the whole cold start (local.lambda_runtime pulls in boto3 and yaml).
"""

from __future__ import annotations

import base64
import contextlib
import importlib
import json
import signal
import socket
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from typing import IO, Any, cast

LOCAL_REGION = "us-east-1"
LOCAL_ACCOUNT_ID = "123456789012"

Handler = Callable[[dict[str, Any], Any], Any]


class HandlerImportError(ImportError):
    """A dotted handler path that does not resolve to a callable."""


class LambdaContext:
    """The attributes and method of the Lambda context object that handlers and Powertools use."""

    def __init__(self, function_name: str, memory_limit_in_mb: int = 128, timeout_s: int = 3):
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory_limit_in_mb
        self.invoked_function_arn = f"arn:aws:lambda:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:function:{function_name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = time.strftime("%Y/%m/%d/[$LATEST]", time.gmtime()) + uuid.uuid4().hex
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def import_handler(dotted_path: str) -> Handler:
    """Import `package.module.function` and return the function."""
    module_name, _, attribute = dotted_path.rpartition(".")
    if not module_name:
        raise HandlerImportError(f"handler {dotted_path!r} is not a dotted path like package.module.function")
    module = importlib.import_module(module_name)
    handler = getattr(module, attribute, None)
    if not callable(handler):
        raise HandlerImportError(f"{module_name} has no callable {attribute!r} (handler {dotted_path!r})")
    return cast(Handler, handler)


def error_document(exc: BaseException) -> dict[str, Any]:
    """An exception as Lambda reports it (errorType, errorMessage, stackTrace)."""
    return {
        "errorType": type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_exception(exc),
    }


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def encode(document: Any) -> bytes:
    """One protocol line (json.dumps never writes a raw newline)."""
    return json.dumps(document, default=_json_default, separators=(",", ":")).encode("utf-8") + b"\n"


def _send(out: IO[bytes], document: Any) -> None:
    try:
        line = encode(document)
    except (TypeError, ValueError) as exc:  # a result Lambda could not serialise either
        line = encode({"error": {**error_document(exc), "errorType": "Runtime.MarshalError"}})
    out.write(line)
    out.flush()


def serve(channel: socket.socket) -> None:
    """The worker's loop: init, then one invocation per line until EOF."""
    reader, writer = channel.makefile("rb"), channel.makefile("wb")
    first = reader.readline()
    if not first:
        return
    init = json.loads(first)
    sys.path[:] = [*init.get("sys_path", []), *(p for p in sys.path if p not in init.get("sys_path", []))]
    try:
        handler = import_handler(str(init["handler"]))
    except Exception as exc:
        _send(writer, {"init_error": error_document(exc)})
        return
    _send(writer, {"ready": True})
    for line in iter(reader.readline, b""):
        request = json.loads(line)
        context = LambdaContext(request["function_name"], request["memory_mb"], request["timeout_s"])
        if request.get("request_id"):
            context.aws_request_id = request["request_id"]
        try:
            response: dict[str, Any] = {"result": handler(request["event"], context)}
        except Exception as exc:
            response = {"error": error_document(exc)}
        sys.stdout.flush()
        _send(writer, response)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    # Ctrl-C is for the parent, which stops its workers in order (they run in their own session anyway).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with socket.socket(fileno=int(args[0])) as channel, contextlib.suppress(BrokenPipeError, ConnectionResetError):
        serve(channel)  # those errors: the parent went away
    return 0


if __name__ == "__main__":
    sys.exit(main())
