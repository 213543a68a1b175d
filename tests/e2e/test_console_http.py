"""The console and API docs over real HTTP from the local API: files, security headers, hostile paths."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

from local.stack import LocalStack
from local.static_site import CONTENT_SECURITY_POLICY, OPENAPI_PATH


def raw(stack: LocalStack, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
    """One request with the path sent exactly as given (no client-side normalisation of `..`)."""
    netloc = urlsplit(stack.base_url).netloc
    connection = http.client.HTTPConnection(netloc, timeout=30)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def test_the_console_is_served_with_the_security_headers(e2e_stack: LocalStack) -> None:
    status, headers, body = raw(e2e_stack, "GET", "/console/")
    assert status == 200 and b'src="js/main.js"' in body
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert headers["x-content-type-options"] == "nosniff"
    status, headers, _ = raw(e2e_stack, "GET", "/console/js/main.js")
    assert status == 200 and headers["content-type"].startswith("text/javascript")


def test_the_docs_serve_our_generated_openapi(e2e_stack: LocalStack) -> None:
    status, _, body = raw(e2e_stack, "GET", "/docs/openapi.json")
    assert status == 200 and json.loads(body) == json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))


def test_hostile_console_paths_are_404_or_405_in_the_error_shape(e2e_stack: LocalStack) -> None:
    for path in (
        "/console/../pyproject.toml",
        "/console/%2e%2e/%2e%2e/pyproject.toml",
        "/docs/../local/dev-tokens.json",
    ):
        status, _, body = raw(e2e_stack, "GET", path)
        assert status == 404, path
        assert set(json.loads(body)) == {"error", "message", "details"}
    status, headers, body = raw(e2e_stack, "POST", "/console/index.html")
    assert status == 405 and headers["allow"] == "GET, HEAD"
    assert json.loads(body)["error"] == "method_not_allowed"


def test_the_api_keeps_its_own_404_next_to_the_console(e2e_stack: LocalStack) -> None:
    status, _, body = raw(e2e_stack, "GET", "/consoles")
    assert status == 404 and json.loads(body)["error"] == "not_found"
