"""Work queued for the rescoring workers and events published to subscribers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shared.domain.models import Band
from shared.ports.runs import RescoreChunk


@dataclass(frozen=True, slots=True)
class ScoreChanged:
    """Published when a score moves past the alert threshold or changes band."""

    importer: str
    material: str
    old_score: float | None
    new_score: float
    old_band: Band | None
    new_band: Band
    cause_type: str
    cause_id: str
    computed_at: datetime


class ChunkQueue(Protocol):
    def send_chunks(self, chunks: Sequence[RescoreChunk]) -> None: ...


class EventPublisher(Protocol):
    def publish_score_changes(self, events: Sequence[ScoreChanged]) -> None: ...
