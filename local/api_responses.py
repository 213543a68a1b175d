"""HTTP responses of the local API: a Lambda proxy result mapped as API Gateway maps it, and the gateway's own
errors in the API's JSON error shape {"error": ..., "message": ..., "details": []}."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

_HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive", "upgrade"}


class MalformedResponseError(ValueError):
    """A handler result API Gateway would reject (502)."""


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def error_response(
    status: int, error: str, message: str, *, error_type: str | None = None, request_id: str = ""
) -> HttpResponse:
    body = json.dumps({"error": error, "message": message, "details": []}).encode("utf-8")
    headers = [("Content-Type", "application/json")]
    if error_type:
        headers.append(("x-amzn-ErrorType", error_type))
    if request_id:
        headers.append(("x-amzn-RequestId", request_id))
    return HttpResponse(status, headers, body)


def proxy_response(result: Any, request_id: str = "") -> HttpResponse:
    """Map a Lambda proxy result {statusCode, headers, multiValueHeaders, body, isBase64Encoded} to HTTP."""
    if not isinstance(result, dict):
        raise MalformedResponseError(f"handler returned {type(result).__name__}, not a proxy response object")
    try:
        status = int(result["statusCode"])
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedResponseError("proxy response has no integer statusCode") from exc
    if not 100 <= status <= 599:
        raise MalformedResponseError(f"statusCode {status} out of range")

    headers: list[tuple[str, str]] = []
    multi = result.get("multiValueHeaders") or {}
    single = result.get("headers") or {}
    if not isinstance(multi, dict) or not isinstance(single, dict):
        raise MalformedResponseError("headers and multiValueHeaders must be objects")
    multi_names = {str(name).lower() for name in multi}
    for name, values in multi.items():
        if not isinstance(values, list):
            raise MalformedResponseError(f"multiValueHeaders[{name!r}] must be a list")
        headers.extend((str(name), _header_value(v)) for v in values)
    headers.extend((str(n), _header_value(v)) for n, v in single.items() if str(n).lower() not in multi_names)
    headers = [(n, v) for n, v in headers if n.lower() not in _HOP_BY_HOP]
    if not any(n.lower() == "content-type" for n, _ in headers):
        headers.append(("Content-Type", "application/json"))
    if request_id:
        headers.append(("x-amzn-RequestId", request_id))

    body = result.get("body")
    if body is None:
        payload = b""
    elif not isinstance(body, str):
        raise MalformedResponseError(f"body must be a string, got {type(body).__name__}")
    elif result.get("isBase64Encoded") is True:
        try:
            payload = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MalformedResponseError("isBase64Encoded is true but body is not base64") from exc
    else:
        payload = body.encode("utf-8")
    return HttpResponse(status, headers, payload)


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or isinstance(value, dict | list):
        raise MalformedResponseError(f"header value {value!r} is not a scalar")
    return str(value)
