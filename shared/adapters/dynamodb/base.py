"""What every item family's repository shares: the table and client, one call wrapper that maps store errors,
paging and batching, ONE retry/backoff policy, and the version-conditioned write."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError
from pydantic import BaseModel

from shared.adapters.aws import aws_client
from shared.adapters.dynamodb.keys import HEALTH_KEY, Key, n
from shared.adapters.dynamodb.parsed import PARSED
from shared.domain.errors import InvalidInputError, StoreUnavailableError, VersionConflictError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import WriteRequestTypeDef

M = TypeVar("M", bound=BaseModel)

BATCH_WRITE_LIMIT = 25  # DynamoDB's per-call item limit
TRANSACT_WRITE_LIMIT = 100  # DynamoDB's per-transaction action limit
BATCH_GET_LIMIT = 100
#: the projection of reads that parse only the stored model: botocore parses every attribute of every item it returns
#: (a score item has 11; the doc alone halves a 100-score BatchGetItem's time, decision 84)
DOC_ONLY = "doc"
#: attempts of a repository-level retry (unprocessed batch items, cancelled transactions), the first one included
MAX_BATCH_ATTEMPTS = 8

_UNAVAILABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    }
)


def make_dynamodb_client(endpoint_url: str | None, region: str) -> DynamoDBClient:
    client: DynamoDBClient = aws_client("dynamodb", region, endpoint_url)
    return client


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def cancellation_codes(exc: ClientError) -> list[str | None]:
    """A cancelled transaction's reasons, one per action in order (None: that action was fine)."""
    reasons: list[Any] = list(exc.response.get("CancellationReasons") or [])
    return [r.get("Code") for r in reasons]


def version_conflict(expected_version: int | None, stored: object) -> VersionConflictError:
    """The one message for a stale version, naming what the caller expected and what is stored."""
    return VersionConflictError(
        f"stale version: expected {expected_version if expected_version is not None else 'a new item'}, "
        f"stored version is {stored if stored is not None else 'none (the item does not exist)'}",
        field="version",
    )


def version_condition(expected_version: int | None) -> dict[str, Any]:
    """Optimistic locking: nothing stored yet (None), or exactly `expected_version` stored."""
    if expected_version is None:
        return {"ConditionExpression": "attribute_not_exists(pk)"}
    return {
        "ConditionExpression": "version = :expected",
        "ExpressionAttributeValues": {":expected": n(expected_version)},
    }


class Backoff:
    """The repository's one retry policy for work DynamoDB hands back undone (unprocessed batch items, a
    transaction cancelled by a conflicting write): exponential backoff with full-range jitter (x0.5..1), capped
    at 2 s, MAX_BATCH_ATTEMPTS attempts in all, then StoreUnavailableError. (Throttling and connection errors are
    retried by botocore's standard mode below this, `shared/adapters/aws.py`.)"""

    __slots__ = ("attempt", "base_delay", "max_attempts")

    def __init__(self, base_delay: float = 0.05, max_attempts: int = MAX_BATCH_ATTEMPTS) -> None:
        self.base_delay = base_delay
        self.max_attempts = max_attempts
        self.attempt = 0

    def again(self, failure: str, cause: BaseException | None = None) -> None:
        """Counts one more failed attempt: waits before the next one, or raises when none is left."""
        self.attempt += 1
        if self.attempt >= self.max_attempts:
            raise StoreUnavailableError(f"{failure} after {self.attempt} attempts") from cause
        time.sleep(min(2.0, self.base_delay * 2**self.attempt) * random.uniform(0.5, 1.0))  # noqa: S311 (backoff jitter, not cryptography)  # nosec B311


class DynamoTable:
    """The base of every item family's repository: one table, one client."""

    def __init__(self, table_name: str, client: DynamoDBClient) -> None:
        self.table_name = table_name
        self.client = client

    @staticmethod
    def _parse(model: type[M], item: Mapping[str, Any]) -> M:
        return model.model_validate_json(item["doc"]["S"])

    @staticmethod
    def _parse_shared(model: type[M], item: Mapping[str, Any]) -> M:
        """`_parse` for items reads return again and again (reference data, scores): the object parsed from the
        same `doc` before, if it is still cached (`parsed.PARSED`, decision 84)."""
        return PARSED.parse(model, item["doc"]["S"])

    def _call(self, operation: str, **kwargs: Any) -> Any:
        """One client call; connection failures and exhausted throttling retries become StoreUnavailableError."""
        try:
            return getattr(self.client, operation)(**kwargs)
        except (EndpointConnectionError, BotoCoreError) as exc:
            raise StoreUnavailableError(f"DynamoDB {operation} failed: {exc.__class__.__name__}") from exc
        except ClientError as exc:
            code = error_code(exc)
            if code in _UNAVAILABLE_CODES:
                raise StoreUnavailableError(f"DynamoDB {operation} throttled or unavailable: {code}") from exc
            if code == "ValidationException" and "ExclusiveStartKey" in kwargs:
                # decode_cursor checks the key; this is the backstop should the store still refuse it
                raise InvalidInputError(
                    "cursor is not valid for this query (use next_cursor from the previous page)", field="cursor"
                ) from exc
            raise

    def _query_all(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        while True:
            page = self._call("query", TableName=self.table_name, **kwargs)
            yield from page.get("Items", [])
            last = page.get("LastEvaluatedKey")
            if not last:
                return
            kwargs["ExclusiveStartKey"] = last

    def _query_partition(self, partition: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        return self._query_all(
            KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": partition}}, **kwargs
        )

    def _get(self, key: Key, **kwargs: Any) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self._call("get_item", TableName=self.table_name, Key=key, **kwargs).get("Item")
        return item

    def batch_write(self, requests: Sequence[WriteRequestTypeDef]) -> int:
        """BatchWriteItem in 25-item calls; UnprocessedItems are retried with backoff (`Backoff`).

        Returns the number of BatchWriteItem calls made (the benchmarks report it).
        """
        calls = 0
        for start in range(0, len(requests), BATCH_WRITE_LIMIT):
            pending: list[WriteRequestTypeDef] = list(requests[start : start + BATCH_WRITE_LIMIT])
            backoff = Backoff()
            while pending:
                response = self._call("batch_write_item", RequestItems={self.table_name: pending})
                calls += 1
                pending = list(response.get("UnprocessedItems", {}).get(self.table_name, []))
                if pending:
                    backoff.again(f"BatchWriteItem left {len(pending)} items unprocessed")
        return calls

    def batch_get(self, keys: Sequence[Key], projection: str | None = None) -> list[dict[str, Any]]:
        """BatchGetItem in 100-key calls, UnprocessedKeys retried with backoff (`Backoff`); `projection`: only
        these attributes (a ProjectionExpression of plain names)."""
        found: list[dict[str, Any]] = []
        request: dict[str, Any] = {"ProjectionExpression": projection} if projection else {}
        for start in range(0, len(keys), BATCH_GET_LIMIT):
            pending: list[Key] = list(keys[start : start + BATCH_GET_LIMIT])
            backoff = Backoff()
            while pending:
                response = self._call("batch_get_item", RequestItems={self.table_name: {"Keys": pending, **request}})
                found.extend(response.get("Responses", {}).get(self.table_name, []))
                pending = list(response.get("UnprocessedKeys", {}).get(self.table_name, {}).get("Keys", []))
                if pending:
                    backoff.again(f"BatchGetItem left {len(pending)} keys unprocessed")
        return found

    def _with_conflict_retries(self, operation: str, **kwargs: Any) -> Any:
        """A call that DynamoDB may refuse because a transaction holds the same item (TransactionConflict):
        sent again with backoff. Only for calls that are safe to repeat (a set ADD; a transaction cancelled
        before it wrote anything)."""
        backoff = Backoff(base_delay=0.02)
        while True:
            try:
                return self._call(operation, **kwargs)
            except ClientError as exc:
                code, reasons = error_code(exc), cancellation_codes(exc)
                conflict = code == "TransactionConflictException" or (
                    code == "TransactionCanceledException"
                    and "TransactionConflict" in reasons
                    and "ConditionalCheckFailed" not in reasons
                )
                if not conflict:
                    raise
                backoff.again(f"DynamoDB {operation}: transaction conflict persisted", exc)

    def _conditional(self, operation: str, expected_version: int | None, **kwargs: Any) -> None:
        """A put/delete guarded by the stored version; a mismatch is a VersionConflictError naming both."""
        try:
            self._call(
                operation,
                TableName=self.table_name,
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **version_condition(expected_version),
                **kwargs,
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            old_item: dict[str, Any] = dict(exc.response.get("Item") or {})  # type: ignore[call-overload]
            raise version_conflict(expected_version, old_item.get("version", {}).get("N")) from None

    def ping(self) -> None:
        """One GetItem of a key nothing writes: a data-plane read (0.5 RCU) that any role that reads the table may
        make (DescribeTable is a control-plane call with low request limits). Any failure, a missing table or a
        denied call included, is StoreUnavailableError."""
        try:
            self._get(HEALTH_KEY, ProjectionExpression="pk")
        except ClientError as exc:
            raise StoreUnavailableError(f"DynamoDB get_item (health check) failed: {error_code(exc)}") from exc
