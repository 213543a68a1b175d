"""Interfaces the services need from the outside world. Adapters implement them; tests use fakes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Generic, Protocol, TypeVar

from shared.domain.models import (
    Band,
    CountryGovernance,
    ImporterDependency,
    MaterialProfile,
    PolicySignal,
    RiskScore,
)

T = TypeVar("T")

ReferenceItem = MaterialProfile | ImporterDependency | CountryGovernance | PolicySignal


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
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


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


class ReferenceDataStore(Protocol):
    """Materials, importer dependencies, governance and policy signals."""

    def get_material(self, material_id: str) -> MaterialProfile | None: ...

    def list_materials(self) -> list[MaterialProfile]: ...

    def get_dependency(self, importer: str, material_id: str) -> ImporterDependency | None: ...

    def list_dependencies(self, material_id: str) -> list[ImporterDependency]: ...

    def list_governance(self) -> dict[str, CountryGovernance]: ...

    def list_signals(self) -> list[PolicySignal]: ...

    def save_reference_items(self, items: Sequence[ReferenceItem]) -> None:
        """Bulk load (seeding): writes every item as given, replacing what is stored."""
        ...


class ScoreStore(Protocol):
    """Current scores (one per pair) and their history."""

    def get_score(self, importer: str, material_id: str) -> RiskScore | None: ...

    def save_scores(self, scores: Sequence[RiskScore], history_expires_at: int) -> None:
        """Current score + one history row per score (keyed by the score's computed_at: a rerun overwrites)."""
        ...

    def rank_scores(self, query: RankQuery) -> Page[RiskScore]: ...

    def score_history(
        self,
        importer: str,
        material_id: str,
        start: datetime | None,
        end: datetime | None,
        limit: int,
        cursor: str | None,
    ) -> Page[HistoryPoint]: ...


class RiskStore(ReferenceDataStore, ScoreStore, Protocol):
    """The one table holds both; services ask for the narrower port they need."""
