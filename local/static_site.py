"""The console's static files on the local API, as CloudFront serves them from S3 in AWS (docs/console.md).

`make run` serves, next to the API routes of template.yaml:

- /console/...          web/console/ (plain HTML, CSS and JS modules; it calls only the public /v1 routes)
- /console/dev-tokens.json  the names and scopes of local/dev-tokens.json (the local token picker; fake tokens)
- /docs/...             web/docs/ (Swagger UI's page), its assets from the npm package swagger-ui-dist
                        (installed into .local/web by `make web-assets`) and /docs/openapi.json (docs/openapi.json)

GET and HEAD only; anything outside the folders (`..`, symlinks out) is a 404 in the API's error shape. Every file
goes out with the security headers the CloudFront response-headers policy sets in AWS (CSP without inline script).
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from local.api_responses import HttpResponse, error_response
from local.auth import DevToken

REPO_ROOT = Path(__file__).resolve().parent.parent
CONSOLE_DIR = REPO_ROOT / "web" / "console"
DOCS_DIR = REPO_ROOT / "web" / "docs"
OPENAPI_PATH = REPO_ROOT / "docs" / "openapi.json"
WEB_ASSETS_DIR = REPO_ROOT / ".local" / "web" / "node_modules"
SWAGGER_UI_DIR = WEB_ASSETS_DIR / "swagger-ui-dist"
AXE_CORE_PATH = WEB_ASSETS_DIR / "axe-core" / "axe.min.js"

#: The Content-Security-Policy of every console and docs page, here and in the CloudFront policy (template.yaml is
#: not involved locally): scripts and styles only from our origin, no inline script, no framing, API calls to us.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-cache"),
)

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".map": "application/json",
}


@dataclass(frozen=True)
class StaticSite:
    """URL prefix -> folder; `files` maps exact URLs to single files; `documents` to generated bodies."""

    folders: Mapping[str, Path]
    files: Mapping[str, Path] = field(default_factory=dict)
    documents: Mapping[str, bytes] = field(default_factory=dict)

    def handles(self, path: str) -> bool:
        return any(path == p.rstrip("/") or path.startswith(p) for p in self.folders)

    def respond(self, method: str, raw_path: str) -> HttpResponse | None:
        """The response for a static URL, or None when the path is not ours (the API router answers it)."""
        path = unquote(raw_path)
        if not self.handles(path):
            return None
        if method not in ("GET", "HEAD"):
            response = error_response(405, "method_not_allowed", f"{method} is not allowed on {path}")
            response.headers.append(("Allow", "GET, HEAD"))
            return response
        for prefix in self.folders:
            if path == prefix.rstrip("/"):
                return HttpResponse(301, [("Location", prefix), *SECURITY_HEADERS], b"")
        if path in self.documents:
            return _ok(self.documents[path], ".json")
        target = self.files.get(path) or self._in_folder(path)
        if target is None or not target.is_file():
            return error_response(404, "not_found", f"no file at {path}")
        return _ok(target.read_bytes(), target.suffix)

    def _in_folder(self, path: str) -> Path | None:
        prefix = max((p for p in self.folders if path.startswith(p)), key=len)
        root = self.folders[prefix].resolve()
        relative = path[len(prefix) :] or "index.html"
        if relative.endswith("/"):
            relative += "index.html"
        candidate = (root / relative).resolve()
        if not candidate.is_relative_to(root):
            return None
        return candidate


def _ok(body: bytes, suffix: str) -> HttpResponse:
    content_type = _TYPES.get(suffix) or mimetypes.guess_type(f"x{suffix}")[0] or "application/octet-stream"
    return HttpResponse(200, [("Content-Type", content_type), *SECURITY_HEADERS], body)


def dev_token_list(tokens: Mapping[str, DevToken]) -> bytes:
    """The token picker's choices: each fake local token with its scopes (the values are the tokens themselves)."""
    items = [{"token": name, "client_id": t.client_id, "scopes": sorted(t.scopes)} for name, t in tokens.items()]
    return json.dumps({"tokens": items}).encode("utf-8")


def local_site(tokens: Mapping[str, DevToken]) -> StaticSite:
    """The console and the API docs as `make run` serves them."""
    return StaticSite(
        folders={"/console/": CONSOLE_DIR, "/docs/assets/": SWAGGER_UI_DIR, "/docs/": DOCS_DIR},
        files={"/docs/openapi.json": OPENAPI_PATH},
        documents={"/console/dev-tokens.json": dev_token_list(tokens)},
    )


def missing_web_assets() -> list[str]:
    """What the docs page and the accessibility check need from npm that is not installed (empty when nothing)."""
    missing = []
    if not (SWAGGER_UI_DIR / "swagger-ui-bundle.js").is_file():
        missing.append("swagger-ui-dist (make web-assets)")
    if not AXE_CORE_PATH.is_file():
        missing.append("axe-core (make web-assets)")
    return missing
