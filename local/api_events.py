"""API Gateway REST proxy events (payload format 1.0), built for the local API as the real gateway builds them."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

from local.lambda_worker import LOCAL_ACCOUNT_ID
from tooling.sam_template import ApiRoute

DEFAULT_STAGE = "prod"
LOCAL_API_ID = "localapi"


def build_event(
    *,
    route: ApiRoute,
    method: str,
    path: str,
    query_string: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    path_parameters: Mapping[str, str],
    claims: Mapping[str, str] | None,
    source_ip: str = "127.0.0.1",
    stage: str = DEFAULT_STAGE,
    request_id: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """An API Gateway REST proxy event (payload format 1.0) as the real gateway builds it."""
    request_time = time.time() if now is None else now
    request_id = request_id or str(uuid.uuid4())

    single_headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    casing: dict[str, str] = {}
    for name, value in headers:
        key = casing.setdefault(name.lower(), name)
        multi_headers.setdefault(key, []).append(value)
        single_headers[key] = value
    user_agent = single_headers.get(casing.get("user-agent", ""))
    host = single_headers.get(casing.get("host", ""), "127.0.0.1")

    single_query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for name, value in parse_qsl(query_string, keep_blank_values=True):
        multi_query.setdefault(name, []).append(value)
        single_query[name] = value

    text_body: str | None = None
    is_base64 = False
    if body:
        try:
            text_body = body.decode("utf-8")
        except UnicodeDecodeError:
            text_body, is_base64 = base64.b64encode(body).decode("ascii"), True

    request_context: dict[str, Any] = {
        "resourceId": uuid.uuid5(uuid.NAMESPACE_URL, route.path).hex[:6],
        "resourcePath": route.path,
        "httpMethod": method,
        "extendedRequestId": base64.b32encode(uuid.uuid4().bytes[:10]).decode("ascii").rstrip("="),
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(request_time)),
        "path": f"/{stage}{path}",
        "accountId": LOCAL_ACCOUNT_ID,
        "protocol": "HTTP/1.1",
        "stage": stage,
        "domainPrefix": host.split(".")[0].split(":")[0],
        "requestTimeEpoch": int(request_time * 1000),
        "requestId": request_id,
        "identity": {
            "cognitoIdentityPoolId": None,
            "accountId": None,
            "cognitoIdentityId": None,
            "caller": None,
            "sourceIp": source_ip,
            "principalOrgId": None,
            "accessKey": None,
            "cognitoAuthenticationType": None,
            "cognitoAuthenticationProvider": None,
            "userArn": None,
            "userAgent": user_agent,
            "user": None,
        },
        "domainName": host,
        "apiId": LOCAL_API_ID,
    }
    if claims is not None:
        request_context["authorizer"] = {"claims": dict(claims)}

    return {
        "resource": route.path,
        "path": path,
        "httpMethod": method,
        "headers": single_headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": single_query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": dict(path_parameters) or None,
        "stageVariables": None,
        "requestContext": request_context,
        "body": text_body,
        "isBase64Encoded": is_base64,
    }
