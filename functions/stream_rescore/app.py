"""Table stream -> rescores the pairs a changed signal or reference item touches; alerts on big moves."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.adapters.factory import get_change_reader, get_chunk_queue, get_publisher, get_repository
from shared.config import StreamRescoreSettings, get_settings, require_settings
from shared.observability import correlated_by, logger, metrics
from shared.runtime import init_done
from shared.services.change_fanout import FanOut
from shared.services.importers import scored_importers
from shared.services.stream_changes import rescore_stream_record

# The init fails here, naming the variables, when the deployment lacks one this function needs (routes read
# settings with get_settings() on use: tests and the local stack re-point them between invocations).
SETTINGS_AT_INIT = require_settings(StreamRescoreSettings)

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@correlated_by(lambda record: record.event_id)  # the stream record's eventID
def record_handler(record: DynamoDBRecord, importers: Sequence[str]) -> None:
    stream = record.dynamodb
    if stream is None:
        return
    settings = get_settings()
    repository = get_repository()
    fan_out = FanOut(get_chunk_queue, repository, settings.stream_max_pairs, settings.fanout_chunk_pairs)
    rescored = rescore_stream_record(
        repository,
        get_publisher(),
        get_change_reader(),
        stream.keys,
        stream.old_image,
        stream.new_image,
        stream.approximate_creation_date_time,
        datetime.now(UTC),
        importers,
        settings.score_change_threshold,
        settings.history_retention_days,
        fan_out,
    )
    if rescored is None:
        return  # scores, history, runs: not inputs of a score
    logger.append_keys(change=rescored.change.kind, item_id=rescored.change.item_id)
    if rescored.fanned_out is not None:
        run = rescored.fanned_out
        logger.info("fanned out to the rescoring queue", run_id=run.run_id, chunks=run.chunks_total)
        metrics.add_metric(name="ChangeChunksQueued", unit=MetricUnit.Count, value=run.chunks_total)
        return
    logger.info("rescored after change", alerts=len(rescored.alerts))
    metrics.add_metric(name="ScoreChangedPublished", unit=MetricUnit.Count, value=len(rescored.alerts))


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    # The scored set (an ALL-target signal expands to it; other importers are not rescored) is read once per batch.
    importers = scored_importers(get_repository(), get_settings().scored_importer_codes)
    handler = partial(record_handler, importers=importers)
    return process_partial_response(event=event, record_handler=handler, processor=processor, context=context)


init_done()
