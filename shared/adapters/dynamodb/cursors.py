"""Page cursors: base64 JSON of a query's LastEvaluatedKey, bound to the partition and the query's filters."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from shared.adapters.dynamodb.keys import s
from shared.domain.errors import InvalidInputError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

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
        return {str(name): s(value) for name, value in key.items()}
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidInputError(
            "cursor is not valid for this query: use next_cursor from the previous page with the same path and "
            "filters (band, min_score, group, from, to)",
            field="cursor",
        ) from exc
