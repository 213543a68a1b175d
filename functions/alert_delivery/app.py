"""Alert delivery (issue 16): the ScoreEventsBus rule puts each ScoreChanged on the AlertDeliveryQueue; this
function matches it to every tenant's subscriptions and queues one delivery task per match, then sends each task
as a signed webhook (retries: the same queue with a delay; given up: the DLQ + the subscription's failure)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.parser.types import Json
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.adapters.factory import get_delivery_queue, get_repository, get_secret_sealer, get_webhook_sender
from shared.adapters.messaging import ScoreChangedEnvelope
from shared.config import DeliverySettings, get_settings, require_settings
from shared.domain.webhooks import DeliveryTask, RetryPolicy
from shared.observability import correlated_by, logger, metrics
from shared.runtime import init_done
from shared.services import webhook_delivery

SETTINGS_AT_INIT = require_settings(DeliverySettings)


class AlertRecord(SqsRecordModel):
    body: Json[DeliveryTask | ScoreChangedEnvelope]


processor = BatchProcessor(event_type=EventType.SQS, model=AlertRecord)


@correlated_by(lambda record: record.messageId)
def record_handler(record: AlertRecord) -> None:
    settings = get_settings()
    message = record.body
    now = datetime.now(UTC)
    if isinstance(message, ScoreChangedEnvelope):
        queued = webhook_delivery.fan_out(
            get_repository(), get_delivery_queue(), [message.to_event()], now, api_base_url=settings.api_base_url
        )
        logger.info("score change matched", deliveries=queued)
        metrics.add_metric(name="WebhookDeliveriesQueued", unit=MetricUnit.Count, value=queued)
        return
    logger.append_keys(delivery_id=message.delivery_id, subscription_id=message.subscription_id)
    outcome = webhook_delivery.attempt_delivery(
        get_repository(),
        get_secret_sealer(),
        get_webhook_sender(),
        get_delivery_queue(),
        message,
        now,
        policy=RetryPolicy(base_delay_s=settings.webhook_base_delay_s, window_s=settings.webhook_retry_window_s),
    )
    logger.info(
        "webhook attempt",
        outcome=outcome.kind,
        status=outcome.status,
        attempt=message.attempt,
        next_in_s=outcome.delay_s,
        reason=outcome.reason,
    )
    metrics.add_metric(name=f"Webhook{outcome.kind.capitalize()}", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)


init_done()
