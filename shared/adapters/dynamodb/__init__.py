"""DynamoDB adapter: one table, one repository per item family on a shared base, and the composites.

| module | what |
|---|---|
| `keys.py` | the key design: every pk/sk, attribute-value helpers (private to this package) |
| `base.py` | `DynamoTable`: table + client, `_call` error mapping, batching, the one `Backoff`, conditional writes |
| `cursors.py` | page cursors bound to their query |
| `parsed.py` | items parsed from the same `doc` before, kept across requests (bounded; decision 84) |
| `reference.py`, `scores.py`, `runs.py`, `portfolios.py`, ... | one repository per item family (a port each) |
| `stream.py` | a table stream record -> `ReferenceChange` |
| `read.py`, `repository.py` | `DynamoReadRepository` (what the read API reads), `DynamoRiskRepository` (all families) |

The names below load their module on first use (PEP 562): importing one family, or the read composite, does not
import every family and the domain models they parse (drafts, subscriptions, webhook attempts).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.lazy import lazy_getattr

if TYPE_CHECKING:
    from shared.adapters.dynamodb.base import BATCH_WRITE_LIMIT, MAX_BATCH_ATTEMPTS, make_dynamodb_client
    from shared.adapters.dynamodb.portfolios import DynamoPortfolioRepository
    from shared.adapters.dynamodb.read import DynamoReadRepository
    from shared.adapters.dynamodb.reference import DynamoReferenceRepository
    from shared.adapters.dynamodb.repository import DynamoRiskRepository
    from shared.adapters.dynamodb.runs import DynamoRunRepository
    from shared.adapters.dynamodb.scores import DynamoScoreRepository
    from shared.adapters.dynamodb.stream import reference_change_from_stream

_HOMES = {
    "BATCH_WRITE_LIMIT": "base",
    "MAX_BATCH_ATTEMPTS": "base",
    "make_dynamodb_client": "base",
    "DynamoPortfolioRepository": "portfolios",
    "DynamoReferenceRepository": "reference",
    "DynamoReadRepository": "read",
    "DynamoRiskRepository": "repository",
    "DynamoRunRepository": "runs",
    "DynamoScoreRepository": "scores",
    "reference_change_from_stream": "stream",
}


__getattr__ = lazy_getattr(__name__, _HOMES)


__all__ = [
    "BATCH_WRITE_LIMIT",
    "MAX_BATCH_ATTEMPTS",
    "DynamoPortfolioRepository",
    "DynamoReadRepository",
    "DynamoReferenceRepository",
    "DynamoRiskRepository",
    "DynamoRunRepository",
    "DynamoScoreRepository",
    "make_dynamodb_client",
    "reference_change_from_stream",
]
