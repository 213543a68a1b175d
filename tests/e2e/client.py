"""A small HTTP client for the e2e tests: requests against the local API, with the dev tokens by name."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

import requests
from pydantic import BaseModel

T = TypeVar("T")
TIMEOUT_S = 30


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    headers: requests.structures.CaseInsensitiveDict[str]

    def error(self) -> dict[str, Any]:
        """The body as the API's error shape (asserts exactly {"error", "message", "details"})."""
        assert isinstance(self.body, dict), self.body
        assert set(self.body) == {"error", "message", "details"}, self.body
        assert isinstance(self.body["error"], str) and self.body["error"]
        assert isinstance(self.body["message"], str) and self.body["message"]
        assert isinstance(self.body["details"], list)
        return self.body

    def error_fields(self) -> set[str]:
        return {str(d["field"]) for d in self.error()["details"] if isinstance(d, dict) and d.get("field")}


class ApiClient:
    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        response = self.session.request(
            method, self.base_url + path, params=params, json=json, headers=all_headers, timeout=TIMEOUT_S
        )
        content_type = response.headers.get("Content-Type", "")
        body: Any = response.json() if content_type.startswith("application/json") and response.content else None
        return Reply(response.status_code, body, response.headers)

    def get(self, path: str, token: str | None = "dev-reader", **kwargs: Any) -> Reply:
        return self.request("GET", path, token=token, **kwargs)

    def put(self, path: str, body: Any, token: str | None = "dev-admin", **kwargs: Any) -> Reply:
        return self.request("PUT", path, token=token, json=body, **kwargs)

    def post(self, path: str, body: Any, token: str | None = "dev-admin", **kwargs: Any) -> Reply:
        return self.request("POST", path, token=token, json=body, **kwargs)

    def pages(self, path: str, params: dict[str, Any] | None = None, token: str = "dev-reader") -> Iterator[Reply]:
        """Every page of a paginated list, following next_cursor until it is null (bounded, to fail not hang)."""
        query = dict(params or {})
        for _ in range(1000):
            reply = self.get(path, token, params=query)
            assert reply.status == 200, reply.body
            yield reply
            cursor = reply.body["next_cursor"]
            if cursor is None:
                return
            query["cursor"] = cursor
        raise AssertionError(f"{path}: more than 1000 pages")

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def documented(body: Any, model: type[BaseModel]) -> dict[str, Any]:
    """Asserts body has every field the API model documents as required and none it does not document."""
    schema = model.model_json_schema(mode="serialization")
    assert isinstance(body, dict), body
    missing = set(schema.get("required", [])) - set(body)
    extra = set(body) - set(schema.get("properties", {}))
    assert not missing, f"{model.__name__}: missing {sorted(missing)}"
    assert not extra, f"{model.__name__}: undocumented {sorted(extra)}"
    return body


def eventually(probe: Callable[[], T | None], *, timeout_s: float = 20.0, interval_s: float = 0.2) -> T | None:
    """The first non-None result of probe() within timeout_s (None when it never came)."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = probe()
        if result is not None or time.monotonic() > deadline:
            return result
        time.sleep(interval_s)
