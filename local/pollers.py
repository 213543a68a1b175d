"""Background pollers: the local stand-ins for Lambda's event source mappings and for an alert subscriber.

- `StreamPoller`: the table's stream (DynamoDB Local, read with local.streams.StreamReader) -> a function's handler
  (StreamRescoreFunction), as the DynamoDB event source mapping in template.yaml does it: the template's
  FilterCriteria, BatchSize, ReportBatchItemFailures (a failed record and everything after it is retried, the
  records before it are done), BisectBatchOnFunctionError, MaximumRetryAttempts, then the OnFailure destination
  (a message describing the batch on StreamFailuresDLQ).
- `QueuePoller`: an SQS queue -> a function's handler (RescoreWorkerFunction) as real SQS Lambda events (the
  message's own ApproximateReceiveCount, SentTimestamp...). Only successfully processed messages are deleted;
  failed ones come back after the queue's visibility timeout and move to the DLQ after maxReceiveCount (SQS does
  that: here moto).
- `AlertsPoller`: the local alerts queue (ScoreChanged events copied there by an EventBridge rule) -> one console
  line per event; the events are also kept in memory (`received`, `wait_for`) for tests.

Each poller is a daemon thread; `stop()` sets its flag (queue pollers long-poll for at most a second) and joins.
Handler calls go to the `invoke` callable given (the local stack's: the function's worker processes, see
local.function_workers), one batch at a time per poller, as an event source mapping does per shard or queue.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import traceback
import uuid
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from local.lambda_worker import LOCAL_ACCOUNT_ID, LOCAL_REGION
from local.streams import StreamReader
from tooling.sam_template import QueueEventSource, StreamEventSource

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

Invoke = Callable[[dict[str, Any]], Any]
#: A stream source without MaximumRetryAttempts (AWS: retry until the record expires) stops after this locally.
LOCAL_MAX_STREAM_RETRIES = 10
Log = Callable[[str], None]


def log_to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def print_to_console(line: str) -> None:
    print(line, flush=True)


# ----------------------------------------------------------------------------------------- filter patterns

_MISSING = object()


def matches_filter(pattern: Mapping[str, Any], data: Any) -> bool:
    """Lambda event filtering (EventBridge pattern syntax) for the operators templates commonly use.

    Exact values, `prefix`, `suffix`, `anything-but` and `exists`; an unsupported operator raises ValueError (so
    a template using one fails loudly instead of silently delivering everything or nothing).
    """
    if not isinstance(data, Mapping):
        return False
    for key, rule in pattern.items():
        value = data.get(key, _MISSING)
        if isinstance(rule, Mapping):
            # A missing object matches as an empty one: only `exists: false` leaves under it can match, as in
            # AWS (e.g. {"NewImage": {"load_id": {"S": [{"exists": false}]}}} matches a REMOVE, which has no image).
            if not matches_filter(rule, {} if value is _MISSING else value):
                return False
        elif isinstance(rule, list):
            if not _matches_any(rule, value):
                return False
        else:
            raise ValueError(f"filter pattern values must be objects or lists, got {rule!r} for {key!r}")
    return True


def _matches_any(rules: Sequence[Any], value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    for rule in rules:
        if not isinstance(rule, Mapping):
            if value is not _MISSING and rule in values:
                return True
            continue
        if len(rule) != 1:
            raise ValueError(f"filter operator must have exactly one key: {rule!r}")
        ((operator, argument),) = rule.items()
        if operator == "exists":
            if (value is not _MISSING) == bool(argument):
                return True
            continue
        if value is _MISSING:
            continue
        if operator == "prefix":
            matched = any(isinstance(v, str) and v.startswith(str(argument)) for v in values)
        elif operator == "suffix":
            matched = any(isinstance(v, str) and v.endswith(str(argument)) for v in values)
        elif operator == "anything-but":
            excluded = argument if isinstance(argument, list) else [argument]
            matched = all(v not in excluded for v in values)
        else:
            raise ValueError(f"unsupported filter operator {operator!r} (the local poller knows exact values, "
                             "prefix, suffix, anything-but, exists)")  # fmt: skip
        if matched:
            return True
    return False


# ----------------------------------------------------------------------------------------- base


class Poller(ABC):
    """A daemon thread calling `poll_once()` until `stop()`.

    `poll_once()` returns True when it did some work (it is called again at once) and False when idle (the
    thread waits `idle_wait_s`). An exception is reported on the log (with its traceback the first time) and
    the thread pauses `error_wait_s` before trying again: a poller never dies of one bad poll.
    """

    def __init__(self, name: str, *, idle_wait_s: float = 0.25, error_wait_s: float = 1.0, log: Log = log_to_stderr):
        self.name = name
        self.idle_wait_s = idle_wait_s
        self.error_wait_s = error_wait_s
        self.log = log
        self.errors = 0
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_error = ""
        #: time.monotonic() when a poll last found nothing to do (0: not yet)
        self.idle_since = 0.0

    @abstractmethod
    def poll_once(self) -> bool:
        """One round of work; True if it found something to do."""

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> Poller:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"poller-{self.name}", daemon=True)
            self._thread.start()
        return self

    def request_stop(self) -> None:
        self._stopping.set()

    def stop(self, timeout_s: float = 10.0) -> None:
        self.request_stop()
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)
            if self._thread.is_alive():
                self.log(f"[{self.name}] did not stop within {timeout_s:.0f}s (a handler call still running?)")
            self._thread = None

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                busy = self.poll_once()
            except Exception as exc:
                self.errors += 1
                message = f"{type(exc).__name__}: {exc}"
                if message != self._last_error:
                    self.log(f"[{self.name}] poll failed, retrying in {self.error_wait_s:.0f}s: {message}")
                    self.log("".join(traceback.format_exception(exc)).rstrip())
                self._last_error = message
                self._stopping.wait(self.error_wait_s)
                continue
            self._last_error = ""
            if not busy:
                self.idle_since = time.monotonic()
                self._stopping.wait(self.idle_wait_s)


# ----------------------------------------------------------------------------------------- stream -> function


class StreamPoller(Poller):
    """A table stream -> a function, like Lambda's DynamoDB event source mapping (see the module docstring)."""

    def __init__(
        self,
        reader: StreamReader,
        source: StreamEventSource,
        invoke: Invoke,
        *,
        on_failure: Callable[[dict[str, Any]], None] | None = None,
        idle_wait_s: float = 0.25,
        retry_wait_s: float = 0.2,
        log: Log = log_to_stderr,
    ):
        super().__init__(f"stream->{source.function_logical_id}", idle_wait_s=idle_wait_s, log=log)
        for pattern in source.filter_patterns:
            matches_filter(pattern, {})  # unsupported operators fail now, not on the first record
        self.reader = reader
        self.source = source
        self.invoke = invoke
        self.on_failure = on_failure
        self.retry_wait_s = retry_wait_s
        #: retries of a failing batch before its records go to the on-failure destination
        self.max_retries = source.max_retry_attempts if source.max_retry_attempts >= 0 else LOCAL_MAX_STREAM_RETRIES
        self.function_arn = f"arn:aws:lambda:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:function:{source.function_logical_id}"
        self._pending: deque[dict[str, Any]] = deque()
        #: records the function processed successfully / records handed to the on-failure destination
        self.delivered = 0
        self.discarded: list[dict[str, Any]] = []
        self.invocations = 0

    def wanted(self, record: Mapping[str, Any]) -> bool:
        """The template's FilterCriteria: any pattern matching delivers the record (no patterns: every record)."""
        patterns = self.source.filter_patterns
        return not patterns or any(matches_filter(p, record) for p in patterns)

    def poll_once(self) -> bool:
        self._pending.extend(r for r in self.reader.poll() if self.wanted(r))
        if not self._pending:
            return False
        batch = [self._pending.popleft() for _ in range(min(self.source.batch_size, len(self._pending)))]
        self._deliver(batch)
        return True

    def _deliver(self, batch: list[dict[str, Any]]) -> None:
        attempts = 0
        while batch and not self.stopping:
            failed_at, raised = self._invoke(batch)
            if failed_at is None:
                self.delivered += len(batch)
                return
            if raised and self.source.bisect_on_error and len(batch) > 1:
                middle = len(batch) // 2
                self._deliver(batch[:middle])
                self._deliver(batch[middle:])
                return
            self.delivered += failed_at  # the records before the first failure are checkpointed
            batch = batch[failed_at:]
            attempts += 1
            if attempts > self.max_retries:
                self._give_up(batch, attempts)
                return
            self._stopping.wait(min(self.retry_wait_s * 2 ** (attempts - 1), 5.0))

    def _invoke(self, batch: list[dict[str, Any]]) -> tuple[int | None, bool]:
        """(index of the first record to retry or None when all succeeded, whether the handler raised)."""
        self.invocations += 1
        try:
            result = self.invoke({"Records": batch})
        except Exception as exc:
            if not self.stopping:  # stopping: the stack ended the invocation on purpose
                self.log(f"[{self.name}] handler raised on a batch of {len(batch)}: {type(exc).__name__}: {exc}")
                self.log(_trace(exc))
            return 0, True
        if not self.source.report_batch_item_failures or not isinstance(result, Mapping):
            return None, False
        failures = result.get("batchItemFailures") or []
        if not failures:
            return None, False
        sequence_numbers = [r.get("dynamodb", {}).get("SequenceNumber") for r in batch]
        identifiers = {f.get("itemIdentifier") if isinstance(f, Mapping) else None for f in failures}
        positions = [i for i, seq in enumerate(sequence_numbers) if seq in identifiers]
        if len(positions) != len(identifiers):
            # Lambda: an empty, null or unknown identifier fails the whole batch
            self.log(f"[{self.name}] batchItemFailures names unknown records {sorted(map(str, identifiers))}")
            return 0, False
        self.log(f"[{self.name}] {len(positions)} of {len(batch)} records failed: retrying from the first")
        return min(positions), False

    def _give_up(self, batch: list[dict[str, Any]], attempts: int) -> None:
        first, last = batch[0].get("dynamodb", {}), batch[-1].get("dynamodb", {})
        info = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self.function_arn,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": attempts,
            },
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(),
            "DDBStreamBatchInfo": {
                "startSequenceNumber": first.get("SequenceNumber"),
                "endSequenceNumber": last.get("SequenceNumber"),
                "approximateArrivalOfFirstRecord": _iso(first.get("ApproximateCreationDateTime")),
                "approximateArrivalOfLastRecord": _iso(last.get("ApproximateCreationDateTime")),
                "batchSize": len(batch),
                "streamArn": self.reader.stream_arn,
            },
        }
        self.discarded.append(info)
        self.log(
            f"[{self.name}] {len(batch)} records still failing after {attempts - 1} retries: "
            "skipped, batch info sent to the on-failure destination"
        )
        if self.on_failure is not None:
            self.on_failure(info)


def _trace(exc: BaseException) -> str:
    """The handler's own traceback when it ran in a worker process (FunctionError), else this process's."""
    remote = getattr(exc, "stack_trace", None)
    return (remote if isinstance(remote, str) and remote else "".join(traceback.format_exception(exc))).rstrip()


def _iso(epoch: Any) -> str | None:
    return datetime.fromtimestamp(float(epoch), UTC).isoformat() if isinstance(epoch, int | float) else None


# ----------------------------------------------------------------------------------------- queue -> function


def sqs_lambda_record(message: MessageTypeDef, queue_arn: str) -> dict[str, Any]:
    """One received SQS message as Lambda's SQS event source passes it (attributes are the message's own)."""
    now_ms = str(int(time.time() * 1000))
    received = dict(message.get("Attributes") or {})
    attributes: dict[str, str] = {
        "ApproximateReceiveCount": received.pop("ApproximateReceiveCount", "1"),
        "SentTimestamp": received.pop("SentTimestamp", now_ms),
        "SenderId": received.pop("SenderId", LOCAL_ACCOUNT_ID),
        "ApproximateFirstReceiveTimestamp": received.pop("ApproximateFirstReceiveTimestamp", now_ms),
        **{str(k): str(v) for k, v in received.items()},
    }
    message_attributes: dict[str, Any] = {}
    for name, value in (message.get("MessageAttributes") or {}).items():
        message_attributes[name] = {
            "stringValue": value.get("StringValue"),
            "binaryValue": value.get("BinaryValue"),
            "stringListValues": list(value.get("StringListValues") or []),
            "binaryListValues": list(value.get("BinaryListValues") or []),
            "dataType": value.get("DataType"),
        }
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": LOCAL_REGION,
    }
    if message.get("MD5OfMessageAttributes"):
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


class QueuePoller(Poller):
    """An SQS queue -> a function, like Lambda's SQS event source mapping (see the module docstring)."""

    def __init__(
        self,
        sqs: SQSClient,
        queue_url: str,
        queue_arn: str,
        source: QueueEventSource,
        invoke: Invoke,
        *,
        wait_time_s: int = 1,
        log: Log = log_to_stderr,
    ):
        super().__init__(f"sqs->{source.function_logical_id}", idle_wait_s=0.0, log=log)
        self.sqs = sqs
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.source = source
        self.invoke = invoke
        self.wait_time_s = wait_time_s
        #: messages processed (deleted) / deliveries that failed (left for SQS to redeliver or dead-letter)
        self.processed = 0
        self.failed_deliveries = 0

    def poll_once(self) -> bool:
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=max(1, min(10, self.source.batch_size)),
            WaitTimeSeconds=self.wait_time_s,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = response.get("Messages", [])
        if not messages:
            return False
        failed = self._invoke([sqs_lambda_record(m, self.queue_arn) for m in messages])
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        self.processed += len(done)
        if failed:
            self.failed_deliveries += len(failed)
            counts = ", ".join(
                (m.get("Attributes") or {}).get("ApproximateReceiveCount", "?")
                for m in messages
                if m["MessageId"] in failed
            )
            self.log(
                f"[{self.name}] {len(failed)} of {len(messages)} messages failed (receive count {counts}): they "
                "return after the visibility timeout, and go to the DLQ after maxReceiveCount"
            )
        return True

    def _invoke(self, records: list[dict[str, Any]]) -> set[str]:
        """The message ids to leave on the queue: all of them if the handler raised or answered nonsense."""
        every = {r["messageId"] for r in records}
        try:
            result = self.invoke({"Records": records})
        except Exception as exc:
            if not self.stopping:
                self.log(f"[{self.name}] handler raised: {type(exc).__name__}: {exc}")
                self.log(_trace(exc))
            return every
        if not self.source.report_batch_item_failures or not isinstance(result, Mapping):
            return set()
        failures = result.get("batchItemFailures") or []
        identifiers = {f.get("itemIdentifier") if isinstance(f, Mapping) else None for f in failures}
        if not identifiers <= every:
            self.log(f"[{self.name}] batchItemFailures names unknown messages: the whole batch failed")
            return every
        return {str(i) for i in identifiers}


# ----------------------------------------------------------------------------------------- alerts -> console


def format_alert(detail: Mapping[str, Any]) -> str:
    """One console line per ScoreChanged: importer, material, old -> new score/band, cause."""

    def score(value: Any, band: Any) -> str:
        return "none" if value is None else f"{float(value):.1f} ({band})"

    cause = detail.get("cause") or {}
    return (
        f"[alert] ScoreChanged {detail.get('importer')} {detail.get('material')}: "
        f"{score(detail.get('old_score'), detail.get('old_band'))} -> "
        f"{score(detail.get('new_score'), detail.get('new_band'))}, "
        f"cause {cause.get('type')} {cause.get('id')}"
    )


class AlertsPoller(Poller):
    """The local alerts queue -> the console (one line per ScoreChanged); keeps what it received for tests."""

    def __init__(
        self,
        sqs: SQSClient,
        queue_url: str,
        *,
        echo: Log = print_to_console,
        wait_time_s: int = 1,
        log: Log = log_to_stderr,
    ):
        super().__init__("alerts", idle_wait_s=0.0, log=log)
        self.sqs = sqs
        self.queue_url = queue_url
        self.echo = echo
        self.wait_time_s = wait_time_s
        self._received: list[dict[str, Any]] = []
        self._changed = threading.Condition()

    @property
    def received(self) -> list[dict[str, Any]]:
        """The `detail` of every ScoreChanged received so far, oldest first."""
        with self._changed:
            return list(self._received)

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool], timeout_s: float) -> dict[str, Any] | None:
        """The first received detail matching predicate, waiting up to timeout_s for it; None if none came."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while True:
                found = next((d for d in self._received if predicate(d)), None)
                remaining = deadline - time.monotonic()
                if found is not None or remaining <= 0:
                    return found
                self._changed.wait(remaining)

    def poll_once(self) -> bool:
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=self.wait_time_s
        )
        messages = response.get("Messages", [])
        for message in messages:
            try:
                event = json.loads(message["Body"])
                detail = event.get("detail") if isinstance(event, dict) else None
            except ValueError:
                detail = None
            if isinstance(detail, dict):
                with self._changed:
                    self._received.append(detail)
                    self._changed.notify_all()
                self.echo(format_alert(detail))
            else:
                self.log(f"[{self.name}] not an EventBridge event: {message['Body'][:200]}")
            self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return bool(messages)
