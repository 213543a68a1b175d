"""Current scores (one per pair), their history and rankings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from shared.domain.models import Band, RiskScore
from shared.ports.common import Page, Pair


class RankedBy(StrEnum):
    IMPORTER = "importer"
    MATERIAL = "material"


@dataclass(frozen=True, slots=True)
class RankQuery:
    """Scores of one importer (or one material), highest first, with optional filters."""

    by: RankedBy
    key: str
    band: Band | None = None
    min_score: float | None = None
    group: str | None = None
    limit: int = 50
    cursor: str | None = None


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    """One pair's score history, oldest first, between two optional instants (inclusive; aware datetimes)."""

    importer: str
    material: str
    start: datetime | None = None
    end: datetime | None = None
    limit: int = 200
    cursor: str | None = None


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    importer: str
    material: str
    at: datetime
    score: float
    band: Band
    model_version: str
    inputs_hash: str
    signal_ids: tuple[str, ...]


class ScoreReader(Protocol):
    """Reads stored scores: one, many, ranked, and a pair's history."""

    def get_score(self, importer: str, material_id: str) -> RiskScore | None: ...

    def get_scores(self, pairs: Sequence[Pair]) -> dict[Pair, RiskScore]:
        """Bulk read (BatchGetItem); pairs without a score are left out."""
        ...

    def get_score_times(self, pairs: Sequence[Pair]) -> dict[Pair, datetime]:
        """When each pair's stored score was computed (pairs without one left out): for a writer that only needs
        to know whether a later score is stored (reads no score document)."""
        ...

    def rank_scores(self, query: RankQuery) -> Page[RiskScore]:
        """Highest first; a cursor from another query (other key or filters) is an InvalidInputError."""
        ...

    def score_history(self, query: HistoryQuery) -> Page[HistoryPoint]:
        """Oldest first; a cursor from another query is an InvalidInputError."""
        ...


class ScoreStore(ScoreReader, Protocol):
    """Scores: reads and the conditional writes that never replace a later score with an earlier one."""

    def save_scores(self, scores: Sequence[RiskScore], history_expires_at: int) -> list[RiskScore]:
        """Current score + one history row per score (keyed by the score's computed_at: a rerun overwrites).

        The current score is conditional, like save_scores_if_newer's: a score computed for an earlier time (a
        late nightly chunk) never replaces a later one (a stream rescoring); the history row is always written.
        Batched for bulk writers (the nightly worker). Returns the scores whose current item was written."""
        ...

    def save_scores_if_newer(self, scores: Sequence[RiskScore], history_expires_at: int) -> list[RiskScore]:
        """Conditional writes: a score computed for an earlier time never replaces a later one.

        Returns the scores that were written."""
        ...
