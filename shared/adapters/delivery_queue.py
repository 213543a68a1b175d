"""The alert delivery queue (shared.ports.DeliveryQueue) on SQS: a task's next attempt is a message with
DelaySeconds (at most 900 s, SQS's limit: RetryPolicy.max_delay_s); a task given up goes to the DLQ with the reason."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from shared.adapters.aws import aws_client
from shared.domain.errors import StoreUnavailableError
from shared.domain.webhooks import DeliveryTask

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

SQS_BATCH_LIMIT = 10
SQS_MAX_DELAY_S = 900


class SqsDeliveryQueue:
    """Implements shared.ports.DeliveryQueue."""

    def __init__(self, queue_url: str, dlq_url: str | None, client: SQSClient | None = None, region: str | None = None):
        self.queue_url = queue_url
        self.dlq_url = dlq_url
        self.client: SQSClient = client or aws_client("sqs", region)

    def schedule(self, tasks: Sequence[DeliveryTask], delay_s: float) -> None:
        delay = max(0, min(SQS_MAX_DELAY_S, round(delay_s)))
        for start in range(0, len(tasks), SQS_BATCH_LIMIT):
            entries: list[SendMessageBatchRequestEntryTypeDef] = [
                {"Id": str(i), "MessageBody": task.model_dump_json(), "DelaySeconds": delay}
                for i, task in enumerate(tasks[start : start + SQS_BATCH_LIMIT])
            ]
            failed = self.client.send_message_batch(QueueUrl=self.queue_url, Entries=entries).get("Failed", [])
            if failed:
                # the batch record fails and SQS redelivers it: its tasks are sent again (delivery ids dedupe)
                raise StoreUnavailableError(f"SQS refused {len(failed)} delivery tasks: {failed[0].get('Code')}")

    def dead_letter(self, task: DeliveryTask, reason: str) -> None:
        if self.dlq_url is None:  # a scheduler only (the portfolio API's test deliveries)
            raise RuntimeError("this delivery queue has no dead-letter queue")
        self.client.send_message(
            QueueUrl=self.dlq_url,
            MessageBody=task.model_dump_json(),
            MessageAttributes={"reason": {"DataType": "String", "StringValue": reason[:1000]}},
        )
