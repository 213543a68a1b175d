"""SQS chunk queue and EventBridge publisher (botocore). In-memory fakes: tests/fakes/messaging.py."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.adapters.aws import aws_client
from shared.domain.errors import StoreUnavailableError
from shared.domain.models import Band, CountryGovernance, ImporterDependency, MaterialProfile, PolicySignal
from shared.ports import ReferenceChange, ReferenceItem, RescoreChunk, ScoreChanged

if TYPE_CHECKING:
    from mypy_boto3_events.client import EventBridgeClient
    from mypy_boto3_events.type_defs import PutEventsRequestEntryTypeDef
    from mypy_boto3_sqs.client import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

SQS_BATCH_LIMIT = 10
EVENTS_BATCH_LIMIT = 10
EVENT_SOURCE = "materials-risk"
SCORE_CHANGED = "ScoreChanged"


_CHANGE_MODELS: dict[str, type[MaterialProfile | ImporterDependency | CountryGovernance | PolicySignal]] = {
    "material": MaterialProfile,
    "dependency": ImporterDependency,
    "governance": CountryGovernance,
    "signal": PolicySignal,
}


class ChangeMessage(BaseModel):
    """The change a fanned-out chunk rescores: kind, id, time and both versions as their JSON documents (as the
    table stores them), so the worker scores with exactly the versions the stream record had."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["material", "dependency", "governance", "signal"]
    item_id: str
    at: datetime
    old: str | None = None
    new: str | None = None

    @classmethod
    def of(cls, change: ReferenceChange) -> ChangeMessage:
        def doc(item: ReferenceItem | None) -> str | None:
            return None if item is None else item.model_dump_json()

        return cls(kind=change.kind, item_id=change.item_id, at=change.at, old=doc(change.old), new=doc(change.new))

    def to_change(self) -> ReferenceChange:
        model = _CHANGE_MODELS[self.kind]

        def item(doc: str | None) -> ReferenceItem | None:
            return None if doc is None else model.model_validate_json(doc)

        return ReferenceChange(self.kind, self.item_id, item(self.old), item(self.new), self.at)


class ChunkMessage(BaseModel):
    """The SQS message body of one rescoring chunk (parsed by the worker with Powertools Parser)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str
    index: int
    as_of: datetime
    materials: tuple[str, ...]
    importers: tuple[str, ...]
    alert_cause: str | None = None
    #: a fanned-out change's chunk (decisions.md 85)
    change: ChangeMessage | None = None

    @classmethod
    def of(cls, chunk: RescoreChunk) -> ChunkMessage:
        return cls(
            run_id=chunk.run_id,
            index=chunk.index,
            as_of=chunk.as_of,
            materials=chunk.materials,
            importers=chunk.importers,
            alert_cause=chunk.alert_cause,
            change=ChangeMessage.of(chunk.change) if chunk.change is not None else None,
        )

    def to_chunk(self) -> RescoreChunk:
        change = self.change.to_change() if self.change is not None else None
        return RescoreChunk(
            self.run_id, self.index, self.as_of, self.materials, self.importers, self.alert_cause, change
        )


def score_changed_detail(event: ScoreChanged) -> dict[str, Any]:
    return {
        "importer": event.importer,
        "material": event.material,
        "old_score": event.old_score,
        "new_score": event.new_score,
        "old_band": event.old_band.value if event.old_band else None,
        "new_band": event.new_band.value,
        "cause": {"type": event.cause_type, "id": event.cause_id},
        "computed_at": event.computed_at.isoformat(),
        # consumers de-duplicate on this (delivery is at-least-once); two changes written in the same second can
        # each move a pair (the same computed_at), so the cause is part of it
        "dedup_key": (
            f"{event.importer}#{event.material}#{event.computed_at.isoformat()}#{event.cause_type}#{event.cause_id}"
        ),
    }


class SqsChunkQueue:
    def __init__(self, queue_url: str, client: SQSClient | None = None, region: str | None = None) -> None:
        self.queue_url = queue_url
        self.client: SQSClient = client or aws_client("sqs", region)

    def send_chunks(self, chunks: Sequence[RescoreChunk]) -> None:
        for start in range(0, len(chunks), SQS_BATCH_LIMIT):
            entries: list[SendMessageBatchRequestEntryTypeDef] = [
                {"Id": str(c.index), "MessageBody": ChunkMessage.of(c).model_dump_json()}
                for c in chunks[start : start + SQS_BATCH_LIMIT]
            ]
            response = self.client.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
            failed = response.get("Failed", [])
            if failed:
                # Re-sending the whole plan is safe (chunks are idempotent); failing loudly lets the caller retry.
                raise StoreUnavailableError(f"SQS refused {len(failed)} chunk messages: {failed[0].get('Code')}")


class EventBridgePublisher:
    def __init__(self, bus_name: str, client: EventBridgeClient | None = None, region: str | None = None) -> None:
        self.bus_name = bus_name
        self.client: EventBridgeClient = client or aws_client("events", region)

    def publish_score_changes(self, events: Sequence[ScoreChanged]) -> None:
        for start in range(0, len(events), EVENTS_BATCH_LIMIT):
            entries: list[PutEventsRequestEntryTypeDef] = [
                {
                    "Source": EVENT_SOURCE,
                    "DetailType": SCORE_CHANGED,
                    "Detail": json.dumps(score_changed_detail(e)),
                    "EventBusName": self.bus_name,
                }
                for e in events[start : start + EVENTS_BATCH_LIMIT]
            ]
            response = self.client.put_events(Entries=entries)
            if response.get("FailedEntryCount", 0):
                raise StoreUnavailableError(f"EventBridge refused {response['FailedEntryCount']} ScoreChanged events")


class ScoreChangedEnvelope(BaseModel):
    """A ScoreChanged event as an EventBridge rule hands it to an SQS target (the alert delivery queue): the
    envelope with `detail` as EventBridgePublisher wrote it (score_changed_detail)."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    detail_type: Literal["ScoreChanged"] = Field(alias="detail-type")
    source: Literal["materials-risk"]
    detail: dict[str, Any]

    def to_event(self) -> ScoreChanged:
        d = self.detail
        cause = d.get("cause") or {}
        return ScoreChanged(
            importer=str(d["importer"]),
            material=str(d["material"]),
            old_score=float(d["old_score"]) if d.get("old_score") is not None else None,
            new_score=float(d["new_score"]),
            old_band=Band(d["old_band"]) if d.get("old_band") else None,
            new_band=Band(d["new_band"]),
            cause_type=str(cause.get("type", "")),
            cause_id=str(cause.get("id", "")),
            computed_at=datetime.fromisoformat(str(d["computed_at"])),
        )
