"""Nightly worker: scores the chunks the planner queued (SQS, partial batch failures, DLQ after retries)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.parser.types import Json
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.adapters.factory import get_publisher, get_repository
from shared.adapters.messaging import ChunkMessage
from shared.config import PublisherSettings, get_settings, require_settings
from shared.observability import correlated_by, logger, metrics
from shared.runtime import gc_paused, init_done
from shared.services.runs import score_chunk_delivery

# The init fails here, naming the variables, when the deployment lacks one this function needs (routes read
# settings with get_settings() on use: tests and the local stack re-point them between invocations).
SETTINGS_AT_INIT = require_settings(PublisherSettings)


class ChunkRecord(SqsRecordModel):
    body: Json[ChunkMessage]


processor = BatchProcessor(event_type=EventType.SQS, model=ChunkRecord)


@correlated_by(lambda record: record.messageId)  # the SQS message id (a dead chunk's id in the DLQ too)
def record_handler(record: ChunkRecord) -> None:
    chunk = record.body.to_chunk()
    logger.append_keys(run_id=chunk.run_id, chunk=chunk.index)
    settings = get_settings()
    receive_count = int(record.attributes.ApproximateReceiveCount)
    try:
        with gc_paused():
            pairs = score_chunk_delivery(
                get_repository(),
                chunk,
                get_publisher,  # asked for only by runs that alert (a bulk signal load's)
                receive_count,
                settings.max_receive_count,
                settings.history_retention_days,
                settings.score_change_threshold,
            )
    except Exception:
        logger.exception("chunk failed", receive_count=record.attributes.ApproximateReceiveCount)
        raise
    logger.info("chunk scored", pairs=pairs)
    metrics.add_metric(name="PairsScored", unit=MetricUnit.Count, value=pairs)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)


init_done()
