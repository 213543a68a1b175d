"""Alert subscription routes (issue 16) on moto (DynamoDB + KMS) with the real portfolio API handler: versioned CRUD,
the secret returned once and sealed with KMS, tenants, pagination, validation, and no secret in the logs."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest

from shared.adapters.aws import CLIENT_CONFIG
from shared.adapters.factory import clear_adapter_caches, get_repository
from shared.adapters.secrets import KmsSecretSealer
from shared.domain.portfolio import Portfolio
from shared.domain.webhooks import DeliveryAttempt
from shared.services.subscriptions import secret_context
from tests.conftest import point_handlers_at
from tests.support import PORTFOLIO, READ, SEED_AS_OF, ApiResult, api_event, call, create_table


@pytest.fixture(scope="module")
def subscription_table(dynamodb_client: Any) -> Iterator[str]:
    name = create_table(dynamodb_client)
    yield name
    dynamodb_client.delete_table(TableName=name)


@pytest.fixture(scope="module")
def kms_key(dynamodb_client: Any) -> str:  # dynamodb_client: inside the session's mock_aws
    key: str = boto3.client("kms", region_name="us-east-1", config=CLIENT_CONFIG).create_key()["KeyMetadata"]["Arn"]
    return key


class Api:
    def __init__(self, handler: Any) -> None:
        self.handler = handler

    def call(self, method: str, path: str, tenant: str, body: Any = None, **kwargs: Any) -> ApiResult:
        event = api_event(method, path, body=body, scopes=(READ, PORTFOLIO), client_id=tenant, **kwargs)
        return call(self.handler, event)

    def put(self, tenant: str, sub_id: str, body: Any, **kwargs: Any) -> ApiResult:
        return self.call("PUT", f"/v1/subscriptions/{sub_id}", tenant, body, **kwargs)

    def get(self, tenant: str, sub_id: str) -> ApiResult:
        return self.call("GET", f"/v1/subscriptions/{sub_id}", tenant)


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch, subscription_table: str, kms_key: str) -> Iterator[Api]:
    monkeypatch.setenv("SUBSCRIPTION_KEY_ID", kms_key)
    queue = boto3.client("sqs", region_name="us-east-1").create_queue(QueueName=f"d-{uuid.uuid4().hex[:8]}")
    monkeypatch.setenv("DELIVERY_QUEUE_URL", queue["QueueUrl"])
    monkeypatch.delenv("ALLOW_LOOPBACK_WEBHOOKS", raising=False)
    point_handlers_at(monkeypatch, subscription_table, None)
    from functions.portfolio_api.app import lambda_handler

    yield Api(lambda_handler)
    clear_adapter_caches()


@pytest.fixture
def tenant() -> str:
    return f"team-{uuid.uuid4().hex[:8]}"


def body(**extra: Any) -> dict[str, Any]:
    return {"materials": ["dysprosium"], "bands": ["high", "critical"], "url": "https://hooks.example.com/r", **extra}


def test_create_returns_the_secret_once_sealed_with_kms(
    api: Api, tenant: str, subscription_table: str, kms_key: str, dynamodb_client: Any, capsys: Any
) -> None:
    created = api.put(tenant, "dy", body(headers={"X-Team": "magnets"}))
    assert created.status == 201, created.body
    assert created.headers["ETag"] == '"1"'
    secret = created.body["secret"]
    assert secret.startswith("whsec_") and created.body["version"] == 1
    assert "sealed_secret" not in created.body and "tenant" not in created.body

    read = api.get(tenant, "dy")
    assert read.status == 200 and read.body["secret"] is None
    assert read.body["headers"] == {"X-Team": "magnets"} and read.body["last_failure"] is None

    # stored sealed: the item holds KMS ciphertext that opens (only) with this subscription's context
    items = dynamodb_client.scan(TableName=subscription_table)["Items"]
    assert secret not in str(items)
    sealed = next(i for i in items if i["sk"]["S"] == "SUBSCRIPTION#dy#" and i["pk"]["S"] == f"TENANT#{tenant}")
    doc = sealed["doc"]["S"]
    sealer = KmsSecretSealer(kms_key, "us-east-1")
    assert sealer.open(json.loads(doc)["sealed_secret"], secret_context(tenant, "dy")) == secret
    assert base64.b64encode(secret.encode()).decode() not in doc
    # never logged
    assert secret not in capsys.readouterr().out


def test_replace_needs_the_version_and_keeps_the_secret(api: Api, tenant: str) -> None:
    api.put(tenant, "dy", body())
    assert api.put(tenant, "dy", body(min_change=3.0)).status == 409
    stale = api.put(tenant, "dy", body(min_change=3.0, version=7))
    assert stale.status == 409 and stale.body["error"] == "version_conflict"
    replaced = api.put(tenant, "dy", body(min_change=3.0), headers={"If-Match": '"1"'})
    assert replaced.status == 200 and replaced.body["version"] == 2 and replaced.body["secret"] is None
    same = api.put(tenant, "dy", body(min_change=3.0, version=2))
    assert same.status == 200 and same.body["version"] == 2


def test_rotation_returns_a_new_secret_once(api: Api, tenant: str) -> None:
    first = api.put(tenant, "dy", body()).body["secret"]
    rotated = api.call("POST", "/v1/subscriptions/dy/rotate-secret", tenant, headers={"If-Match": "1"})
    assert rotated.status == 200, rotated.body
    assert rotated.body["secret"] not in (None, first) and rotated.body["version"] == 2
    assert api.call("POST", "/v1/subscriptions/dy/rotate-secret", tenant, headers={"If-Match": "1"}).status == 409
    assert api.call("POST", "/v1/subscriptions/nope/rotate-secret", tenant).status == 404
    assert api.get(tenant, "dy").body["secret"] is None


def test_another_tenants_subscription_is_a_404_and_its_portfolio_a_422(api: Api, tenant: str) -> None:
    other = f"other-{uuid.uuid4().hex[:8]}"
    api.put(tenant, "dy", body())
    for result in (
        api.get(other, "dy"),
        api.call("DELETE", "/v1/subscriptions/dy", other),
        api.call("POST", "/v1/subscriptions/dy/rotate-secret", other),
    ):
        assert result.status == 404 and result.body["error"] == "not_found", result.body
    assert api.call("GET", "/v1/subscriptions", other).body["items"] == []

    plant = {"name": "plant", "items": [{"material": "dysprosium", "importer": "JP", "annual_spend": 1.0}]}
    # portfolio writes check materials against the catalogue: this table has none, so store it directly
    get_repository().put_portfolio(
        Portfolio.parse({**plant, "tenant": other, "id": "plant", "updated_at": SEED_AS_OF}), None
    )
    refused = api.put(tenant, "watch", {**body(materials=[]), "portfolio_id": "plant"})
    assert refused.status == 422 and refused.body["details"][0]["field"] == "portfolio_id"
    assert api.get(tenant, "watch").status == 404
    assert api.put(other, "watch", {**body(materials=[]), "portfolio_id": "plant"}).status == 201


@pytest.mark.parametrize(
    "bad",
    [
        {"url": "http://hooks.example.com/r"},
        {"url": "http://127.0.0.1:9000/hook"},  # loopback only in the local stack
        {"url": "https://169.254.169.254/latest/meta-data"},
        {"url": "https://192.168.1.10/hook"},
        {"materials": [], "pairs": []},
        {"bands": [], "min_change": None},
        {"headers": {"Authorization": "Bearer abc"}},
        {"headers": {"Webhook-Signature": "x"}},
        {"min_change": 0},
        {"secret": "mine"},
        {"materials": ["x"] * 101},
    ],
)
def test_bad_bodies_are_422_in_the_error_shape_and_store_nothing(api: Api, tenant: str, bad: dict[str, Any]) -> None:
    result = api.put(tenant, "bad", {**body(), **bad})
    assert result.status == 422, result.body
    assert set(result.body) == {"error", "message", "details"}
    assert api.get(tenant, "bad").status == 404


def test_listing_is_paginated_and_the_tenants_own(api: Api, tenant: str) -> None:
    for i in range(5):
        assert api.put(tenant, f"s{i}", body()).status == 201
    seen: list[str] = []
    query: dict[str, str] = {"limit": "2"}
    for _ in range(5):
        page = api.call("GET", "/v1/subscriptions", tenant, query=query)
        assert page.status == 200
        seen += [s["id"] for s in page.body["items"]]
        if not page.body["next_cursor"]:
            break
        query = {"limit": "2", "cursor": page.body["next_cursor"]}
    assert seen == [f"s{i}" for i in range(5)]
    assert api.call("GET", "/v1/subscriptions", tenant, query={"cursor": "garbage"}).status == 422


def test_delete(api: Api, tenant: str) -> None:
    api.put(tenant, "dy", body())
    assert api.call("DELETE", "/v1/subscriptions/dy", tenant, headers={"If-Match": "2"}).status == 409
    assert api.call("DELETE", "/v1/subscriptions/dy", tenant, headers={"If-Match": "1"}).status == 204
    assert api.call("DELETE", "/v1/subscriptions/dy", tenant).status == 404


def test_a_test_event_is_queued_for_the_tenants_subscription(api: Api, tenant: str) -> None:
    import os

    api.put(tenant, "dy", body())
    assert api.call("POST", "/v1/subscriptions/dy/test", f"other-{tenant}").status == 404
    queued = api.call("POST", "/v1/subscriptions/dy/test", tenant)
    assert queued.status == 202, queued.body
    assert queued.body["delivery_id"].startswith("dlv_") and queued.body["subscription_id"] == "dy"
    sqs = boto3.client("sqs", region_name="us-east-1")
    messages = sqs.receive_message(QueueUrl=os.environ["DELIVERY_QUEUE_URL"], MaxNumberOfMessages=10)["Messages"]
    task = json.loads(messages[0]["Body"])
    assert task["delivery_id"] == queued.body["delivery_id"] and json.loads(task["body"])["type"] == "test"


def test_the_deliveries_route_reads_the_attempt_log_of_the_tenants_own_subscription(api: Api, tenant: str) -> None:
    api.put(tenant, "dy", body())
    for n in (1, 2, 3):
        get_repository().record_attempt(
            tenant,
            DeliveryAttempt(
                subscription_id="dy",
                delivery_id="dlv_1",
                attempt=n,
                attempted_at=SEED_AS_OF + timedelta(seconds=n),
                outcome="retry" if n < 3 else "delivered",
                status_code=503 if n < 3 else 200,
                latency_ms=10 * n,
                next_retry_at=SEED_AS_OF + timedelta(seconds=n + 30) if n < 3 else None,
            ),
        )
    first = api.call("GET", "/v1/subscriptions/dy/deliveries", tenant, query={"limit": "2"})
    assert first.status == 200, first.body
    assert [(a["attempt"], a["outcome"], a["status_code"]) for a in first.body["items"]] == [
        (3, "delivered", 200),
        (2, "retry", 503),
    ]
    assert first.body["items"][1]["next_retry_at"] and first.body["next_cursor"]
    rest = api.call(
        "GET", "/v1/subscriptions/dy/deliveries", tenant, query={"limit": "2", "cursor": first.body["next_cursor"]}
    )
    assert [a["attempt"] for a in rest.body["items"]] == [1] and rest.body["next_cursor"] is None
    other = api.call("GET", "/v1/subscriptions/dy/deliveries", f"other-{uuid.uuid4().hex[:8]}")
    assert other.status == 404 and set(other.body) == {"error", "message", "details"}
    bad = api.call("GET", "/v1/subscriptions/dy/deliveries", tenant, query={"cursor": "garbage"})
    assert bad.status == 422 and bad.body["details"][0]["field"] == "cursor"
