"""Rescoring runs and their chunks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shared.domain.runs import RunStatus, run_status
from shared.ports.reference import ReferenceChange


@dataclass(frozen=True, slots=True)
class RescoreChunk:
    """One unit of nightly work: some materials for the given importers, scored at the run's logical time."""

    run_id: str
    index: int
    as_of: datetime
    materials: tuple[str, ...]
    importers: tuple[str, ...]
    #: set for runs a change started (a bulk signal load: "signal_load:<load id>"): the worker publishes
    #: ScoreChanged for the scores it moves, as the stream path does; None for nightly and manual runs
    alert_cause: str | None = None
    #: set for the chunks of one change too big for one stream invocation (decisions.md 85): the change itself
    #: (its kind, id, old and new version, time), so the worker rescores the chunk's pairs exactly as the stream
    #: path would (scored at the change's time, ScoreChanged with the change's own effect and the change as cause)
    change: ReferenceChange | None = None


@dataclass(frozen=True, slots=True)
class RescoreRun:
    """A run's counters as stored; its status follows from them (shared.domain.runs, not the store)."""

    run_id: str
    as_of: datetime
    chunks_total: int
    chunks_done: int
    chunks_failed: int
    pairs_scored: int
    created_at: datetime
    #: sha256 of what the run was asked to score (materials, importers): a repeated idempotency key must match
    request_digest: str | None = None

    @property
    def status(self) -> RunStatus:
        return run_status(self.chunks_total, self.chunks_done, self.chunks_failed)


class RunStore(Protocol):
    """Progress of rescoring runs; chunk completions count once however often a chunk is delivered."""

    def create_run(self, run: RescoreRun) -> tuple[RescoreRun, bool]:
        """Creates the run with zero counts done; if one with this id exists (a re-planned night), returns it
        as stored and False."""
        ...

    def get_run(self, run_id: str) -> RescoreRun | None: ...

    def record_chunk_done(self, run_id: str, chunk_index: int, pairs_scored: int) -> bool:
        """True the first time a chunk is recorded; False for a repeat (nothing counted twice)."""
        ...

    def record_chunk_failed(self, run_id: str, chunk_index: int, reason: str) -> bool: ...
