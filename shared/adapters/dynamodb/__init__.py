"""DynamoDB adapter: one table, one repository per item family on a shared base, and the composite.

| module | what |
|---|---|
| `keys.py` | the key design: every pk/sk, attribute-value helpers (private to this package) |
| `base.py` | `DynamoTable`: table + client, `_call` error mapping, batching, the one `Backoff`, conditional writes |
| `cursors.py` | page cursors bound to their query |
| `parsed.py` | items parsed from the same `doc` before, kept across requests (bounded; decision 84) |
| `reference.py`, `scores.py`, `runs.py`, `portfolios.py` | one repository per item family (a port each) |
| `stream.py` | a table stream record -> `ReferenceChange` |
| `repository.py` | `DynamoRiskRepository`, all of them on one table |
"""

from shared.adapters.dynamodb.base import BATCH_WRITE_LIMIT, MAX_BATCH_ATTEMPTS, make_dynamodb_client
from shared.adapters.dynamodb.portfolios import DynamoPortfolioRepository
from shared.adapters.dynamodb.reference import DynamoReferenceRepository
from shared.adapters.dynamodb.repository import DynamoRiskRepository
from shared.adapters.dynamodb.runs import DynamoRunRepository
from shared.adapters.dynamodb.scores import DynamoScoreRepository
from shared.adapters.dynamodb.stream import reference_change_from_stream

__all__ = [
    "BATCH_WRITE_LIMIT",
    "MAX_BATCH_ATTEMPTS",
    "DynamoPortfolioRepository",
    "DynamoReferenceRepository",
    "DynamoRiskRepository",
    "DynamoRunRepository",
    "DynamoScoreRepository",
    "make_dynamodb_client",
    "reference_change_from_stream",
]
