"""DynamoDB adapter: the one-table key design lives here and nowhere else.

Item families (pk / sk):
  MATERIAL / <material>                 material profile
  DEPENDENCY#<material> / <importer>    importer dependency (one Query per material for bulk rescoring)
  IMPORTER / <importer>                 importer index: `materials`, a string set of the materials that economy
                                        has a dependency item for (ADD only, so concurrent writers commute)
  GOVERNANCE / <country>                governance
  SIGNAL / <signal id>                  policy signal
  SCORE#<importer> / <material>         current score; gsi1 ranks an importer's scores, gsi2 a material's
  HISTORY#<importer>#<material> / <iso computed_at>   score history, expires via TTL (expires_at)

Reference sets that are small and read whole (materials, governance, signals) share one partition each,
so each is one Query (never a Scan). Each item keeps its domain model as a compact JSON document (`doc`)
beside the native attributes that keys, filters and conditions need (score, band, version as numbers).
Reference items written by a bulk load carry `load_id`: the table stream's filter (template.yaml) drops them, and
one rescoring run follows the load (docs/decisions.md).
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import json
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError
from pydantic import BaseModel

from shared.adapters.aws import CLIENT_CONFIG as CLIENT_CONFIG  # re-exported: tests build clients with it
from shared.adapters.aws import aws_client
from shared.domain.errors import InvalidInputError, StoreUnavailableError, TooLargeError, VersionConflictError
from shared.domain.models import (
    Band,
    CountryGovernance,
    ImporterDependency,
    MaterialProfile,
    PolicySignal,
    RiskScore,
)
from shared.domain.portfolio import Portfolio
from shared.ports import (
    HistoryPoint,
    HistoryQuery,
    Page,
    Pair,
    PortfolioSummary,
    RankedBy,
    RankQuery,
    ReferenceChange,
    ReferenceItem,
    RescoreRun,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef, WriteRequestTypeDef

M = TypeVar("M", bound=BaseModel)

#: compressed portfolio document limit, under DynamoDB's 400 KB item size with room for the other attributes
MAX_PORTFOLIO_DOC_BYTES = 350_000
BATCH_WRITE_LIMIT = 25  # DynamoDB's per-call item limit
TRANSACT_WRITE_LIMIT = 100  # DynamoDB's per-transaction action limit
BATCH_GET_LIMIT = 100
MAX_BATCH_ATTEMPTS = 8
#: the attribute that marks a reference item as written by a bulk load (the stream filter drops such records)
LOAD_ID_ATTRIBUTE = "load_id"
IMPORTER_INDEX_PK = "IMPORTER"


#: Score bands as sort-key ranges on the ranking indexes ([lower, upper) on the 0..100 scale).
BAND_RANGES: dict[Band, tuple[float, float]] = {
    Band.LOW: (0.0, 25.0),
    Band.MODERATE: (25.0, 50.0),
    Band.HIGH: (50.0, 75.0),
    Band.CRITICAL: (75.0, 100.0001),
}


def make_dynamodb_client(endpoint_url: str | None, region: str) -> DynamoDBClient:
    client: DynamoDBClient = aws_client("dynamodb", region, endpoint_url)
    return client


def score_sort_key(score: float, suffix: str) -> str:
    """Zero-padded so lexical order is numeric order: 91.726 -> '091.7260#<suffix>'."""
    return f"{score:08.4f}#{suffix}"


def _s(value: str) -> AttributeValueTypeDef:
    return {"S": value}


def _n(value: float | int) -> AttributeValueTypeDef:
    # Decimal via str keeps the exact decimal text of the float (boto3 rejects floats).
    return {"N": str(Decimal(str(value)))}


def _doc(model: BaseModel) -> AttributeValueTypeDef:
    return {"S": model.model_dump_json()}


class DynamoRiskRepository:
    """Implements shared.ports.RiskStore on one DynamoDB table."""

    def __init__(self, table_name: str, client: DynamoDBClient) -> None:
        self.table_name = table_name
        self.client = client

    # ------------------------------------------------------------------ keys and items

    @staticmethod
    def _material_key(material_id: str) -> dict[str, AttributeValueTypeDef]:
        return {"pk": _s("MATERIAL"), "sk": _s(material_id)}

    @staticmethod
    def _dependency_key(importer: str, material_id: str) -> dict[str, AttributeValueTypeDef]:
        return {"pk": _s(f"DEPENDENCY#{material_id}"), "sk": _s(importer)}

    @staticmethod
    def _governance_key(country: str) -> dict[str, AttributeValueTypeDef]:
        return {"pk": _s("GOVERNANCE"), "sk": _s(country)}

    @staticmethod
    def _signal_key(signal_id: str) -> dict[str, AttributeValueTypeDef]:
        return {"pk": _s("SIGNAL"), "sk": _s(signal_id)}

    @staticmethod
    def _score_key(importer: str, material_id: str) -> dict[str, AttributeValueTypeDef]:
        return {"pk": _s(f"SCORE#{importer}"), "sk": _s(material_id)}

    def _reference_item(self, item: ReferenceItem) -> dict[str, AttributeValueTypeDef]:
        match item:
            case MaterialProfile():
                key = self._material_key(item.id)
            case ImporterDependency():
                key = self._dependency_key(item.importer, item.material)
            case CountryGovernance():
                key = self._governance_key(item.country)
            case PolicySignal():
                key = self._signal_key(item.id)
        return {**key, "version": _n(item.version), "doc": _doc(item)}

    @staticmethod
    def _score_item(score: RiskScore) -> dict[str, AttributeValueTypeDef]:
        item: dict[str, AttributeValueTypeDef] = {
            "pk": _s(f"SCORE#{score.importer}"),
            "sk": _s(score.material),
            "gsi1pk": _s(f"RANK#IMPORTER#{score.importer}"),
            "gsi1sk": _s(score_sort_key(score.score, score.material)),
            "gsi2pk": _s(f"RANK#MATERIAL#{score.material}"),
            "gsi2sk": _s(score_sort_key(score.score, score.importer)),
            "score": _n(score.score),
            "band": _s(score.band.value),
            "computed_at": _s(score.computed_at.isoformat()),
            "doc": _doc(score),
        }
        if score.groups:
            item["groups"] = {"SS": sorted(set(score.groups))}
        return item

    @staticmethod
    def _history_item(score: RiskScore, expires_at: int) -> dict[str, AttributeValueTypeDef]:
        point = {
            "score": score.score,
            "band": score.band.value,
            "model_version": score.model_version,
            "inputs_hash": score.inputs_hash,
            "signal_ids": list(score.signal_ids),
        }
        return {
            "pk": _s(f"HISTORY#{score.importer}#{score.material}"),
            "sk": _s(score.computed_at.isoformat()),
            "score": _n(score.score),
            "expires_at": _n(expires_at),
            "doc": {"S": json.dumps(point, separators=(",", ":"))},
        }

    @staticmethod
    def _parse(model: type[M], item: Mapping[str, Any]) -> M:
        return model.model_validate_json(item["doc"]["S"])

    # ------------------------------------------------------------------ low-level calls

    def _call(self, operation: str, **kwargs: Any) -> Any:
        """One client call; connection failures and exhausted throttling retries become StoreUnavailableError."""
        try:
            return getattr(self.client, operation)(**kwargs)
        except (EndpointConnectionError, BotoCoreError) as exc:
            raise StoreUnavailableError(f"DynamoDB {operation} failed: {exc.__class__.__name__}") from exc
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in {
                "ProvisionedThroughputExceededException",
                "ThrottlingException",
                "RequestLimitExceeded",
                "InternalServerError",
                "ServiceUnavailable",
            }:
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

    def _get(self, key: dict[str, AttributeValueTypeDef]) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self._call("get_item", TableName=self.table_name, Key=key).get("Item")
        return item

    def batch_write(self, requests: Sequence[WriteRequestTypeDef]) -> int:
        """BatchWriteItem in 25-item calls; UnprocessedItems are retried with exponential backoff + jitter.

        Returns the number of BatchWriteItem calls made (the benchmarks report it).
        """
        calls = 0
        for start in range(0, len(requests), BATCH_WRITE_LIMIT):
            pending: list[WriteRequestTypeDef] = list(requests[start : start + BATCH_WRITE_LIMIT])
            attempt = 0
            while pending:
                response = self._call("batch_write_item", RequestItems={self.table_name: pending})
                calls += 1
                pending = list(response.get("UnprocessedItems", {}).get(self.table_name, []))
                if pending:
                    attempt += 1
                    if attempt >= MAX_BATCH_ATTEMPTS:
                        raise StoreUnavailableError(
                            f"BatchWriteItem left {len(pending)} items unprocessed after {attempt} attempts"
                        )
                    time.sleep(min(2.0, 0.05 * 2**attempt) * random.uniform(0.5, 1.0))  # noqa: S311 (backoff jitter, not cryptography)  # nosec B311
        return calls

    def batch_get(self, keys: Sequence[dict[str, AttributeValueTypeDef]]) -> list[dict[str, Any]]:
        """BatchGetItem in 100-key calls, UnprocessedKeys retried with backoff."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(keys), BATCH_GET_LIMIT):
            pending: list[dict[str, AttributeValueTypeDef]] = list(keys[start : start + BATCH_GET_LIMIT])
            attempt = 0
            while pending:
                response = self._call("batch_get_item", RequestItems={self.table_name: {"Keys": pending}})
                found.extend(response.get("Responses", {}).get(self.table_name, []))
                pending = list(response.get("UnprocessedKeys", {}).get(self.table_name, {}).get("Keys", []))
                if pending:
                    attempt += 1
                    if attempt >= MAX_BATCH_ATTEMPTS:
                        raise StoreUnavailableError(f"BatchGetItem left {len(pending)} keys unprocessed")
                    time.sleep(min(2.0, 0.05 * 2**attempt) * random.uniform(0.5, 1.0))  # noqa: S311 (backoff jitter, not cryptography)  # nosec B311
        return found

    def ping(self) -> None:
        """One GetItem of a key nothing writes: a data-plane read (0.5 RCU) that any role that reads the table may
        make (DescribeTable is a control-plane call with low request limits). Any failure, a missing table or a
        denied call included, is StoreUnavailableError."""
        try:
            self._call(
                "get_item",
                TableName=self.table_name,
                Key={"pk": _s("HEALTH"), "sk": _s("HEALTH")},
                ProjectionExpression="pk",
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            raise StoreUnavailableError(f"DynamoDB get_item (health check) failed: {code}") from exc

    # ------------------------------------------------------------------ reference data

    def get_material(self, material_id: str) -> MaterialProfile | None:
        item = self._get(self._material_key(material_id))
        return self._parse(MaterialProfile, item) if item else None

    def list_materials(self) -> list[MaterialProfile]:
        items = self._query_all(KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": _s("MATERIAL")})
        return [self._parse(MaterialProfile, item) for item in items]

    def get_dependency(self, importer: str, material_id: str) -> ImporterDependency | None:
        item = self._get(self._dependency_key(importer, material_id))
        return self._parse(ImporterDependency, item) if item else None

    def list_dependencies(self, material_id: str) -> list[ImporterDependency]:
        items = self._query_all(
            KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": _s(f"DEPENDENCY#{material_id}")}
        )
        return [self._parse(ImporterDependency, item) for item in items]

    def list_governance(self) -> dict[str, CountryGovernance]:
        items = self._query_all(KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": _s("GOVERNANCE")})
        parsed = (self._parse(CountryGovernance, item) for item in items)
        return {g.country: g for g in parsed}

    def list_signals(self) -> list[PolicySignal]:
        items = self._query_all(KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": _s("SIGNAL")})
        return [self._parse(PolicySignal, item) for item in items]

    def get_materials(self, material_ids: Sequence[str]) -> list[MaterialProfile]:
        items = self.batch_get([self._material_key(m) for m in dict.fromkeys(material_ids)])
        return sorted((self._parse(MaterialProfile, item) for item in items), key=lambda m: m.id)

    def get_governance(self, country: str) -> CountryGovernance | None:
        item = self._get(self._governance_key(country))
        return self._parse(CountryGovernance, item) if item else None

    def get_signal(self, signal_id: str) -> PolicySignal | None:
        item = self._get(self._signal_key(signal_id))
        return self._parse(PolicySignal, item) if item else None

    def save_reference_items(self, items: Sequence[ReferenceItem], load_id: str | None = None) -> None:
        marker: dict[str, AttributeValueTypeDef] = {LOAD_ID_ATTRIBUTE: _s(load_id)} if load_id else {}
        self.batch_write([{"PutRequest": {"Item": {**self._reference_item(item), **marker}}} for item in items])

    def put_reference_item(self, item: ReferenceItem, expected_version: int | None, load_id: str | None = None) -> None:
        if isinstance(item, ImporterDependency):
            self._put_dependency_and_index(item, expected_version, load_id)
            return
        marker: dict[str, AttributeValueTypeDef] = {LOAD_ID_ATTRIBUTE: _s(load_id)} if load_id else {}
        self._conditional("put_item", expected_version, Item={**self._reference_item(item), **marker})

    # ------------------------------------------------------------------ importer index (IMPORTER / <code>)

    @staticmethod
    def _importer_key(importer: str) -> dict[str, AttributeValueTypeDef]:
        return {"pk": _s(IMPORTER_INDEX_PK), "sk": _s(importer)}

    def list_importer_index(self) -> dict[str, frozenset[str]]:
        items = self._query_all(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": _s(IMPORTER_INDEX_PK)},
            ProjectionExpression="sk, materials",
        )
        return {item["sk"]["S"]: frozenset(item.get("materials", {}).get("SS", [])) for item in items}

    def add_importer_materials(self, additions: Mapping[str, Iterable[str]]) -> None:
        """One UpdateItem `ADD materials :set` per economy. A set union is idempotent, so an update that collides
        with a concurrent transaction on the same item (TransactionConflictException) is simply sent again."""
        for importer, materials in sorted(additions.items()):
            values = sorted(set(materials))
            if not values:
                continue  # DynamoDB has no empty sets
            self._with_conflict_retries(
                "update_item",
                TableName=self.table_name,
                Key=self._importer_key(importer),
                UpdateExpression="ADD materials :m",
                ExpressionAttributeValues={":m": {"SS": values}},
            )

    def _put_dependency_and_index(
        self, item: ImporterDependency, expected_version: int | None, load_id: str | None = None
    ) -> None:
        """The dependency (guarded by its version, as `_conditional`) and the index ADD in one transaction."""
        marker: dict[str, AttributeValueTypeDef] = {LOAD_ID_ATTRIBUTE: _s(load_id)} if load_id else {}
        put: dict[str, Any] = {
            "TableName": self.table_name,
            "Item": {**self._reference_item(item), **marker},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            **self._version_condition(expected_version),
        }
        update: dict[str, Any] = {
            "TableName": self.table_name,
            "Key": self._importer_key(item.importer),
            "UpdateExpression": "ADD materials :m",
            "ExpressionAttributeValues": {":m": {"SS": [item.material]}},
        }
        try:
            self._with_conflict_retries("transact_write_items", TransactItems=[{"Put": put}, {"Update": update}])
        except ClientError as exc:
            reasons: list[Any] = list(exc.response.get("CancellationReasons") or [])
            if not reasons or reasons[0].get("Code") != "ConditionalCheckFailed":
                raise
            stored = (reasons[0].get("Item") or {}).get("version", {}).get("N")
            if stored is None and expected_version is not None:  # the reason may come without the item
                current = self._get(self._dependency_key(item.importer, item.material))
                stored = current["version"]["N"] if current else None
            raise VersionConflictError(
                f"stale version: expected {expected_version if expected_version is not None else 'a new item'}, "
                f"stored version is {stored if stored is not None else 'none (the item does not exist)'}",
                field="version",
            ) from None

    def _with_conflict_retries(self, operation: str, **kwargs: Any) -> Any:
        """A call that DynamoDB may refuse because a transaction holds the same item (TransactionConflict):
        sent again with backoff. Only for calls that are safe to repeat (a set ADD; a transaction cancelled
        before it wrote anything)."""
        attempt = 0
        while True:
            try:
                return self._call(operation, **kwargs)
            except ClientError as exc:
                error = exc.response.get("Error", {}).get("Code", "")
                reasons: list[Any] = list(exc.response.get("CancellationReasons") or [])
                conflict = error == "TransactionConflictException" or (
                    error == "TransactionCanceledException"
                    and any(r.get("Code") == "TransactionConflict" for r in reasons)
                    and not any(r.get("Code") == "ConditionalCheckFailed" for r in reasons)
                )
                attempt += 1
                if not conflict:
                    raise
                if attempt >= MAX_BATCH_ATTEMPTS:
                    raise StoreUnavailableError(f"DynamoDB {operation}: transaction conflict persisted") from exc
                time.sleep(min(2.0, 0.02 * 2**attempt) * random.uniform(0.5, 1.0))  # noqa: S311 (backoff jitter, not cryptography)  # nosec B311

    # ------------------------------------------------------------------ scores

    def get_score(self, importer: str, material_id: str) -> RiskScore | None:
        item = self._get(self._score_key(importer, material_id))
        return self._parse(RiskScore, item) if item else None

    def save_scores(self, scores: Sequence[RiskScore], history_expires_at: int) -> list[RiskScore]:
        """The nightly and bulk writer: each score item is put only if no later score is stored for its pair,
        in TransactWriteItems of up to 100 conditional Puts (no read first: the condition is the check, so a
        stream rescoring that lands between any read and this write still wins); the history rows, keyed by
        their own time, go in 25-item BatchWriteItem calls. Returns the scores whose item was written."""
        return self._save_scores(scores, history_expires_at)

    def _save_scores(self, scores: Sequence[RiskScore], history_expires_at: int) -> list[RiskScore]:
        history: list[WriteRequestTypeDef] = [
            {"PutRequest": {"Item": self._history_item(s, history_expires_at)}} for s in scores
        ]
        if len(scores) <= TRANSACT_WRITE_LIMIT:
            written = self._put_scores_if_newer(scores)
            self.batch_write(history)
            return written
        # The history rows do not depend on the conditional writes' outcome: send them alongside (botocore clients
        # are thread-safe), so the two streams of round trips overlap instead of adding up.
        from concurrent.futures import ThreadPoolExecutor  # imported on first use: not on the read API's cold start

        with ThreadPoolExecutor(max_workers=1) as pool:
            history_done = pool.submit(self.batch_write, history)
            written = self._put_scores_if_newer(scores)
            history_done.result()
        return written

    @staticmethod
    def _if_newer(score: RiskScore) -> dict[str, Any]:
        """The one condition every score write carries: nothing stored yet, or a score for the same or an
        earlier time (the same time again is a redelivery: it writes the same item)."""
        return {
            "ConditionExpression": "attribute_not_exists(pk) OR computed_at <= :at",
            "ExpressionAttributeValues": {":at": _s(score.computed_at.isoformat())},
        }

    def _put_scores_if_newer(self, scores: Sequence[RiskScore]) -> list[RiskScore]:
        """Conditional Puts, 100 per transaction. A transaction is all or nothing, so when DynamoDB cancels one,
        its CancellationReasons say which items failed their condition (a later score is stored: skipped) and the
        rest is sent again; a cancellation for any other reason (a conflicting write in flight, throttling) is
        retried whole with backoff."""
        written: list[RiskScore] = []
        for start in range(0, len(scores), TRANSACT_WRITE_LIMIT):
            pending = list(scores[start : start + TRANSACT_WRITE_LIMIT])
            attempt = 0
            while pending:
                puts = [
                    {"Put": {"TableName": self.table_name, "Item": self._score_item(s), **self._if_newer(s)}}
                    for s in pending
                ]
                try:
                    self._call("transact_write_items", TransactItems=puts)
                except ClientError as exc:
                    if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                        raise
                    reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
                    later = {i for i, code in enumerate(reasons) if code == "ConditionalCheckFailed"}
                    if later:
                        pending = [s for i, s in enumerate(pending) if i not in later]
                        continue
                    attempt += 1
                    if attempt >= MAX_BATCH_ATTEMPTS:
                        raise StoreUnavailableError(
                            f"TransactWriteItems of {len(pending)} scores cancelled {attempt} times: {reasons}"
                        ) from exc
                    time.sleep(min(2.0, 0.05 * 2**attempt) * random.uniform(0.5, 1.0))  # noqa: S311 (backoff jitter, not cryptography)  # nosec B311
                    continue
                written.extend(pending)
                pending = []
        return written

    def get_scores(self, pairs: Sequence[Pair]) -> dict[Pair, RiskScore]:
        items = self.batch_get([self._score_key(p.importer, p.material) for p in dict.fromkeys(pairs)])
        scores = (self._parse(RiskScore, item) for item in items)
        return {Pair(s.importer, s.material): s for s in scores}

    def save_scores_if_newer(self, scores: Sequence[RiskScore], history_expires_at: int) -> list[RiskScore]:
        """The stream path's writer: the same conditional transactions as `save_scores` (a signal on a group for
        every importer touches thousands of pairs; one conditional PutItem per pair was a round trip each)."""
        return self._save_scores(scores, history_expires_at)

    # ------------------------------------------------------------------ rescoring runs

    @staticmethod
    def _run_key(run_id: str) -> dict[str, AttributeValueTypeDef]:
        return {"pk": _s(f"RUN#{run_id}"), "sk": _s("RUN")}

    def create_run(self, run: RescoreRun) -> tuple[RescoreRun, bool]:
        item: dict[str, AttributeValueTypeDef] = {
            **self._run_key(run.run_id),
            "as_of": _s(run.as_of.isoformat()),
            "chunks_total": _n(run.chunks_total),
            "chunks_done": _n(0),
            "chunks_failed": _n(0),
            "pairs_scored": _n(0),
            "created_at": _s(run.created_at.isoformat()),
        }
        if run.request_digest is not None:
            item["request_digest"] = _s(run.request_digest)
        created = True
        try:
            self._call("put_item", TableName=self.table_name, Item=item, ConditionExpression="attribute_not_exists(pk)")
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            created = False
        stored = self.get_run(run.run_id)
        if stored is None:  # just written or already there; only a concurrent delete could get here
            raise StoreUnavailableError(f"rescoring run {run.run_id} vanished right after it was written")
        return stored, created

    def get_run(self, run_id: str) -> RescoreRun | None:
        item = self._call("get_item", TableName=self.table_name, Key=self._run_key(run_id), ConsistentRead=True).get(
            "Item"
        )
        if not item:
            return None
        total, done, failed = (int(item[k]["N"]) for k in ("chunks_total", "chunks_done", "chunks_failed"))
        status = "running" if done + failed < total else ("completed" if failed == 0 else "completed_with_failures")
        return RescoreRun(
            run_id=run_id,
            as_of=datetime.fromisoformat(item["as_of"]["S"]),
            status=status,
            chunks_total=total,
            chunks_done=done,
            chunks_failed=failed,
            pairs_scored=int(item["pairs_scored"]["N"]),
            created_at=datetime.fromisoformat(item["created_at"]["S"]),
            request_digest=item["request_digest"]["S"] if "request_digest" in item else None,
        )

    # ------------------------------------------------------------------ portfolios

    @staticmethod
    def _portfolio_key(tenant: str, portfolio_id: str) -> dict[str, AttributeValueTypeDef]:
        return {"pk": _s(f"TENANT#{tenant}"), "sk": _s(f"PORTFOLIO#{portfolio_id}")}

    def _version_condition(self, expected_version: int | None) -> dict[str, Any]:
        if expected_version is None:
            return {"ConditionExpression": "attribute_not_exists(pk)"}
        return {
            "ConditionExpression": "version = :expected",
            "ExpressionAttributeValues": {":expected": _n(expected_version)},
        }

    def get_portfolio(self, tenant: str, portfolio_id: str) -> Portfolio | None:
        item = self._get(self._portfolio_key(tenant, portfolio_id))
        return Portfolio.model_validate_json(gzip.decompress(item["docz"]["B"])) if item else None

    def list_portfolios(self, tenant: str, limit: int, cursor: str | None) -> Page[PortfolioSummary]:
        partition = f"TENANT#{tenant}"
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": _s(partition), ":prefix": _s("PORTFOLIO#")},
            "ProjectionExpression": "pk, sk, #name, currency, item_count, version, updated_at",
            "ExpressionAttributeNames": {"#name": "name"},
            "Limit": limit,
        }
        if cursor:
            kwargs["ExclusiveStartKey"] = decode_cursor(
                cursor,
                partition,
                {},
                {"pk", "sk"},
                lambda key: key["pk"] == partition and key["sk"].startswith("PORTFOLIO#"),
            )
        page = self._call("query", TableName=self.table_name, **kwargs)
        summaries = [
            PortfolioSummary(
                id=item["sk"]["S"].removeprefix("PORTFOLIO#"),
                name=item["name"]["S"],
                currency=item["currency"]["S"],
                item_count=int(item["item_count"]["N"]),
                version=int(item["version"]["N"]),
                updated_at=datetime.fromisoformat(item["updated_at"]["S"]),
            )
            for item in page.get("Items", [])
        ]
        last = page.get("LastEvaluatedKey")
        return Page(items=summaries, next_cursor=encode_cursor(last, partition, {}) if last else None)

    def put_portfolio(self, portfolio: Portfolio, expected_version: int | None) -> None:
        item: dict[str, AttributeValueTypeDef] = {
            **self._portfolio_key(portfolio.tenant, portfolio.id),
            "name": _s(portfolio.name),
            "currency": _s(portfolio.currency),
            "item_count": _n(len(portfolio.items)),
            "version": _n(portfolio.version),
            "updated_at": _s(portfolio.updated_at.isoformat()),
            # gzip: a 1,000-line bill of materials is ~200 KB of JSON but ~20 KB compressed (item limit 400 KB)
            "docz": {"B": gzip.compress(portfolio.model_dump_json().encode(), mtime=0)},
        }
        if len(item["docz"]["B"]) > MAX_PORTFOLIO_DOC_BYTES:
            raise TooLargeError(
                f"portfolio is too large to store ({len(item['docz']['B'])} bytes compressed, at most "
                f"{MAX_PORTFOLIO_DOC_BYTES}): split it into several portfolios"
            )
        self._conditional("put_item", expected_version, Item=item)

    def delete_portfolio(self, tenant: str, portfolio_id: str, expected_version: int | None) -> bool:
        key = self._portfolio_key(tenant, portfolio_id)
        if expected_version is None:
            response = self._call("delete_item", TableName=self.table_name, Key=key, ReturnValues="ALL_OLD")
            return bool(response.get("Attributes"))
        self._conditional("delete_item", expected_version, Key=key)
        return True

    def _conditional(self, operation: str, expected_version: int | None, **kwargs: Any) -> None:
        """A put/delete guarded by the stored version; a mismatch is a VersionConflictError naming both."""
        try:
            self._call(
                operation,
                TableName=self.table_name,
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **self._version_condition(expected_version),
                **kwargs,
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            old_item: dict[str, Any] = dict(exc.response.get("Item") or {})  # type: ignore[call-overload]
            stored = old_item.get("version", {}).get("N")
            raise VersionConflictError(
                f"stale version: expected {expected_version if expected_version is not None else 'a new item'}, "
                f"stored version is {stored if stored is not None else 'none (the item does not exist)'}",
                field="version",
            ) from None

    def _count_chunk_once(self, run_id: str, marker: str, counters: dict[str, int], detail: str) -> bool:
        """A marker item per chunk, written with the counters in one transaction: a repeat changes nothing."""
        updates = ", ".join(f"{name} :{name}" for name in counters)
        try:
            self._call(
                "transact_write_items",
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table_name,
                            "Item": {"pk": _s(f"RUN#{run_id}"), "sk": _s(marker), "detail": _s(detail[:1000])},
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.table_name,
                            "Key": self._run_key(run_id),
                            "UpdateExpression": f"ADD {updates}",
                            "ConditionExpression": "attribute_exists(pk)",
                            "ExpressionAttributeValues": {f":{name}": _n(v) for name, v in counters.items()},
                        }
                    },
                ],
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                return False
            raise
        return True

    def record_chunk_done(self, run_id: str, chunk_index: int, pairs_scored: int) -> bool:
        return self._count_chunk_once(
            run_id, f"CHUNK#{chunk_index:06d}#DONE", {"chunks_done": 1, "pairs_scored": pairs_scored}, "done"
        )

    def record_chunk_failed(self, run_id: str, chunk_index: int, reason: str) -> bool:
        return self._count_chunk_once(run_id, f"CHUNK#{chunk_index:06d}#FAILED", {"chunks_failed": 1}, reason)

    def rank_scores(self, query: RankQuery) -> Page[RiskScore]:
        index, partition = (
            ("gsi1", f"RANK#IMPORTER#{query.key}")
            if query.by is RankedBy.IMPORTER
            else ("gsi2", f"RANK#MATERIAL#{query.key}")
        )
        pk_name, sk_name = f"{index}pk", f"{index}sk"
        lower, upper = BAND_RANGES[query.band] if query.band else (0.0, 100.0001)
        if query.min_score is not None:
            lower = max(lower, query.min_score)
        # "~" sorts after "#<id>", so every score strictly below `upper` is in range
        low_key, high_key = f"{lower:08.4f}", f"{upper - 0.00005:08.4f}~"
        filters = {
            "band": query.band.value if query.band else None,
            "min_score": query.min_score,
            "group": query.group,
        }

        def in_query(key: Mapping[str, str]) -> bool:
            # the index key of a score in this partition and range, and the table key of the same score
            sort_key = key[sk_name]
            score_text, _, other_id = sort_key.partition("#")
            importer, material_id = (query.key, other_id) if query.by is RankedBy.IMPORTER else (other_id, query.key)
            return (
                key[pk_name] == partition
                and _SCORE_SORT_KEY.fullmatch(sort_key) is not None
                and low_key <= score_text <= high_key
                and key["pk"] == f"SCORE#{importer}"
                and key["sk"] == material_id
            )

        start_key = (
            decode_cursor(query.cursor, partition, filters, {"pk", "sk", pk_name, sk_name}, in_query)
            if query.cursor
            else None
        )
        if low_key > high_key:  # contradictory filters (band=low&min_score=50): nothing can match
            return Page(items=[], next_cursor=None)
        values: dict[str, AttributeValueTypeDef] = {
            ":pk": _s(partition),
            ":lo": _s(low_key),
            ":hi": _s(high_key),
        }
        kwargs: dict[str, Any] = {
            "IndexName": index,
            "KeyConditionExpression": f"{pk_name} = :pk AND {sk_name} BETWEEN :lo AND :hi",
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
        }
        if query.group:
            kwargs["FilterExpression"] = "contains(#groups, :group)"
            kwargs["ExpressionAttributeNames"] = {"#groups": "groups"}
            values[":group"] = _s(query.group)
        items: list[RiskScore] = []
        last_key: dict[str, Any] | None = None
        # With a filter, a page may come back short: keep reading until `limit` items or the end.
        while len(items) < query.limit:
            if start_key:
                kwargs["ExclusiveStartKey"] = start_key
            page = self._call("query", TableName=self.table_name, Limit=query.limit - len(items), **kwargs)
            items.extend(self._parse(RiskScore, item) for item in page.get("Items", []))
            last_key = page.get("LastEvaluatedKey")
            if not last_key:
                break
            start_key = last_key
        next_cursor = encode_cursor(last_key, partition, filters) if last_key and len(items) >= query.limit else None
        return Page(items=items, next_cursor=next_cursor)

    def score_history(self, query: HistoryQuery) -> Page[HistoryPoint]:
        importer, material_id, start, end = query.importer, query.material, query.start, query.end
        partition = f"HISTORY#{importer}#{material_id}"
        low_key, high_key = (start.isoformat() if start else "0"), (end.isoformat() if end else "9") + "~"
        filters = {"from": low_key, "to": high_key}
        values: dict[str, AttributeValueTypeDef] = {":pk": _s(partition), ":from": _s(low_key), ":to": _s(high_key)}
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :from AND :to",
            "ExpressionAttributeValues": values,
            "ScanIndexForward": True,
            "Limit": query.limit,
        }
        if query.cursor:
            kwargs["ExclusiveStartKey"] = decode_cursor(
                query.cursor,
                partition,
                filters,
                {"pk", "sk"},
                lambda key: key["pk"] == partition and low_key <= key["sk"] <= high_key,
            )
        if low_key > high_key:  # the service refuses from > to; an empty range is an empty page here
            return Page(items=[], next_cursor=None)
        page = self._call("query", TableName=self.table_name, **kwargs)
        points = []
        for item in page.get("Items", []):
            doc = json.loads(item["doc"]["S"])
            points.append(
                HistoryPoint(
                    importer=importer,
                    material=material_id,
                    at=datetime.fromisoformat(item["sk"]["S"]),
                    score=float(doc["score"]),
                    band=Band(doc["band"]),
                    model_version=doc["model_version"],
                    inputs_hash=doc["inputs_hash"],
                    signal_ids=tuple(doc["signal_ids"]),
                )
            )
        last = page.get("LastEvaluatedKey")
        return Page(items=points, next_cursor=encode_cursor(last, partition, filters) if last else None)


# ---------------------------------------------------------------------- cursors


#: a score's sort key on the ranking indexes: '091.7260#<material or importer>'
_SCORE_SORT_KEY = re.compile(r"\d{3}\.\d{4}#[a-z0-9_A-Z]{1,64}")
_MAX_CURSOR_VALUE_CHARS = 1024


def _query_digest(filters: Mapping[str, object]) -> str:
    """A digest of a query's filters: a cursor is only valid with the filters it was made for (not a secret)."""
    text = json.dumps(filters, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def encode_cursor(last_evaluated_key: Mapping[str, Any], partition: str, filters: Mapping[str, object]) -> str:
    """Opaque to clients; bound to the partition and the filters it came from, so it cannot be replayed on
    another query."""
    payload = {
        "p": partition,
        "q": _query_digest(filters),
        "k": {name: value["S"] for name, value in last_evaluated_key.items()},
    }
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(
    cursor: str,
    partition: str,
    filters: Mapping[str, object],
    key_names: set[str],
    in_query: Callable[[Mapping[str, str]], bool],
) -> dict[str, AttributeValueTypeDef]:
    """The ExclusiveStartKey of a cursor made by encode_cursor for this very query, checked strictly: the same
    partition and filters, exactly the key attributes of the table/index queried, all strings, and a key this
    query could have returned (`in_query`); anything else is a 422, never a store error."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(payload, dict) or set(payload) != {"p", "q", "k"}:
            raise ValueError("not a cursor")
        if payload["p"] != partition or payload["q"] != _query_digest(filters):
            raise ValueError("cursor belongs to another query")
        key = payload["k"]
        if not isinstance(key, dict) or set(key) != key_names:
            raise ValueError("cursor key has the wrong attributes")
        if not all(isinstance(v, str) and 0 < len(v) <= _MAX_CURSOR_VALUE_CHARS for v in key.values()):
            raise ValueError("cursor key values must be strings")
        if not in_query(key):
            raise ValueError("cursor key is outside this query")
        return {str(name): _s(value) for name, value in key.items()}
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidInputError(
            "cursor is not valid for this query: use next_cursor from the previous page with the same path and "
            "filters (band, min_score, group, from, to)",
            field="cursor",
        ) from exc


# ---------------------------------------------------------------------- stream records

_REFERENCE_KINDS: dict[str, tuple[str, type[BaseModel]]] = {
    "MATERIAL": ("material", MaterialProfile),
    "DEPENDENCY": ("dependency", ImporterDependency),
    "GOVERNANCE": ("governance", CountryGovernance),
    "SIGNAL": ("signal", PolicySignal),
}


def reference_change_from_stream(
    keys: Mapping[str, Any], old_image: Mapping[str, Any] | None, new_image: Mapping[str, Any] | None, at: datetime
) -> ReferenceChange | None:
    """Turns a stream record (deserialised images) into a ReferenceChange; None for non-reference items."""
    pk, sk = str(keys.get("pk", "")), str(keys.get("sk", ""))
    family = pk.split("#", 1)[0]
    if family not in _REFERENCE_KINDS:
        return None
    if new_image and LOAD_ID_ATTRIBUTE in new_image:
        return None  # written by a bulk load, which starts one rescoring run itself (the stream filter drops these)
    kind, model = _REFERENCE_KINDS[family]

    def parse(image: Mapping[str, Any] | None) -> Any:
        return model.model_validate_json(image["doc"]) if image and "doc" in image else None

    item_id = f"{sk}/{pk.split('#', 1)[1]}" if family == "DEPENDENCY" else sk
    return ReferenceChange(kind=kind, item_id=item_id, old=parse(old_image), new=parse(new_image), at=at)
