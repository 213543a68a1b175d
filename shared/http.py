"""What every API function shares: one error shape, typed errors mapped to statuses, the caller's claims."""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from shared.domain.errors import (
    DomainError,
    InvalidInputError,
    NotFoundError,
    StoreUnavailableError,
    VersionConflictError,
)
from shared.observability import logger
from shared.schemas import ErrorDetail, ErrorResponse

#: seconds a client should wait before retrying after a 503
RETRY_AFTER_SECONDS = 2

STATUS_BY_ERROR: dict[type[DomainError], HTTPStatus] = {
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


@dataclass(frozen=True)
class Caller:
    client_id: str
    scopes: frozenset[str]


def caller_of(app: APIGatewayRestResolver) -> Caller:
    """The authenticated client, from the Cognito authorizer's claims (the local API fakes the same shape)."""
    authorizer = app.current_event.request_context.authorizer
    claims: dict[str, Any] = (authorizer.get("claims") if authorizer else None) or {}
    client_id = str(claims.get("client_id") or claims.get("sub") or "")
    return Caller(client_id=client_id, scopes=frozenset(str(claims.get("scope", "")).split()))


def build_resolver() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True, strip_prefixes=[])

    # Powertools' exception_handler decorator is untyped; the handlers themselves are typed.
    @app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
    def _invalid_request(exc: RequestValidationError) -> Response[str]:
        details = [
            ErrorDetail(field=_location(tuple(e.get("loc", ()))), message=str(e.get("msg"))) for e in exc.errors()
        ]
        first = details[0] if details else ErrorDetail(message="invalid request")
        message = f"{first.field}: {first.message}" if first.field else first.message
        return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, "validation_error", message, details)

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
            logger.warning("store unavailable", error=exc.message)
            return error_response(status, exc.code, exc.message, details, **{"Retry-After": str(RETRY_AFTER_SECONDS)})
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
