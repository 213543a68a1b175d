"""What every API function shares: one error shape, typed errors mapped to statuses, the caller's claims."""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Annotated, Any, TypeVar, cast

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import BaseRouter, Router
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from pydantic import BaseModel

from shared.domain.errors import (
    DomainError,
    InvalidInputError,
    NotFoundError,
    StoreUnavailableError,
    TooLargeError,
    VersionConflictError,
)
from shared.observability import logger
from shared.schemas import ErrorDetail, ErrorResponse, VersionedRequest
from shared.services.versioning import UpsertResult, version_of

#: seconds a client should wait before retrying after a 503
RETRY_AFTER_SECONDS = 2
#: request bodies above this are refused with 413 before any parsing (a 1,000-item portfolio is ~200 KB)
MAX_BODY_BYTES = 1024 * 1024
#: on every response of every function (and API Gateway's own, template.yaml GatewayResponses): responses hold
#: tenant data and scores that change, so no cache may keep them, and browsers must not guess content types
SECURITY_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
#: what a client learns about a store outage; the cause (operation, exception) goes to the log only
UNAVAILABLE_MESSAGE = "the service is temporarily unavailable; retry later"

STATUS_BY_ERROR: dict[type[DomainError], HTTPStatus] = {
    TooLargeError: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,  # before its base class: the first match wins
    InvalidInputError: HTTPStatus.UNPROCESSABLE_ENTITY,
    NotFoundError: HTTPStatus.NOT_FOUND,
    VersionConflictError: HTTPStatus.CONFLICT,
    StoreUnavailableError: HTTPStatus.SERVICE_UNAVAILABLE,
}


def error_response(
    status: HTTPStatus, code: str, message: str, details: list[ErrorDetail] | None = None, **headers: str
) -> Response[str]:
    body = ErrorResponse(error=code, message=message, details=details or [])
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=body.model_dump_json(),
        headers=headers or None,
    )


def _location(loc: tuple[Any, ...]) -> str:
    # ("query", "limit") -> "limit"; ("body", "items", 3, "material") -> "items.3.material"
    parts = [str(p) for p in loc[1:]] if len(loc) > 1 else [str(p) for p in loc]
    return ".".join(parts)


def _detail(error: Mapping[str, Any]) -> ErrorDetail:
    # Powertools reports unparsable JSON as "JSON decode error" at ("body", <offset>), the reason in ctx: say which
    if error.get("type") == "json_invalid":
        reason = (error.get("ctx") or {}).get("error")
        return ErrorDetail(field="body", message=f"{error.get('msg')}: {reason}" if reason else str(error.get("msg")))
    return ErrorDetail(field=_location(tuple(error.get("loc", ()))), message=str(error.get("msg")))


@dataclass(frozen=True)
class Caller:
    client_id: str
    scopes: frozenset[str]


def caller_of(app: BaseRouter) -> Caller:
    """The authenticated client, from the Cognito authorizer's claims (the local API fakes the same shape).

    `app`: the resolver or one of its Routers (a Router reads the event its resolver is handling)."""
    event = cast(APIGatewayProxyEvent, app.current_event)  # every API function is a REST API (v1) resolver
    authorizer = event.request_context.authorizer
    claims: dict[str, Any] = (authorizer.get("claims") if authorizer else None) or {}
    client_id = str(claims.get("client_id") or claims.get("sub") or "")
    return Caller(client_id=client_id, scopes=frozenset(str(claims.get("scope", "")).split()))


# ------------------------------------------------------------------ create-or-replace (PUT) routes: the building blocks

#: the If-Match header every PUT and DELETE of a versioned item accepts (see expected_version)
IfMatch = Annotated[str | None, Header(description="The version you last read, as an alternative to body version")]

#: what `stored` answers: documented so the OpenAPI lists 201 beside 200 (errors are added by the generator)
UPSERT_RESPONSES: dict[int, OpenAPIResponse] = {
    200: {"description": "Replaced (version + 1), or unchanged when the body equals what is stored"},
    201: {"description": "Created (version 1)"},
}

M = TypeVar("M", bound=BaseModel)


def upsert_input(request: VersionedRequest, if_match: str | None) -> tuple[dict[str, Any], int | None]:
    """A PUT body's fields (without its version) and the version the caller last read (body, else If-Match)."""
    return request.model_dump(exclude={"version"}), expected_version(request.version, if_match)


def stored(result: UpsertResult[Any], body: M) -> Response[M]:
    """A PUT's answer: 201 when it created the item, else 200 (replaced or unchanged); the stored version as ETag."""
    return Response(
        status_code=HTTPStatus.CREATED if result.created else HTTPStatus.OK,
        content_type=content_types.APPLICATION_JSON,
        body=body,
        headers={"ETag": f'"{version_of(result.item)}"'},
    )


def expected_version(body_version: int | None, if_match: str | None) -> int | None:
    """The body's version wins; If-Match accepts 3, "3" or W/"3"."""
    if body_version is not None:
        return body_version
    if if_match is None:
        return None
    text = if_match.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise InvalidInputError(f"If-Match must be a version number, got {if_match!r}", field="If-Match")
    return int(text)


def wants_csv(app: BaseRouter) -> bool:
    accept = app.current_event.headers.get("accept") or app.current_event.headers.get("Accept") or ""
    return "text/csv" in accept.lower()


#: a cell starting with one of these is a formula to Excel/LibreOffice/Sheets (CSV injection), full-width forms
#: included (some spreadsheets fold them to ASCII)
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def _spreadsheet_safe(value: object) -> object:
    """Text that would run as a formula is prefixed with a quote (OWASP CSV injection advice), also when the formula
    follows leading whitespace (spaces, tabs, CR/LF, NBSP: spreadsheets skip it); so is any text starting with a tab
    or CR. Numbers stay."""
    if isinstance(value, str) and (
        value.lstrip().startswith(_FORMULA_PREFIXES) or value.startswith(("\t", "\r", "\n"))
    ):
        return "'" + value
    return value


def csv_response(rows: Sequence[Mapping[str, object]], columns: Sequence[str], filename: str) -> Response[str]:
    """Spreadsheet-ready: a header row, one row per item, RFC 4180 quoting."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({k: _spreadsheet_safe(v) for k, v in row.items()} for row in rows)
    return Response(
        status_code=HTTPStatus.OK,
        content_type="text/csv; charset=utf-8",
        body=buffer.getvalue(),
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _proxy_error(status: HTTPStatus, code: str, message: str) -> dict[str, Any]:
    body = ErrorResponse(error=code, message=message, details=[])
    return {
        "statusCode": status.value,
        "headers": {"Content-Type": content_types.APPLICATION_JSON, **SECURITY_HEADERS},
        "body": body.model_dump_json(),
        "isBase64Encoded": False,
    }


def _with_security_headers(response: dict[str, Any]) -> dict[str, Any]:
    """SECURITY_HEADERS on a proxy response, whichever way it carries headers (the resolver uses multiValueHeaders;
    routes, error handlers and not-found answers all come through here)."""
    if "multiValueHeaders" in response:
        multi = response["multiValueHeaders"] = response["multiValueHeaders"] or {}
        for name, value in SECURITY_HEADERS.items():
            multi.setdefault(name, [value])
    else:
        single = response["headers"] = response.get("headers") or {}
        for name, value in SECURITY_HEADERS.items():
            single.setdefault(name, value)
    return response


def _is_json(content_type: str) -> bool:
    media = media_type(content_type)
    return media == "application/json" or media.endswith("+json")


#: request JSON nested deeper than this is refused (the deepest request model nests 5 levels)
MAX_JSON_DEPTH = 32


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError(f"duplicate key {key!r}")
        obj[key] = value
    return obj


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether containers nest deeper than `limit` (iterative: no recursion on hostile input)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def parse_json_body(body: str) -> Any:
    """The request body's JSON, strictly: no duplicate keys, at most MAX_JSON_DEPTH levels of nesting.

    Every failure is a json.JSONDecodeError, which Powertools' validation turns into a RequestValidationError
    (422, code validation_error); a RecursionError from very deep input never escapes as a 500.
    """
    try:
        value = json.loads(body, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # a duplicate key
        raise json.JSONDecodeError(str(exc), body, 0) from None
    except RecursionError:
        raise json.JSONDecodeError(f"nested more than {MAX_JSON_DEPTH} levels deep", body, 0) from None
    if _depth_exceeds(value, MAX_JSON_DEPTH):
        raise json.JSONDecodeError(f"nested more than {MAX_JSON_DEPTH} levels deep", body, 0)
    return value


#: the one non-JSON request body any route accepts
CSV_CONTENT_TYPE = "text/csv"


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def resolve(
    app: APIGatewayRestResolver,
    event: dict[str, Any],
    context: Any,
    csv_routes: frozenset[tuple[str, str]] = frozenset(),
) -> dict[str, Any]:
    """app.resolve, after refusing what no route accepts: oversized bodies (413) and non-JSON bodies (415).

    `csv_routes`: (METHOD, resource path) of the routes that also take a text/csv body (they read it themselves).

    Powertools runs request validation before any user middleware, so these checks cannot be middlewares; and its
    form/multipart parsing raises plain errors on malformed input, which would otherwise surface as 500s.
    """
    body = event.get("body")
    if body:
        if event.get("isBase64Encoded"):
            try:
                base64.b64decode(body, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return _proxy_error(HTTPStatus.BAD_REQUEST, "bad_request", "request body is not UTF-8 encoded JSON")
        if len(body.encode() if isinstance(body, str) else body) > MAX_BODY_BYTES:
            return _proxy_error(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                "payload_too_large",
                f"request body is larger than {MAX_BODY_BYTES} bytes",
            )
        headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
        content_type = headers.get("content-type")
        csv_allowed = (str(event.get("httpMethod")), str(event.get("resource"))) in csv_routes
        if (
            content_type is not None
            and not _is_json(content_type)
            and not (csv_allowed and media_type(content_type) == CSV_CONTENT_TYPE)
        ):
            return _proxy_error(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                f"request bodies must be JSON (Content-Type: application/json), not {content_type!r}",
            )
    return _with_security_headers(app.resolve(event, context))


def build_resolver() -> APIGatewayRestResolver:
    # A response that fails its own schema is our bug: 500, not a 422 blaming the caller.
    app = APIGatewayRestResolver(
        enable_validation=True,
        strip_prefixes=[],
        response_validation_error_http_code=HTTPStatus.INTERNAL_SERVER_ERROR,
        json_body_deserializer=parse_json_body,
    )

    # Powertools' exception_handler decorator is untyped; the handlers themselves are typed.
    @app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
    def _invalid_request(exc: RequestValidationError) -> Response[str]:
        details = [_detail(e) for e in exc.errors()]
        first = details[0] if details else ErrorDetail(message="invalid request")
        message = f"{first.field}: {first.message}" if first.field else first.message
        return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, "validation_error", message, details)

    @app.exception_handler(RequestUnsupportedContentType)  # type: ignore[untyped-decorator]
    def _unsupported_content_type(exc: RequestUnsupportedContentType) -> Response[str]:
        return error_response(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the request body as JSON with Content-Type: application/json",
        )

    @app.exception_handler(DomainError)  # type: ignore[untyped-decorator]
    def _domain_error(exc: DomainError) -> Response[str]:
        status = next(
            (s for cls, s in STATUS_BY_ERROR.items() if isinstance(exc, cls)), HTTPStatus.UNPROCESSABLE_ENTITY
        )
        details = [
            ErrorDetail(field=str(d.get("field")) if d.get("field") else None, message=str(d.get("message")))
            for d in exc.details
        ]
        if status is HTTPStatus.SERVICE_UNAVAILABLE:
            # The message names the backend call and the exception: for the log, not for the client.
            logger.warning("store unavailable", error=exc.message, details=exc.details)
            return error_response(
                status, exc.code, UNAVAILABLE_MESSAGE, None, **{"Retry-After": str(RETRY_AFTER_SECONDS)}
            )
        return error_response(status, exc.code, exc.message, details)

    @app.not_found
    def _no_route(_: Exception) -> Response[str]:
        return error_response(HTTPStatus.NOT_FOUND, "not_found", f"no route for {app.current_event.path}")

    @app.exception_handler(Exception)  # type: ignore[untyped-decorator]
    def _unexpected(exc: Exception) -> Response[str]:
        # A bug, never the caller's fault: log it with the traceback, answer without one.
        logger.exception("unhandled error")
        return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error", "internal error; it has been logged")

    return app


def build_router() -> Router:
    """A group of an API's routes (one module each), joined to the function's resolver with `include_router`.

    Routes keep their OpenAPI details and are validated like the resolver's own (include_router registers each on
    the resolver); the resolver's exception handlers answer for them. Read the request with caller_of(router),
    wants_csv(router) or router.current_event.
    """
    return Router()  # type: ignore[no-untyped-call]  # Powertools' Router.__init__ is not annotated
