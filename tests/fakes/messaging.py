"""In-memory fakes of the messaging ports (tests and benchmarks only: never in a Lambda package). They implement
shared.ports.ChunkQueue and EventPublisher as the production adapters do, through the same message body
(ChunkMessage) and event detail (score_changed_detail)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from shared.adapters.messaging import ChunkMessage, score_changed_detail
from shared.ports import RescoreChunk, ScoreChanged


class InProcessChunkQueue:
    """Stand-in for SQS: keeps each chunk message body and hands it to a consumer (e.g. the worker's handler)."""

    def __init__(self, consumer: Callable[[str], None] | None = None) -> None:
        self.consumer = consumer
        #: the message bodies, as SQS would carry them
        self.sent: list[str] = []
        #: the chunks read back from those bodies, as the worker would receive them
        self.chunks: list[RescoreChunk] = []

    def send_chunks(self, chunks: Sequence[RescoreChunk]) -> None:
        for chunk in chunks:
            body = ChunkMessage.of(chunk).model_dump_json()
            self.sent.append(body)
            self.chunks.append(ChunkMessage.model_validate_json(body).to_chunk())
            if self.consumer is not None:
                self.consumer(body)


class RecordingPublisher:
    """Stand-in for EventBridge: keeps the events (and can echo their detail, e.g. to a console)."""

    def __init__(self, echo: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.events: list[ScoreChanged] = []
        self.echo = echo

    def publish_score_changes(self, events: Sequence[ScoreChanged]) -> None:
        self.events.extend(events)
        if self.echo is not None:
            for event in events:
                self.echo(score_changed_detail(event))
