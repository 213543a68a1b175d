"""A local API Gateway (REST, Lambda proxy integration, Cognito authorizer) for the docker-less stack.

Routes come from template.yaml. For each request the server does what API Gateway does: match the resource
(local.routing, path parameters included), run the authorizer (local.auth: development tokens from
local/dev-tokens.json instead of Cognito), build the proxy event (local.api_events, payload format 1.0), call the
function's handler in one of the function's worker processes (local.function_workers: one per concurrent
invocation, like Lambda's execution environments) and map its result back to HTTP (local.api_responses). This
module is the HTTP side: reading requests (framing, body limits), sending responses, the server's lifecycle.

Gateway errors (400, 401, 403, 404, 405, 413, 501, 502) use the API's JSON error shape
{"error": ..., "message": ..., "details": []}; requests whose framing is ambiguous (Content-Length with
Transfer-Encoding, either one twice or malformed, bad chunk sizes) or that carry two Authorization headers are a
400 before any handler runs, as API Gateway answers them.
"""

from __future__ import annotations

import re
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

from local.api_events import DEFAULT_STAGE, build_event
from local.api_responses import HttpResponse, error_response, proxy_response
from local.auth import DEFAULT_DEV_TOKENS_PATH, AuthDenied, DevToken, authorize, load_dev_tokens
from local.dynamodb_local import PortInUseError, ensure_port_free
from local.function_workers import FunctionError, FunctionWorkers
from local.lambda_runtime import apply_environment, restore_environment, stack_environment
from local.routing import RouteMiss, Router
from local.static_site import StaticSite, local_site
from tooling.sam_template import (
    DEFAULT_TEMPLATE_PATH,
    SAM_DEFAULT_MEMORY_MB,
    SAM_DEFAULT_TIMEOUT_S,
    ApiRoute,
    FunctionSpec,
    api_routes,
    function_handlers,
    function_spec,
    load_template,
)

MAX_REQUEST_BODY_BYTES = 6 * 1024 * 1024  # the synchronous Lambda invocation payload limit
_DRAIN_LIMIT_BYTES = 64 * 1024 * 1024  # read (and drop) an oversized body up to this, so the client sees the 413


class _BodyTooLargeError(Exception):
    pass


class _BadRequestError(Exception):
    pass


class _NotImplementedError(Exception):
    pass


_DECIMAL = re.compile(r"[0-9]+")
_HEX = re.compile(rb"[0-9A-Fa-f]+")


_PROTOCOL_ERRORS = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "payload_too_large",
    414: "uri_too_long",
    431: "request_header_fields_too_large",
    501: "not_implemented",
    505: "http_version_not_supported",
}


class LocalApiRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body go out in two writes: without TCP_NODELAY the body waits for the client's delayed ACK
    disable_nagle_algorithm = True
    server_version = "local-api-gateway"
    sys_version = ""
    server: LocalApiServer

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_OPTIONS(self) -> None:
        self._dispatch()

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, CONNECT, PROPFIND...) goes through the router too: 405 on a known resource,
        # 404 elsewhere, in the API's JSON shape, instead of http.server's HTML 501.
        if name.startswith("do_") and name[3:].isupper():
            return self._dispatch
        raise AttributeError(name)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own errors (malformed request line, headers too large...) in the API's JSON shape."""
        short = self.responses.get(code, ("error", ""))[0]
        self.log_error("code %d, message %s", code, message or short)
        self.close_connection = True
        error = _PROTOCOL_ERRORS.get(code, "bad_request" if 400 <= code < 500 else "internal_error")
        self._send(error_response(code, error, message or short))

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            super().log_message(format, *args)

    # --------------------------------------------------------------------- request handling

    def _dispatch(self) -> None:
        request_id = str(uuid.uuid4())
        try:
            self._check_framing()
            response = self._handle(request_id)
        except _NotImplementedError as exc:
            self.close_connection = True  # the body's framing is unknown: nothing after it can be trusted
            response = error_response(
                HTTPStatus.NOT_IMPLEMENTED, "not_implemented", str(exc),
                error_type="NotImplementedException", request_id=request_id,
            )  # fmt: skip
        except _BadRequestError as exc:
            self.close_connection = True
            response = error_response(
                HTTPStatus.BAD_REQUEST, "bad_request", str(exc),
                error_type="BadRequestException", request_id=request_id,
            )  # fmt: skip
        except _BodyTooLargeError:
            response = error_response(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "payload_too_large",
                f"request body exceeds {MAX_REQUEST_BODY_BYTES} bytes",
                error_type="RequestTooLargeException", request_id=request_id,
            )  # fmt: skip
        except Exception:
            traceback.print_exc(file=sys.stderr)
            response = error_response(
                HTTPStatus.BAD_GATEWAY, "internal_error", "internal server error",
                error_type="InternalServerErrorException", request_id=request_id,
            )  # fmt: skip
        self._send(response)

    def _handle(self, request_id: str) -> HttpResponse:
        method = self.command.upper()
        split = urlsplit(self.path)
        path = unquote(split.path) or "/"

        if self.server.static_site is not None:
            static = self.server.static_site.respond(method, split.path or "/")
            if static is not None:  # the console and the API docs (local.static_site), as CloudFront serves them
                self._discard_body()
                return static

        resolved = self.server.router.resolve(method, split.path or "/")
        if isinstance(resolved, RouteMiss):
            self._discard_body()
            if resolved.status == HTTPStatus.METHOD_NOT_ALLOWED:
                response = error_response(
                    405, "method_not_allowed", f"{method} is not allowed on {path}",
                    error_type="MethodNotAllowedException", request_id=request_id,
                )  # fmt: skip
                response.headers.append(("Allow", ", ".join(resolved.allowed_methods)))
                return response
            return error_response(
                404, "not_found", f"no route for {method} {path}",
                error_type="ResourceNotFoundException", request_id=request_id,
            )  # fmt: skip

        body = self._read_body()  # raises _BodyTooLargeError
        route = resolved.route
        decision = authorize(route, self.headers.get("Authorization"), self.server.tokens)
        if isinstance(decision, AuthDenied):
            return error_response(
                decision.status, decision.error, decision.message,
                error_type=decision.error_type, request_id=request_id,
            )  # fmt: skip

        event = build_event(
            route=route,
            method=method,
            path=path,
            query_string=split.query,
            headers=[*self.headers.items(), *self._forwarded_headers()],
            body=body,
            path_parameters={k: unquote(v) for k, v in resolved.path_parameters.items()},
            claims=decision.claims() if decision is not None else None,
            source_ip=self.client_address[0],
            stage=self.server.stage,
            request_id=request_id,
        )
        return self.server.invoke(route, event, request_id)

    def _forwarded_headers(self) -> list[tuple[str, str]]:
        present = {name.lower() for name in self.headers}
        extra = {
            "X-Forwarded-For": self.client_address[0],
            "X-Forwarded-Port": str(self.server.server_address[1]),
            "X-Forwarded-Proto": "http",
        }
        return [(k, v) for k, v in extra.items() if k.lower() not in present]

    def _check_framing(self) -> None:
        """Reject what a front end and a back end could read differently (request smuggling), as API Gateway does.

        Content-Length and Transfer-Encoding together, Content-Length twice or not a plain decimal number, a
        Transfer-Encoding other than `chunked` alone (unknown codings: 501), or two Authorization headers: 400
        (501), before any body is read; the connection is closed afterwards.
        """
        lengths = self.headers.get_all("Content-Length") or []
        codings = [c.strip().lower() for h in self.headers.get_all("Transfer-Encoding") or [] for c in h.split(",")]
        if len(lengths) > 1:
            raise _BadRequestError("more than one Content-Length header")
        if lengths and codings:
            raise _BadRequestError("both Content-Length and Transfer-Encoding: the body length is ambiguous")
        if lengths and not _DECIMAL.fullmatch(lengths[0].strip()):
            raise _BadRequestError(f"bad Content-Length {lengths[0]!r}")
        if codings and codings[-1] != "chunked":
            raise _BadRequestError("Transfer-Encoding must end with chunked")
        if codings.count("chunked") > 1:
            raise _BadRequestError("Transfer-Encoding names chunked more than once")
        if len(codings) > 1:
            raise _NotImplementedError(f"Transfer-Encoding {', '.join(codings[:-1])} is not supported")
        if len(self.headers.get_all("Authorization") or []) > 1:
            raise _BadRequestError("more than one Authorization header")

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding"):  # _check_framing: exactly `chunked`
            return self._read_chunked()
        length_header = self.headers.get("Content-Length")
        if not length_header:
            return b""
        length = int(length_header)  # _check_framing: decimal digits only
        if length > MAX_REQUEST_BODY_BYTES:
            self._drain(length)
            raise _BodyTooLargeError
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            size_line = self.rfile.readline(1024)
            size_text = size_line.split(b";")[0].strip()
            if not size_line.endswith(b"\n") or not _HEX.fullmatch(size_text):
                # negative, signed, 0x-prefixed, underscored or missing sizes, a cut-off line: int(x, 16) takes some
                raise _BadRequestError(f"bad chunk size {size_text[:32].decode('latin-1')!r} in chunked body")
            size = int(size_text, 16)
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                break
            total += size
            if total > _DRAIN_LIMIT_BYTES:
                self.close_connection = True
                raise _BodyTooLargeError
            data = self.rfile.read(size)
            if len(data) != size or self.rfile.readline(8) not in (b"\r\n", b"\n"):
                raise _BadRequestError("chunk data does not match its size in chunked body")
            if total <= MAX_REQUEST_BODY_BYTES:
                chunks.append(data)
        if total > MAX_REQUEST_BODY_BYTES:
            raise _BodyTooLargeError
        return b"".join(chunks)

    def _drain(self, length: int) -> None:
        if length > _DRAIN_LIMIT_BYTES:
            self.close_connection = True
            return
        remaining = length
        while remaining > 0:
            data = self.rfile.read(min(remaining, 1 << 20))
            if not data:
                break
            remaining -= len(data)

    def _discard_body(self) -> None:
        try:
            self._read_body()
        except (_BodyTooLargeError, _BadRequestError):
            self.close_connection = True

    def _send(self, response: HttpResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)


class LocalApiServer(ThreadingHTTPServer):
    """The local API. Sets the functions' environment on creation and restores it in server_close()."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        *,
        routes: Sequence[ApiRoute],
        tokens: Mapping[str, DevToken],
        specs: Mapping[str, FunctionSpec],
        environment: Mapping[str, str],
        stage: str = DEFAULT_STAGE,
        quiet: bool = False,
        workers: FunctionWorkers | None = None,
        static_site: StaticSite | None = None,
    ):
        self.router = Router(routes)
        self.static_site = static_site
        self.tokens = dict(tokens)
        self.specs = dict(specs)
        self.environment = dict(environment)
        self.stage = stage
        self.quiet = quiet
        self._previous_env: dict[str, str | None] | None = None
        super().__init__(address, LocalApiRequestHandler)
        self._previous_env = apply_environment(self.environment)
        #: the functions' worker processes (local.function_workers); closed with the server unless given
        self.workers = workers if workers is not None else FunctionWorkers(self.environment)
        self._owns_workers = workers is None

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def invoke(self, route: ApiRoute, event: dict[str, Any], request_id: str) -> HttpResponse:
        """Call the route's handler in one of its worker processes; a raising or malformed handler is a 502
        (traceback to stderr)."""
        spec = self.specs.get(route.function_logical_id) or FunctionSpec(
            route.function_logical_id, route.handler, SAM_DEFAULT_MEMORY_MB, SAM_DEFAULT_TIMEOUT_S
        )
        started = time.monotonic()
        try:
            result = self.workers.invoke(spec, event, request_id=request_id)
            response = proxy_response(result, request_id)
        except Exception as exc:
            print(f"[local-api] {route.function_logical_id} ({route.handler}) failed:", file=sys.stderr)
            if isinstance(exc, FunctionError):
                print(exc.stack_trace.rstrip(), file=sys.stderr)
            else:
                traceback.print_exc(file=sys.stderr)
            return error_response(
                HTTPStatus.BAD_GATEWAY, "internal_error", "internal server error",
                error_type="InternalServerErrorException", request_id=request_id,
            )  # fmt: skip
        elapsed = time.monotonic() - started
        if elapsed > spec.timeout_s:
            print(
                f"[local-api] warning: {route.function_logical_id} took {elapsed:.1f}s, more than its "
                f"{spec.timeout_s}s Timeout (Lambda would have stopped it)",
                file=sys.stderr,
            )
        return response

    def server_close(self) -> None:
        super().server_close()
        if self._owns_workers:
            self.workers.close()
        if self._previous_env is not None:
            restore_environment(self._previous_env)
            self._previous_env = None


def make_server(
    port: int,
    table_name: str,
    endpoint_url: str,
    *,
    template: Mapping[str, Any] | None = None,
    template_path: Path = DEFAULT_TEMPLATE_PATH,
    routes: Sequence[ApiRoute] | None = None,
    tokens: Mapping[str, DevToken] | None = None,
    tokens_path: Path = DEFAULT_DEV_TOKENS_PATH,
    host: str = "127.0.0.1",
    stage: str = DEFAULT_STAGE,
    quiet: bool = False,
    environment: Mapping[str, str] | None = None,
    workers: FunctionWorkers | None = None,
    serve_console: bool = True,
) -> LocalApiServer:
    """A bound (not yet serving) local API on host:port (port 0: any free port).

    Routes default to the template's; the template defaults to template.yaml. Creating the server sets the
    functions' environment (TABLE_NAME, DYNAMODB_ENDPOINT_URL, region, fake credentials, POWERTOOLS_*) in
    os.environ; server_close() restores the previous values. `environment` replaces the computed one (the whole
    local stack passes its own: every function's variables plus the messaging endpoints, see local.stack).
    Handlers run in worker processes per function (local.function_workers): `workers` shares the stack's; without
    it the server starts its own and stops them in server_close(). `serve_console` adds the console under
    /console/ and the API docs under /docs/ (local.static_site).
    """
    tmpl = template if template is not None else load_template(template_path)
    chosen = list(routes) if routes is not None else api_routes(tmpl)
    known = function_handlers(tmpl)
    in_template = sorted({r.function_logical_id for r in chosen if r.function_logical_id in known})
    specs = {logical_id: function_spec(tmpl, logical_id) for logical_id in in_template}
    if environment is None:
        environment = stack_environment(
            tmpl, table_name=table_name, endpoint_url=endpoint_url, function_ids=in_template
        )
    if port:
        ensure_port_free(port, "PORT", host)
    tokens = tokens if tokens is not None else load_dev_tokens(tokens_path)
    try:
        return LocalApiServer(
            (host, port),
            routes=chosen,
            tokens=tokens,
            specs=specs,
            environment=environment,
            stage=stage,
            quiet=quiet,
            workers=workers,
            static_site=local_site(tokens) if serve_console else None,
        )
    except OSError as exc:
        if port and exc.errno in (48, 98):  # EADDRINUSE (macOS, Linux)
            raise PortInUseError(port, "PORT") from exc
        raise


class RunningApi:
    """A local API serving in a background thread; stop() shuts it down and restores the environment."""

    def __init__(self, server: LocalApiServer):
        self.server = server
        self.thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"local-api-{server.port}", daemon=True
        )
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def __enter__(self) -> RunningApi:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def serve_in_thread(
    port: int = 0,
    table_name: str = "RiskTable-local",
    endpoint_url: str = "http://127.0.0.1:8000",
    **kwargs: Any,
) -> RunningApi:
    """make_server(...) and serve it in a daemon thread (for tests): `with serve_in_thread(...) as api: ...`."""
    return RunningApi(make_server(port, table_name, endpoint_url, **kwargs))
