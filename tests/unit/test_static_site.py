"""local.static_site: the console and API docs files the local API serves (no sockets)."""

from __future__ import annotations

import json
from pathlib import Path

from local.auth import DevToken
from local.static_site import CONTENT_SECURITY_POLICY, StaticSite, dev_token_list, local_site

TOKENS = {"dev-reader": DevToken("dev-reader", "dev-reader", ("risk/read",))}


def site(tmp_path: Path) -> StaticSite:
    root = tmp_path / "console"
    (root / "js").mkdir(parents=True, exist_ok=True)
    (root / "index.html").write_text("<!doctype html>", encoding="utf-8")
    (root / "js" / "main.js").write_text("export {};", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("not served", encoding="utf-8")
    return StaticSite(folders={"/console/": root}, documents={"/console/dev-tokens.json": dev_token_list(TOKENS)})


def headers(response: object) -> dict[str, str]:
    return {name.lower(): value for name, value in getattr(response, "headers")}  # noqa: B009


def test_files_go_out_with_their_type_and_the_security_headers(tmp_path: Path) -> None:
    response = site(tmp_path).respond("GET", "/console/js/main.js")
    assert response is not None and response.status == 200 and response.body == b"export {};"
    sent = headers(response)
    assert sent["content-type"].startswith("text/javascript")
    assert sent["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert sent["x-content-type-options"] == "nosniff"
    assert sent["x-frame-options"] == "DENY"


def test_the_folder_serves_its_index_and_the_bare_prefix_redirects(tmp_path: Path) -> None:
    index = site(tmp_path).respond("GET", "/console/")
    assert index is not None and index.status == 200 and index.body == b"<!doctype html>"
    redirect = site(tmp_path).respond("GET", "/console")
    assert redirect is not None and redirect.status == 301 and headers(redirect)["location"] == "/console/"


def test_paths_outside_the_folder_are_a_404_in_the_error_shape(tmp_path: Path) -> None:
    for path in ("/console/../secret.txt", "/console/%2e%2e/secret.txt", "/console/js/../../secret.txt"):
        response = site(tmp_path).respond("GET", path)
        assert response is not None and response.status == 404, path
        assert set(json.loads(response.body)) == {"error", "message", "details"}


def test_only_get_and_head_are_allowed(tmp_path: Path) -> None:
    response = site(tmp_path).respond("POST", "/console/index.html")
    assert response is not None and response.status == 405
    assert headers(response)["allow"] == "GET, HEAD"
    assert json.loads(response.body)["error"] == "method_not_allowed"


def test_api_paths_are_left_to_the_api_router(tmp_path: Path) -> None:
    assert site(tmp_path).respond("GET", "/v1/health") is None
    assert site(tmp_path).respond("GET", "/consoles") is None


def test_the_token_picker_lists_the_dev_tokens_and_their_scopes(tmp_path: Path) -> None:
    response = site(tmp_path).respond("GET", "/console/dev-tokens.json")
    assert response is not None and response.status == 200
    assert json.loads(response.body) == {
        "tokens": [{"token": "dev-reader", "client_id": "dev-reader", "scopes": ["risk/read"]}]
    }


def test_the_local_site_serves_the_console_the_docs_page_and_our_openapi() -> None:
    served = local_site(TOKENS)
    console = served.respond("GET", "/console/")
    assert console is not None and console.status == 200 and b"js/main.js" in console.body
    spec = served.respond("GET", "/docs/openapi.json")
    assert spec is not None and json.loads(spec.body)["openapi"].startswith("3.")
    docs = served.respond("GET", "/docs/")
    assert docs is not None and b"assets/swagger-ui-bundle.js" in docs.body
