"""Current scores, their history and the two rankings (gsi1: an importer's scores, gsi2: a material's)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from shared.adapters.dynamodb import keys
from shared.adapters.dynamodb.base import (
    DOC_ONLY,
    TRANSACT_WRITE_LIMIT,
    Backoff,
    DynamoTable,
    cancellation_codes,
    error_code,
)
from shared.adapters.dynamodb.cursors import decode_cursor, encode_cursor
from shared.adapters.dynamodb.keys import n, s, score_sort_key
from shared.domain.models import Band, RiskScore
from shared.ports import HistoryPoint, HistoryQuery, Page, Pair, RankedBy, RankQuery

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef, WriteRequestTypeDef

#: Score bands as sort-key ranges on the ranking indexes ([lower, upper) on the 0..100 scale).
BAND_RANGES: dict[Band, tuple[float, float]] = {
    Band.LOW: (0.0, 25.0),
    Band.MODERATE: (25.0, 50.0),
    Band.HIGH: (50.0, 75.0),
    Band.CRITICAL: (75.0, 100.0001),
}

#: a score's sort key on the ranking indexes: '091.7260#<material or importer>'
_SCORE_SORT_KEY = re.compile(r"\d{3}\.\d{4}#[a-z0-9_A-Z]{1,64}")


class DynamoScoreRepository(DynamoTable):
    """Implements shared.ports.ScoreStore."""

    @staticmethod
    def _score_item(score: RiskScore) -> dict[str, AttributeValueTypeDef]:
        item: dict[str, AttributeValueTypeDef] = {
            **keys.score_key(score.importer, score.material),
            "gsi1pk": s(keys.importer_rank_partition(score.importer)),
            "gsi1sk": s(score_sort_key(score.score, score.material)),
            "gsi2pk": s(keys.material_rank_partition(score.material)),
            "gsi2sk": s(score_sort_key(score.score, score.importer)),
            "score": n(score.score),
            "band": s(score.band.value),
            "computed_at": s(score.computed_at.isoformat()),
            "doc": keys.doc(score),
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
            **keys.key(keys.history_partition(score.importer, score.material), score.computed_at.isoformat()),
            "score": n(score.score),
            "expires_at": n(expires_at),
            "doc": {"S": json.dumps(point, separators=(",", ":"))},
        }

    def get_score(self, importer: str, material_id: str) -> RiskScore | None:
        item = self._get(keys.score_key(importer, material_id))
        return self._parse_shared(RiskScore, item) if item else None

    def get_scores(self, pairs: Sequence[Pair]) -> dict[Pair, RiskScore]:
        items = self.batch_get([keys.score_key(p.importer, p.material) for p in dict.fromkeys(pairs)], DOC_ONLY)
        scores = (self._parse_shared(RiskScore, item) for item in items)
        return {Pair(score.importer, score.material): score for score in scores}

    def get_score_times(self, pairs: Sequence[Pair]) -> dict[Pair, datetime]:
        # pk, sk and computed_at only: a writer checking for later scores needs no score document
        items = self.batch_get(
            [keys.score_key(p.importer, p.material) for p in dict.fromkeys(pairs)], projection="pk, sk, computed_at"
        )
        return {
            Pair(item["pk"]["S"].removeprefix(keys.SCORE_PREFIX), item["sk"]["S"]): datetime.fromisoformat(
                item["computed_at"]["S"]
            )
            for item in items
        }

    def save_scores(self, scores: Sequence[RiskScore], history_expires_at: int) -> list[RiskScore]:
        """The nightly and bulk writer: each score item is put only if no later score is stored for its pair,
        in TransactWriteItems of up to 100 conditional Puts (no read first: the condition is the check, so a
        stream rescoring that lands between any read and this write still wins); the history rows, keyed by
        their own time, go in 25-item BatchWriteItem calls. Returns the scores whose item was written."""
        return self._save_scores(scores, history_expires_at)

    def save_scores_if_newer(self, scores: Sequence[RiskScore], history_expires_at: int) -> list[RiskScore]:
        """The stream path's writer: the same conditional transactions as `save_scores` (a signal on a group for
        every importer touches thousands of pairs; one conditional PutItem per pair was a round trip each)."""
        return self._save_scores(scores, history_expires_at)

    def _save_scores(self, scores: Sequence[RiskScore], history_expires_at: int) -> list[RiskScore]:
        history: list[WriteRequestTypeDef] = [
            {"PutRequest": {"Item": self._history_item(score, history_expires_at)}} for score in scores
        ]
        if len(scores) <= TRANSACT_WRITE_LIMIT:
            written = self._put_scores_if_newer(scores)
            self.batch_write(history)
            return written
        # The history rows do not depend on the conditional writes' outcome: send them alongside (botocore clients
        # are thread-safe), so the two streams of round trips overlap instead of adding up. One history thread per
        # process, reused: a new thread per call made memory grow with the number of writes under moto.
        history_done = _history_writer().submit(self.batch_write, history)
        written = self._put_scores_if_newer(scores)
        history_done.result()
        return written

    @staticmethod
    def _if_newer(score: RiskScore) -> dict[str, Any]:
        """The one condition every score write carries: nothing stored yet, or a score for the same or an
        earlier time (the same time again is a redelivery: it writes the same item)."""
        return {
            "ConditionExpression": "attribute_not_exists(pk) OR computed_at <= :at",
            "ExpressionAttributeValues": {":at": s(score.computed_at.isoformat())},
        }

    def _put_scores_if_newer(self, scores: Sequence[RiskScore]) -> list[RiskScore]:
        """Conditional Puts, 100 per transaction. A transaction is all or nothing, so when DynamoDB cancels one,
        its CancellationReasons say which items failed their condition (a later score is stored: skipped) and the
        rest is sent again; a cancellation for any other reason (a conflicting write in flight, throttling) is
        retried whole with backoff (`Backoff`)."""
        written: list[RiskScore] = []
        for start in range(0, len(scores), TRANSACT_WRITE_LIMIT):
            pending = list(scores[start : start + TRANSACT_WRITE_LIMIT])
            backoff = Backoff()
            while pending:
                puts = [
                    {"Put": {"TableName": self.table_name, "Item": self._score_item(score), **self._if_newer(score)}}
                    for score in pending
                ]
                try:
                    self._call("transact_write_items", TransactItems=puts)
                except ClientError as exc:
                    if error_code(exc) != "TransactionCanceledException":
                        raise
                    reasons = cancellation_codes(exc)
                    later = {i for i, code in enumerate(reasons) if code == "ConditionalCheckFailed"}
                    if later:
                        pending = [score for i, score in enumerate(pending) if i not in later]
                        continue
                    backoff.again(f"TransactWriteItems of {len(pending)} scores cancelled ({reasons})", exc)
                    continue
                written.extend(pending)
                pending = []
        return written

    def rank_scores(self, query: RankQuery) -> Page[RiskScore]:
        index, partition = (
            ("gsi1", keys.importer_rank_partition(query.key))
            if query.by is RankedBy.IMPORTER
            else ("gsi2", keys.material_rank_partition(query.key))
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
            table_key = keys.score_key(importer, material_id)
            return (
                key[pk_name] == partition
                and _SCORE_SORT_KEY.fullmatch(sort_key) is not None
                and low_key <= score_text <= high_key
                and key["pk"] == table_key["pk"].get("S")
                and key["sk"] == table_key["sk"].get("S")
            )

        start_key = (
            decode_cursor(query.cursor, partition, filters, {"pk", "sk", pk_name, sk_name}, in_query)
            if query.cursor
            else None
        )
        if low_key > high_key:  # contradictory filters (band=low&min_score=50): nothing can match
            return Page(items=[], next_cursor=None)
        values: dict[str, AttributeValueTypeDef] = {":pk": s(partition), ":lo": s(low_key), ":hi": s(high_key)}
        kwargs: dict[str, Any] = {
            "IndexName": index,
            "KeyConditionExpression": f"{pk_name} = :pk AND {sk_name} BETWEEN :lo AND :hi",
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
        }
        if query.group:
            kwargs["FilterExpression"] = "contains(#groups, :group)"
            kwargs["ExpressionAttributeNames"] = {"#groups": "groups"}
            values[":group"] = s(query.group)
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
        partition = keys.history_partition(importer, material_id)
        low_key, high_key = (start.isoformat() if start else "0"), (end.isoformat() if end else "9") + "~"
        filters = {"from": low_key, "to": high_key}
        values: dict[str, AttributeValueTypeDef] = {":pk": s(partition), ":from": s(low_key), ":to": s(high_key)}
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


@lru_cache(maxsize=1)
def _history_writer() -> ThreadPoolExecutor:
    from concurrent.futures import ThreadPoolExecutor  # first use only: not on the read API's cold start

    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="history-writer")
