"""The only place Logger and Metrics are created (service name and namespace come from POWERTOOLS_* env).

Correlation ids (docs/decisions.md 55): every log line of an invocation carries `correlation_id`. The API handlers
take API Gateway's request id (`API_CORRELATION_PATH`, the id in the access log and in the client's
x-amzn-RequestId); batch handlers set it per record with `correlated_by` (an SQS message id, a stream event id).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths

logger = Logger(service="materials-risk")
metrics = Metrics(namespace="MaterialsRisk", service="materials-risk")

#: for `logger.inject_lambda_context(correlation_id_path=...)` on the API handlers: requestContext.requestId
API_CORRELATION_PATH = correlation_paths.API_GATEWAY_REST

#: a batch record handler: the record first (BatchProcessor passes it by keyword, `record=`), then anything
RecordHandler = TypeVar("RecordHandler", bound=Callable[..., Any])


def correlated_by(id_of: Callable[[Any], str | None]) -> Callable[[RecordHandler], RecordHandler]:
    """Decorate a batch record handler: while it handles a record, log lines carry that record's id as
    `correlation_id` (an invocation of a batch has many records, so the invocation cannot have one id)."""

    def decorate(handler: RecordHandler) -> RecordHandler:
        # wraps(): BatchProcessor reads the handler's signature (whether it takes lambda_context) via __wrapped__
        @functools.wraps(handler)
        def with_correlation_id(record: Any, *args: Any, **kwargs: Any) -> Any:
            logger.set_correlation_id(id_of(record))
            return handler(record, *args, **kwargs)

        return cast(RecordHandler, with_correlation_id)

    return decorate
