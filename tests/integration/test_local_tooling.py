"""The docker-less local stack's tooling, without Java: template parsing, the local API gateway, tokens, invoke."""

from __future__ import annotations

import copy
import json
import os
import shutil
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest
import yaml
from botocore.validate import validate_parameters

from local import invoke as local_invoke
from local import run as local_run
from local.api_server import MAX_REQUEST_BODY_BYTES, serve_in_thread
from local.auth import DEFAULT_DEV_TOKENS_PATH, AuthDenied, DevTokensError, authorize, bearer_token, load_dev_tokens
from local.dynamodb_local import (
    LOOPBACK_LAUNCHER_CLASS,
    DynamoDBLocal,
    DynamoDBLocalError,
    PortInUseError,
    build_loopback_launcher,
)
from local.pollers import LOCAL_MAX_STREAM_RETRIES, StreamPoller
from local.routing import RouteMatch, RouteMiss, Router
from local.streams import StreamReader
from local.template_values import function_environment
from tooling.sam_template import (
    RETRY_UNTIL_EXPIRED,
    ApiRoute,
    CloudFormationLoader,
    TemplateError,
    api_routes,
    dynamodb_event_sources,
    function_handlers,
    load_template,
    table_create_kwargs,
)

STUB = "tests.unit.stub_handler"
LOCAL_TABLE = "RiskTable-unit"
FAKE_ENDPOINT = "http://127.0.0.1:1"  # never called: the stub handlers do not touch DynamoDB


@pytest.fixture(autouse=True)
def restore_environ() -> Iterator[None]:
    """The local API and local.invoke set handler env vars in os.environ: put everything back after each test."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)
    from shared.config import get_settings

    get_settings.cache_clear()


def _stub_template() -> dict[str, Any]:
    """A small SAM template in the project's shape: explicit API with a default Cognito authorizer."""

    def api_event(path: str, method: str, auth: dict[str, Any] | None = None) -> dict[str, Any]:
        props: dict[str, Any] = {"RestApiId": {"Ref": "StubApi"}, "Path": path, "Method": method}
        if auth is not None:
            props["Auth"] = auth
        return {"Type": "Api", "Properties": props}

    read = {"Authorizer": "CognitoAuthorizer", "AuthorizationScopes": ["risk/read"]}
    return {
        "Globals": {
            "Function": {
                "MemorySize": 256,
                "Timeout": 7,
                "Environment": {
                    "Variables": {
                        "TABLE_NAME": {"Ref": "StubTable"},
                        "POWERTOOLS_SERVICE_NAME": "stub-service",
                        "HISTORY_RETENTION_DAYS": {"Ref": "Retention"},
                    }
                },
            }
        },
        "Parameters": {"Retention": {"Type": "Number", "Default": 30}},
        "Resources": {
            "StubTable": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
            "StubApi": {
                "Type": "AWS::Serverless::Api",
                "Properties": {
                    "StageName": "prod",
                    "Auth": {
                        "DefaultAuthorizer": "CognitoAuthorizer",
                        "Authorizers": {"CognitoAuthorizer": {"UserPoolArn": {"Fn::GetAtt": ["Pool", "Arn"]}}},
                    },
                },
            },
            "EchoFunction": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Handler": f"{STUB}.echo",
                    "MemorySize": 1024,
                    "Events": {
                        "GetThing": api_event("/v1/things/{thing_id}", "GET", read),
                        "ListThings": api_event("/v1/things", "GET", read),
                        "CreateThing": api_event(
                            "/v1/things",
                            "POST",
                            {"Authorizer": "CognitoAuthorizer", "AuthorizationScopes": ["risk/admin"]},
                        ),
                        "Open": api_event("/v1/open", "GET", {"Authorizer": "NONE"}),
                        "Portfolio": api_event(
                            "/v1/portfolio", "GET", {"AuthorizationScopes": ["risk/portfolio"]}
                        ),  # default authorizer
                    },
                },
            },
            "BoomFunction": {
                "Type": "AWS::Serverless::Function",
                "Properties": {"Handler": f"{STUB}.boom", "Events": {"Boom": api_event("/v1/boom", "GET", read)}},
            },
            "BinaryFunction": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Handler": f"{STUB}.binary",
                    "Events": {"Binary": api_event("/v1/binary", "GET", {"Authorizer": "NONE"})},
                },
            },
            "MalformedFunction": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Handler": f"{STUB}.malformed",
                    "Events": {"Malformed": api_event("/v1/malformed", "GET", {"Authorizer": "NONE"})},
                },
            },
            **{
                name: {
                    "Type": "AWS::Serverless::Function",
                    "Properties": {
                        "Handler": f"{STUB}.{handler}",
                        "Events": {name: api_event(path, "GET", {"Authorizer": "NONE"})},
                    },
                }
                for name, handler, path in (
                    ("SlowFunction", "wait_for_file", "/v1/slow"),
                    ("WhoFunction", "whoami", "/v1/who"),
                    ("CrashFunction", "crash", "/v1/crash"),
                )
            },
        },
    }


@pytest.fixture
def api() -> Iterator[str]:
    with serve_in_thread(0, LOCAL_TABLE, FAKE_ENDPOINT, template=_stub_template(), quiet=True) as running:
        yield running.base_url


def http(
    method: str, url: str, token: str | None = None, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, list[str]], bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, raw_headers, payload = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, raw_headers, payload = error.code, error.headers, error.read()
    grouped: dict[str, list[str]] = {}
    for name, value in raw_headers.items():
        grouped.setdefault(name.lower(), []).append(value)
    return status, grouped, payload


def error_of(payload: bytes) -> dict[str, Any]:
    body = json.loads(payload)
    assert set(body) == {"error", "message", "details"}
    assert body["details"] == []
    assert isinstance(body["message"], str) and body["message"]
    return dict(body)


# ----------------------------------------------------------------------------------------- template


def test_loader_turns_cloudformation_short_tags_into_long_form() -> None:
    text = """
    A: !Ref Table
    B: !Sub "${AWS::StackName}-x"
    C: !GetAtt Pool.Arn
    D: !If [IsProd, !Ref X, !Ref AWS::NoValue]
    E: !Join ["-", [a, !Ref B]]
    F: !Sub ["${x}", {x: !Ref Y}]
    """
    doc = yaml.load(text, Loader=CloudFormationLoader)  # a SafeLoader subclass
    assert doc == {
        "A": {"Ref": "Table"},
        "B": {"Fn::Sub": "${AWS::StackName}-x"},
        "C": {"Fn::GetAtt": ["Pool", "Arn"]},
        "D": {"Fn::If": ["IsProd", {"Ref": "X"}, {"Ref": "AWS::NoValue"}]},
        "E": {"Fn::Join": ["-", ["a", {"Ref": "B"}]]},
        "F": {"Fn::Sub": ["${x}", {"x": {"Ref": "Y"}}]},
    }


def test_every_read_api_route_is_found_with_its_scope() -> None:
    template = load_template()
    events = template["Resources"]["ReadApiFunction"]["Properties"]["Events"]
    expected = {(e["Properties"]["Method"].upper(), e["Properties"]["Path"]) for e in events.values()}

    routes = [r for r in api_routes(template) if r.function_logical_id == "ReadApiFunction"]

    assert {(r.method, r.path) for r in routes} == expected
    assert all(r.handler == "functions.read_api.app.lambda_handler" for r in routes)
    for route in routes:
        if route.path == "/v1/health":
            assert route.auth_required is False
            assert route.scopes == ()
        else:
            assert route.auth_required is True
            assert route.scopes == ("risk/read",), route


def test_routes_follow_sam_auth_rules() -> None:
    routes = {(r.method, r.path): r for r in api_routes(_stub_template())}
    assert routes[("GET", "/v1/things/{thing_id}")].scopes == ("risk/read",)
    assert routes[("POST", "/v1/things")].scopes == ("risk/admin",)
    assert routes[("GET", "/v1/open")].auth_required is False
    # no Authorizer on the event: the API's DefaultAuthorizer applies
    assert routes[("GET", "/v1/portfolio")].auth_required is True
    assert routes[("GET", "/v1/portfolio")].scopes == ("risk/portfolio",)


def test_table_create_kwargs_match_the_template_and_botocore_accepts_them() -> None:
    kwargs = table_create_kwargs(load_template(), "RiskTable-x")

    assert kwargs["TableName"] == "RiskTable-x"
    assert kwargs["BillingMode"] == "PAY_PER_REQUEST"
    assert "ProvisionedThroughput" not in kwargs
    assert kwargs["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert {d["AttributeName"] for d in kwargs["AttributeDefinitions"]} == {
        "pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk",
    }  # fmt: skip
    gsis = {g["IndexName"]: g for g in kwargs["GlobalSecondaryIndexes"]}
    assert set(gsis) == {"gsi1", "gsi2"}
    assert gsis["gsi1"]["KeySchema"][0] == {"AttributeName": "gsi1pk", "KeyType": "HASH"}
    assert all(g["Projection"] == {"ProjectionType": "ALL"} for g in gsis.values())
    assert kwargs["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    shape = botocore.session.get_session().get_service_model("dynamodb").operation_model("CreateTable").input_shape
    assert shape is not None
    validate_parameters(kwargs, shape)  # raises ParamValidationError on any unknown or mistyped key


def test_table_create_kwargs_rejects_an_unknown_table() -> None:
    with pytest.raises(TemplateError, match="NoSuchTable"):
        table_create_kwargs(load_template(), "x", logical_id="NoSuchTable")


def test_function_handlers_and_environment_resolve_refs_to_local_values() -> None:
    template = load_template()
    assert function_handlers(template)["ReadApiFunction"] == "functions.read_api.app.lambda_handler"

    env = function_environment(template, "ReadApiFunction", table_name="RiskTable-local")

    assert env["TABLE_NAME"] == "RiskTable-local"
    assert env["HISTORY_RETENTION_DAYS"] == str(template["Parameters"]["HistoryRetentionDays"]["Default"])
    assert (
        env["POWERTOOLS_SERVICE_NAME"]
        == template["Globals"]["Function"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
    )
    assert all(isinstance(v, str) for v in env.values())


def test_function_environment_resolves_sub_getatt_and_pseudo_parameters() -> None:
    template = _stub_template()
    template["Resources"]["EchoFunction"]["Properties"]["Environment"] = {
        "Variables": {
            "QUEUE": {"Ref": "WorkQueue"},
            "ARN": {"Fn::GetAtt": ["StubTable", "Arn"]},
            "NAME": {"Fn::Sub": "${AWS::StackName}-${StubTable}-${!Literal}"},
            "FLAG": True,
        }
    }
    template["Resources"]["WorkQueue"] = {"Type": "AWS::SQS::Queue"}

    env = function_environment(template, "EchoFunction", table_name="T-local")

    assert env["TABLE_NAME"] == "T-local"
    assert env["HISTORY_RETENTION_DAYS"] == "30"
    assert env["QUEUE"] == "WorkQueue-local"
    assert env["ARN"] == "arn:aws:dynamodb:us-east-1:123456789012:table/T-local"
    assert env["NAME"] == "materials-risk-local-T-local-${Literal}"
    assert env["FLAG"] == "true"


def test_unknown_function_names_the_known_ones() -> None:
    with pytest.raises(TemplateError, match="ReadApiFunction"):
        function_environment(load_template(), "NoSuchFunction")


def test_stream_retries_are_read_as_written_and_only_the_local_poller_caps_retry_until_expired() -> None:
    template = copy.deepcopy(load_template())
    events = template["Resources"]["StreamRescoreFunction"]["Properties"]["Events"]
    stream_event = next(e for e in events.values() if e["Type"] == "DynamoDB")
    written = stream_event["Properties"].pop("MaximumRetryAttempts")

    (source,) = dynamodb_event_sources(template)
    assert source.max_retry_attempts == RETRY_UNTIL_EXPIRED  # AWS: retry until the record expires
    reader = StreamReader(None, "arn:aws:dynamodb:us-east-1:123456789012:table/T/stream/x")
    assert StreamPoller(reader, source, lambda event: None).max_retries == LOCAL_MAX_STREAM_RETRIES

    (as_written,) = dynamodb_event_sources(load_template())
    assert as_written.max_retry_attempts == written
    assert StreamPoller(reader, as_written, lambda event: None).max_retries == written


# ----------------------------------------------------------------------------------------- dev tokens


def test_dev_tokens_load_with_client_ids_and_scopes() -> None:
    tokens = load_dev_tokens()

    assert {t: (v.client_id, set(v.scopes)) for t, v in tokens.items()} == {
        "dev-admin": ("dev-admin", {"risk/read", "risk/portfolio", "risk/admin"}),
        "dev-reader": ("dev-reader", {"risk/read"}),
        "team-a": ("team-a", {"risk/read", "risk/portfolio"}),
        "team-b": ("team-b", {"risk/read", "risk/portfolio"}),
    }
    comment = json.loads(DEFAULT_DEV_TOKENS_PATH.read_text())["_comment"]
    assert "local" in comment.lower()


def test_dev_token_claims_look_like_a_cognito_access_token() -> None:
    claims = load_dev_tokens()["team-a"].claims()
    assert claims["client_id"] == claims["sub"] == "team-a"
    assert claims["scope"] == "risk/read risk/portfolio"
    assert claims["token_use"] == "access"
    assert all(isinstance(v, str) for v in claims.values())


def test_malformed_dev_tokens_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps({"tokens": {"t": {"client_id": "c", "scopes": "risk/read"}}}))
    with pytest.raises(DevTokensError, match="scopes"):
        load_dev_tokens(path)
    with pytest.raises(DevTokensError, match="not found"):
        load_dev_tokens(tmp_path / "missing.json")


@pytest.mark.parametrize(
    ("header", "token"),
    [(None, None), ("", None), ("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("abc", "abc"), ("Bearer ", None)],
)
def test_bearer_token_parsing(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


def test_the_authorizer_decides_without_a_server() -> None:
    tokens = load_dev_tokens()
    admin_route = ApiRoute("F", "m.h", "POST", "/v1/rescore", scopes=("risk/admin",))
    public_route = ApiRoute("F", "m.h", "GET", "/v1/health", auth_required=False)

    assert authorize(public_route, None, tokens) is None
    assert authorize(admin_route, "Bearer dev-admin", tokens) == tokens["dev-admin"]
    missing, unknown, forbidden = (
        authorize(admin_route, header, tokens) for header in (None, "Bearer nope", "Bearer dev-reader")
    )
    assert isinstance(missing, AuthDenied) and (missing.status, missing.error) == (401, "unauthorized")
    assert isinstance(unknown, AuthDenied) and unknown.status == 401
    assert isinstance(forbidden, AuthDenied) and (forbidden.status, forbidden.error) == (403, "forbidden")
    assert "risk/admin" in forbidden.message


# ----------------------------------------------------------------------------------------- router


def test_router_prefers_literal_segments_and_reports_405_with_allowed_methods() -> None:
    def route(path: str, method: str = "GET") -> ApiRoute:
        return ApiRoute("F", "m.h", method, path)

    router = Router([route("/v1/items/{id}"), route("/v1/items/special"), route("/v1/items", "POST"), route("/p/{x+}")])

    literal = router.resolve("GET", "/v1/items/special")
    assert isinstance(literal, RouteMatch) and literal.route.path == "/v1/items/special"
    param = router.resolve("GET", "/v1/items/42")
    assert isinstance(param, RouteMatch) and param.path_parameters == {"id": "42"}
    greedy = router.resolve("GET", "/p/a/b/c")
    assert isinstance(greedy, RouteMatch) and greedy.path_parameters == {"x": "a/b/c"}
    assert router.resolve("GET", "/v1/items") == RouteMiss(405, ("POST",))
    assert router.resolve("GET", "/v1/nothing") == RouteMiss(404)
    assert router.resolve("GET", "/v1/items/") == RouteMiss(405, ("POST",))  # trailing slash ignored


# ----------------------------------------------------------------------------------------- local API over HTTP


def test_missing_or_unknown_token_is_401(api: str) -> None:
    for token in (None, "not-a-dev-token"):
        status, headers, payload = http("GET", f"{api}/v1/things/1", token)
        assert status == 401
        assert error_of(payload)["error"] == "unauthorized"
        assert headers["content-type"] == ["application/json"]


def test_token_without_the_route_scope_is_403(api: str) -> None:
    status, _, payload = http("POST", f"{api}/v1/things", "dev-reader", b"{}")
    assert status == 403
    assert error_of(payload)["error"] == "forbidden"
    status, _, _ = http("GET", f"{api}/v1/portfolio", "dev-reader")
    assert status == 403
    status, _, _ = http("GET", f"{api}/v1/portfolio", "team-b")
    assert status == 200


def test_unknown_path_is_404_and_wrong_method_is_405(api: str) -> None:
    status, _, payload = http("GET", f"{api}/v1/nope", "dev-admin")
    assert status == 404
    assert error_of(payload)["error"] == "not_found"

    status, headers, payload = http("DELETE", f"{api}/v1/things", "dev-admin")
    assert status == 405
    assert error_of(payload)["error"] == "method_not_allowed"
    assert headers["allow"] == ["GET, POST"]


def test_route_without_auth_needs_no_token_and_has_no_authorizer_context(api: str) -> None:
    status, _, payload = http("GET", f"{api}/v1/open")
    assert status == 200
    event = json.loads(payload)["event"]
    assert "authorizer" not in event["requestContext"]


def test_proxy_event_has_the_api_gateway_rest_v1_shape(api: str) -> None:
    started_ms = int(time.time() * 1000)
    status, headers, payload = http(
        "GET", f"{api}/v1/things/abc%20def?x=1&x=2&empty=", "dev-reader", headers={"X-Trace": "t1"}
    )
    assert status == 200
    result = json.loads(payload)
    event, context, env = result["event"], result["context"], result["env"]

    assert set(event) == {
        "resource", "path", "httpMethod", "headers", "multiValueHeaders", "queryStringParameters",
        "multiValueQueryStringParameters", "pathParameters", "stageVariables", "requestContext", "body",
        "isBase64Encoded",
    }  # fmt: skip
    assert event["resource"] == "/v1/things/{thing_id}"
    assert event["path"] == "/v1/things/abc def"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"thing_id": "abc def"}
    assert event["queryStringParameters"] == {"x": "2", "empty": ""}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"], "empty": [""]}
    assert event["headers"]["Authorization"] == "Bearer dev-reader"
    assert event["headers"]["X-Trace"] == "t1"
    assert event["multiValueHeaders"]["X-Trace"] == ["t1"]
    assert event["headers"]["X-Forwarded-Proto"] == "http"
    assert event["stageVariables"] is None
    assert event["body"] is None
    assert event["isBase64Encoded"] is False

    ctx = event["requestContext"]
    assert ctx["resourcePath"] == "/v1/things/{thing_id}"
    assert ctx["httpMethod"] == "GET"
    assert ctx["path"] == "/prod/v1/things/abc def"
    assert ctx["stage"] == "prod"
    assert str(uuid.UUID(ctx["requestId"])) == ctx["requestId"]
    assert started_ms - 1000 <= ctx["requestTimeEpoch"] <= int(time.time() * 1000) + 1000
    assert ctx["identity"]["sourceIp"] == "127.0.0.1"
    claims = ctx["authorizer"]["claims"]
    assert {k: claims[k] for k in ("client_id", "sub", "scope", "token_use")} == {
        "client_id": "dev-reader",
        "sub": "dev-reader",
        "scope": "risk/read",
        "token_use": "access",
    }

    assert context["function_name"] == "EchoFunction"
    assert context["memory_limit_in_mb"] == 1024  # the function's own MemorySize beats Globals
    assert context["invoked_function_arn"].endswith(":function:EchoFunction")
    assert context["aws_request_id"] == ctx["requestId"] == headers["x-amzn-requestid"][0]
    assert 0 < context["remaining_ms"] <= 7000  # Globals Timeout: 7

    assert env == {
        "TABLE_NAME": LOCAL_TABLE,
        "DYNAMODB_ENDPOINT_URL": FAKE_ENDPOINT,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "local",
        "POWERTOOLS_SERVICE_NAME": "stub-service",
        "HISTORY_RETENTION_DAYS": "30",
    }

    # the handler's headers and multiValueHeaders both reach the client
    assert headers["x-stub"] == ["echo"]
    assert headers["set-cookie"] == ["a=1", "b=2"]


def test_request_body_reaches_the_handler_as_a_string(api: str) -> None:
    status, _, payload = http(
        "POST", f"{api}/v1/things", "dev-admin", b'{"name": "x"}', headers={"Content-Type": "application/json"}
    )
    assert status == 200
    event = json.loads(payload)["event"]
    assert event["body"] == '{"name": "x"}'
    assert event["isBase64Encoded"] is False
    assert event["requestContext"]["authorizer"]["claims"]["scope"] == "risk/read risk/portfolio risk/admin"


def test_body_over_6_mb_is_413(api: str) -> None:
    status, _, payload = http("POST", f"{api}/v1/things", "dev-admin", b"x" * (MAX_REQUEST_BODY_BYTES + 1))
    assert status == 413
    assert error_of(payload)["error"] == "payload_too_large"


def raw_request(base_url: str, head: str, body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are (http.client and urllib refuse to send malformed framing) and read the whole answer."""
    port = int(base_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode("latin-1") + b"\r\n" + body)
        received = b""
        while b"\r\n\r\n" not in received:
            data = sock.recv(65536)
            assert data, f"connection closed before a response: {received!r}"
            received += data
        header_block, _, rest = received.partition(b"\r\n\r\n")
        status_line, *header_lines = header_block.decode("latin-1").split("\r\n")
        headers = {n.strip().lower(): v.strip() for n, v in (line.split(":", 1) for line in header_lines)}
        length = int(headers["content-length"])
        while len(rest) < length:
            data = sock.recv(65536)
            assert data, "connection closed inside the response body"
            rest += data
    return int(status_line.split()[1]), headers, rest[:length]


POST_THINGS = "POST /v1/things HTTP/1.1\nHost: 127.0.0.1\nAuthorization: Bearer dev-admin\n"
CHUNKED = "Transfer-Encoding: chunked\n"


@pytest.mark.parametrize(
    ("head", "body", "message"),
    [
        (POST_THINGS + "Content-Length: 6\n" + CHUNKED, b"1\r\nx\r\n0\r\n\r\n", "both Content-Length and Transfer"),
        (POST_THINGS + CHUNKED + "Content-Length: 6\n", b"1\r\nx\r\n0\r\n\r\n", "both Content-Length and Transfer"),
        (POST_THINGS + "Content-Length: 2\nContent-Length: 2\n", b"{}", "more than one Content-Length"),
        (POST_THINGS + "Content-Length: 2\nContent-Length: 7\n", b"{}", "more than one Content-Length"),
        (POST_THINGS + "Content-Length: +2\n", b"{}", "bad Content-Length"),
        (POST_THINGS + "Content-Length: -1\n", b"", "bad Content-Length"),
        (POST_THINGS + "Content-Length: 2, 2\n", b"{}", "bad Content-Length"),
        (POST_THINGS + "Transfer-Encoding: chunked, chunked\n", b"0\r\n\r\n", "chunked more than once"),
        (POST_THINGS + "Transfer-Encoding: chunked\nTransfer-Encoding: chunked\n", b"0\r\n\r\n", "more than once"),
        (POST_THINGS + "Transfer-Encoding: chunked, identity\n", b"0\r\n\r\n", "must end with chunked"),
        (POST_THINGS + CHUNKED, b"-5\r\nhello\r\n0\r\n\r\n", "bad chunk size '-5'"),
        (POST_THINGS + CHUNKED, b"-0\r\n\r\n", "bad chunk size '-0'"),
        (POST_THINGS + CHUNKED, b"+2\r\n{}\r\n0\r\n\r\n", "bad chunk size '+2'"),
        (POST_THINGS + CHUNKED, b"0x2\r\n{}\r\n0\r\n\r\n", "bad chunk size '0x2'"),
        (POST_THINGS + CHUNKED, b"1_0\r\n{}\r\n0\r\n\r\n", "bad chunk size '1_0'"),
        (POST_THINGS + CHUNKED, b"zz\r\n{}\r\n0\r\n\r\n", "bad chunk size 'zz'"),
        (POST_THINGS + CHUNKED, b"\r\n{}\r\n0\r\n\r\n", "bad chunk size ''"),
        (POST_THINGS + CHUNKED, b"2\r\n{}xx\r\n0\r\n\r\n", "does not match its size"),
        (
            "GET /v1/things HTTP/1.1\nHost: 127.0.0.1\nAuthorization: Bearer dev-reader\n"
            "Authorization: Bearer dev-admin\n",
            b"",
            "more than one Authorization header",
        ),
        (
            "GET /v1/open HTTP/1.1\nHost: 127.0.0.1\nAuthorization: Bearer a\nAuthorization: Bearer b\n",
            b"",
            "more than one Authorization header",
        ),
    ],
)  # fmt: skip
def test_ambiguous_request_framing_and_two_authorization_headers_are_400(
    api: str, head: str, body: bytes, message: str
) -> None:
    status, headers, payload = raw_request(api, head, body)
    assert status == 400, payload
    assert headers["content-type"] == "application/json"
    assert headers["connection"] == "close"
    error = error_of(payload)
    assert error["error"] == "bad_request"
    assert message in error["message"]


def test_an_unknown_transfer_coding_is_501(api: str) -> None:
    status, headers, payload = raw_request(api, POST_THINGS + "Transfer-Encoding: gzip, chunked\n", b"0\r\n\r\n")
    assert status == 501
    assert headers["connection"] == "close"
    assert error_of(payload)["error"] == "not_implemented"


def test_a_well_formed_chunked_body_reaches_the_handler(api: str) -> None:
    chunks = b'6;ext=1\r\n{"a": \r\nA\r\n"chunked"}\r\n0\r\n\r\n'
    status, _, payload = raw_request(api, POST_THINGS + CHUNKED, chunks)
    assert status == 200, payload
    assert json.loads(payload)["event"]["body"] == '{"a": "chunked"}'


def test_raising_handler_is_502_with_the_traceback_on_stderr_only(api: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, payload = http("GET", f"{api}/v1/boom", "dev-reader")

    assert status == 502
    body = error_of(payload)
    assert body["error"] == "internal_error"
    assert "Traceback" not in payload.decode() and "secret-looking" not in payload.decode()
    err = capsys.readouterr().err
    assert "Traceback" in err and "stub handler failure" in err


def test_malformed_handler_result_is_502(api: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, payload = http("GET", f"{api}/v1/malformed")
    assert status == 502
    assert error_of(payload)["error"] == "internal_error"
    assert "not a proxy response object" in capsys.readouterr().err


def test_base64_encoded_response_is_decoded(api: str) -> None:
    status, headers, payload = http("GET", f"{api}/v1/binary")
    assert status == 201
    assert payload == b"\x00\x01binary\xff"
    assert headers["content-type"] == ["application/octet-stream"]


def test_other_functions_answer_while_one_invocation_runs(api: str, tmp_path: Path) -> None:
    """Each function has its own worker processes: a long invocation (a rescoring storm) blocks nobody else.
    With one lock for every handler, the second request would wait for the first, which waits for the test."""
    release = tmp_path / "release"
    slow: dict[str, Any] = {}

    def call_slow() -> None:
        slow["response"] = http("GET", f"{api}/v1/slow?path={release}")

    caller = threading.Thread(target=call_slow)
    caller.start()
    try:
        status, _, payload = http("GET", f"{api}/v1/who")  # the slow handler is still waiting meanwhile
        assert status == 200, payload
        status, _, payload = http("GET", f"{api}/v1/things/x", "dev-reader")
        assert status == 200, payload
        assert "response" not in slow
    finally:
        release.touch()
        caller.join(timeout=30)
    status, _, payload = slow["response"]
    assert status == 200 and json.loads(payload)["waited_for"] == str(release)


def test_handlers_run_in_warm_worker_processes_per_function_not_in_the_server() -> None:
    with serve_in_thread(0, LOCAL_TABLE, FAKE_ENDPOINT, template=_stub_template(), quiet=True) as running:
        first = json.loads(http("GET", f"{running.base_url}/v1/who")[2])
        second = json.loads(http("GET", f"{running.base_url}/v1/who")[2])
        assert first["pid"] != os.getpid()
        assert (second["pid"], second["calls"]) == (first["pid"], first["calls"] + 1)  # warm: imported once
        pids = running.server.workers.pids()
        assert pids["WhoFunction"] == [first["pid"]]
        workers = [pid for group in pids.values() for pid in group]
    for pid in workers:  # stopping the server stops its workers
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_crashed_worker_is_a_502_and_the_function_recovers(api: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, payload = http("GET", f"{api}/v1/crash")
    assert status == 502
    assert error_of(payload)["error"] == "internal_error"
    assert "CrashFunction's worker process" in capsys.readouterr().err
    status, _, payload = http("GET", f"{api}/v1/who")
    assert status == 200, payload
    status, _, _ = http("GET", f"{api}/v1/crash")  # a new worker, which crashes again: still a clean 502
    assert status == 502


def test_server_clears_the_settings_cache_and_restores_the_environment_when_stopped() -> None:
    from shared.config import get_settings

    os.environ["TABLE_NAME"] = "before-the-server"
    get_settings.cache_clear()
    assert get_settings().table_name == "before-the-server"

    with serve_in_thread(0, LOCAL_TABLE, FAKE_ENDPOINT, template=_stub_template(), quiet=True):
        assert get_settings().table_name == LOCAL_TABLE
        assert get_settings().dynamodb_endpoint_url == FAKE_ENDPOINT

    assert os.environ["TABLE_NAME"] == "before-the-server"
    assert "AWS_ENDPOINT_URL_DYNAMODB" not in os.environ or os.environ["AWS_ENDPOINT_URL_DYNAMODB"] != FAKE_ENDPOINT
    assert get_settings().table_name == "before-the-server"


def test_real_template_routes_enforce_auth_before_any_handler_runs() -> None:
    with serve_in_thread(0, LOCAL_TABLE, FAKE_ENDPOINT, quiet=True) as running:
        status, _, payload = http("GET", f"{running.base_url}/v1/scores/JP/dysprosium")
        assert status == 401
        assert error_of(payload)["error"] == "unauthorized"
        status, _, _ = http("POST", f"{running.base_url}/v1/scores/JP/dysprosium", "dev-reader")
        assert status == 405


def test_api_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(PortInUseError, match=f"port {port} is already in use.*PORT"):
            serve_in_thread(port, LOCAL_TABLE, FAKE_ENDPOINT, template=_stub_template(), quiet=True)


# ----------------------------------------------------------------------------------------- local.invoke


@pytest.fixture
def stub_template_file(tmp_path: Path) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(yaml.safe_dump(_stub_template()))
    return path


def test_invoke_prints_only_the_handler_result_on_stdout(
    tmp_path: Path, stub_template_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DYNAMODB_ENDPOINT_URL", "http://127.0.0.1:8999")
    event_file = tmp_path / "event.json"
    event_file.write_text(json.dumps({"httpMethod": "GET", "path": "/v1/open"}))

    code = local_invoke.main(["EchoFunction", str(event_file), "--template", str(stub_template_file)])

    out, err = capsys.readouterr()
    assert code == 0, err
    result = json.loads(out)  # stdout is exactly one JSON document
    assert result["statusCode"] == 200
    body = json.loads(result["body"])
    assert body["event"] == {"httpMethod": "GET", "path": "/v1/open"}
    assert body["env"]["TABLE_NAME"] == "RiskTable-local"
    assert body["env"]["DYNAMODB_ENDPOINT_URL"] == "http://127.0.0.1:8999"
    assert body["context"]["function_name"] == "EchoFunction"
    assert "must not reach" in err


def test_invoke_unknown_function_lists_the_known_ones(
    tmp_path: Path, stub_template_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event_file = tmp_path / "event.json"
    event_file.write_text("{}")
    code = local_invoke.main(["Nope", str(event_file), "--template", str(stub_template_file)])
    err = capsys.readouterr().err
    assert code == 2
    assert "unknown function 'Nope'" in err
    assert "EchoFunction" in err and "BoomFunction" in err


def test_invoke_missing_event_file_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = local_invoke.main(["ReadApiFunction", str(tmp_path / "missing.json")])
    assert code == 2
    assert "event file not found" in capsys.readouterr().err


def test_invoke_raising_handler_exits_1_with_a_lambda_style_error(
    tmp_path: Path, stub_template_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event_file = tmp_path / "event.json"
    event_file.write_text("{}")
    code = local_invoke.main(["BoomFunction", str(event_file), "--template", str(stub_template_file)])
    out, err = capsys.readouterr()
    assert code == 1
    assert json.loads(out)["errorType"] == "RuntimeError"
    assert "Traceback" in err


# ----------------------------------------------------------------------------------------- local.run


def test_run_checks_the_api_port_before_starting_anything(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = local_run.main(["--port", str(port), "--ddb-port", str(port)])
    out, err = capsys.readouterr()
    assert code == 1
    assert f"port {port} is already in use: stop what uses it or pass PORT=..." in err
    assert "starting DynamoDB Local" not in out


def test_run_examples_use_the_dev_reader_token_and_show_a_401() -> None:
    commands = local_run.example_commands("http://127.0.0.1:3000")
    assert sum("Bearer dev-reader" in c for c in commands) >= 4
    assert any("Authorization" not in c and "401" in c for c in commands)
    assert any("/v1/scores/JP/dysprosium" in c for c in commands)


# ----------------------------------------------------------------------------------------- DynamoDB Local's bind


def _fake_jar_dir(tmp_path: Path) -> Path:
    jar_dir = tmp_path / "dynamodb_local_2099-01-01"
    (jar_dir / "DynamoDBLocal_lib").mkdir(parents=True)
    (jar_dir / "DynamoDBLocal.jar").write_bytes(b"")
    return jar_dir


def _fake_java(tmp_path: Path, stderr: str, code: int) -> str:
    """A 'java' that prints what a JRE without jdk.compiler prints (or anything else) and exits with `code`."""
    script = tmp_path / "java"
    script.write_text(f"#!/bin/sh\necho '{stderr}' >&2\nexit {code}\n")
    script.chmod(0o755)
    return str(script)


def test_dynamodb_local_runs_through_the_loopback_launcher_bound_to_127_0_0_1(tmp_path: Path) -> None:
    jar_dir = _fake_jar_dir(tmp_path)
    command = DynamoDBLocal(8123).command(jar_dir, tmp_path / "launcher")
    assert "-jar" not in command
    assert "-Ddynamodb.local.host=127.0.0.1" in command
    assert command[command.index("-cp") + 1] == f"{tmp_path / 'launcher'}{os.pathsep}{jar_dir / 'DynamoDBLocal.jar'}"
    assert command[command.index("-cp") + 2] == LOOPBACK_LAUNCHER_CLASS
    assert command[-2:] == ["-port", "8123"]


def test_a_jre_without_a_compiler_is_named_as_the_reason(tmp_path: Path) -> None:
    java = _fake_java(tmp_path, "java.lang.module.FindException: Module jdk.compiler not found", 1)
    with pytest.raises(DynamoDBLocalError, match=r"no Java compiler .*JRE, not a JDK"):
        build_loopback_launcher(java, _fake_jar_dir(tmp_path), tmp_path / "install")
    assert not list((tmp_path / "install").glob("*launcher*"))  # nothing half-built is left to be reused


def test_without_the_launcher_the_exposure_is_reported_or_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    java = _fake_java(tmp_path, "java.lang.module.FindException: Module jdk.compiler not found", 1)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert shutil.which("java") == java
    jar_dir = _fake_jar_dir(tmp_path)

    fallback = DynamoDBLocal(8123, install_dir=tmp_path / "install")
    assert fallback._launcher(jar_dir) is None
    assert fallback.exposure_warning is not None and "jdk.compiler" in fallback.exposure_warning
    err = capsys.readouterr().err
    assert "warning: DynamoDB Local will listen on port 8123 of EVERY network interface" in err
    assert "Install a JDK" in err

    strict = DynamoDBLocal(8123, install_dir=tmp_path / "install", loopback_only=True)
    with pytest.raises(DynamoDBLocalError, match=r"cannot bind DynamoDB Local to 127\.0\.0\.1 only"):
        strict._launcher(jar_dir)
