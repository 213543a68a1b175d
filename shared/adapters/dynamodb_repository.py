"""Compatibility module: the DynamoDB adapter is the package `shared.adapters.dynamodb` (one repository per item
family on a shared base). These names stay importable from here for the benchmarks and the local stack; new
code imports from the package."""

from shared.adapters.aws import CLIENT_CONFIG as CLIENT_CONFIG
from shared.adapters.dynamodb import (
    BATCH_WRITE_LIMIT as BATCH_WRITE_LIMIT,
)
from shared.adapters.dynamodb import (
    DynamoRiskRepository as DynamoRiskRepository,
)
from shared.adapters.dynamodb import (
    make_dynamodb_client as make_dynamodb_client,
)
from shared.adapters.dynamodb import (
    reference_change_from_stream as reference_change_from_stream,
)
from shared.adapters.dynamodb.keys import score_sort_key as score_sort_key
