"""Interfaces the services need from the outside world. Adapters implement them; tests use fakes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from shared.domain.models import (
    Band,
    CountryGovernance,
    ImporterDependency,
    MaterialProfile,
    PolicySignal,
    RiskScore,
)
from shared.domain.portfolio import Portfolio

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
class HistoryQuery:
    """One pair's score history, oldest first, between two optional instants (inclusive; aware datetimes)."""

    importer: str
    material: str
    start: datetime | None = None
    end: datetime | None = None
    limit: int = 200
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


@dataclass(frozen=True, slots=True)
class Pair:
    importer: str
    material: str


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


@dataclass(frozen=True, slots=True)
class RescoreRun:
    run_id: str
    as_of: datetime
    status: str
    chunks_total: int
    chunks_done: int
    chunks_failed: int
    pairs_scored: int
    created_at: datetime
    #: sha256 of what the run was asked to score (materials, importers): a repeated idempotency key must match
    request_digest: str | None = None


@dataclass(frozen=True, slots=True)
class ReferenceChange:
    """A stream record about one reference item: its kind, id, and the item before and after."""

    kind: str  # "signal" | "material" | "dependency" | "governance"
    item_id: str
    old: ReferenceItem | None
    new: ReferenceItem | None
    at: datetime


class ReferenceDataStore(Protocol):
    """Materials, importer dependencies, governance and policy signals."""

    def get_material(self, material_id: str) -> MaterialProfile | None: ...

    def list_materials(self) -> list[MaterialProfile]: ...

    def get_dependency(self, importer: str, material_id: str) -> ImporterDependency | None: ...

    def list_dependencies(self, material_id: str) -> list[ImporterDependency]: ...

    def list_governance(self) -> dict[str, CountryGovernance]: ...

    def list_signals(self) -> list[PolicySignal]: ...

    def get_materials(self, material_ids: Sequence[str]) -> list[MaterialProfile]:
        """Bulk read (BatchGetItem); unknown ids are left out."""
        ...

    def get_governance(self, country: str) -> CountryGovernance | None: ...

    def get_signal(self, signal_id: str) -> PolicySignal | None: ...

    def save_reference_items(self, items: Sequence[ReferenceItem], load_id: str | None = None) -> None:
        """Bulk load (seeding): writes every item as given, replacing what is stored.

        With a `load_id` the items are marked as part of that bulk load: the table stream's filter drops them
        (one rescoring run follows the load instead of one rescoring per item)."""
        ...

    def put_reference_item(self, item: ReferenceItem, expected_version: int | None, load_id: str | None = None) -> None:
        """Writes `item` (whose version is already the new one) only if the stored version is `expected_version`
        (None: only if nothing is stored). Raises VersionConflictError otherwise; nothing is written then.

        With a `load_id` the item is marked as written by that bulk load (the table stream's filter drops it)."""
        ...


class ImporterIndexStore(Protocol):
    """Which materials each importing economy has its own dependency item for (one small item per economy)."""

    def list_importer_index(self) -> dict[str, frozenset[str]]:
        """Every economy in the index and its materials with own data (one Query)."""
        ...

    def add_importer_materials(self, additions: Mapping[str, Iterable[str]]) -> None:
        """Adds materials to economies' sets (a set union: concurrent writers commute, nothing is removed)."""
        ...


class ScoreStore(Protocol):
    """Current scores (one per pair) and their history."""

    def get_score(self, importer: str, material_id: str) -> RiskScore | None: ...

    def save_scores(self, scores: Sequence[RiskScore], history_expires_at: int) -> list[RiskScore]:
        """Current score + one history row per score (keyed by the score's computed_at: a rerun overwrites).

        The current score is conditional, like save_scores_if_newer's: a score computed for an earlier time (a
        late nightly chunk) never replaces a later one (a stream rescoring); the history row is always written.
        Batched for bulk writers (the nightly worker). Returns the scores whose current item was written."""
        ...

    def get_scores(self, pairs: Sequence[Pair]) -> dict[Pair, RiskScore]:
        """Bulk read (BatchGetItem); pairs without a score are left out."""
        ...

    def save_scores_if_newer(self, scores: Sequence[RiskScore], history_expires_at: int) -> list[RiskScore]:
        """Conditional writes: a score computed for an earlier time never replaces a later one.

        Returns the scores that were written."""
        ...

    def rank_scores(self, query: RankQuery) -> Page[RiskScore]: ...

    def score_history(self, query: HistoryQuery) -> Page[HistoryPoint]: ...


class RunStore(Protocol):
    """Progress of rescoring runs; chunk completions count once however often a chunk is delivered."""

    def create_run(self, run: RescoreRun) -> tuple[RescoreRun, bool]:
        """Creates the run; if one with this id exists (a re-planned night), returns it and False."""
        ...

    def get_run(self, run_id: str) -> RescoreRun | None: ...

    def record_chunk_done(self, run_id: str, chunk_index: int, pairs_scored: int) -> bool:
        """True the first time a chunk is recorded; False for a repeat (nothing counted twice)."""
        ...

    def record_chunk_failed(self, run_id: str, chunk_index: int, reason: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class PortfolioSummary:
    id: str
    name: str
    currency: str
    item_count: int
    version: int
    updated_at: datetime


class PortfolioStore(Protocol):
    """A tenant's portfolios; the tenant is part of every key, so one tenant can never address another's."""

    def get_portfolio(self, tenant: str, portfolio_id: str) -> Portfolio | None: ...

    def list_portfolios(self, tenant: str, limit: int, cursor: str | None) -> Page[PortfolioSummary]: ...

    def put_portfolio(self, portfolio: Portfolio, expected_version: int | None) -> None:
        """Conditional like put_reference_item: VersionConflictError when the stored version differs."""
        ...

    def delete_portfolio(self, tenant: str, portfolio_id: str, expected_version: int | None) -> bool:
        """False when there was nothing to delete; VersionConflictError when the version is stale."""
        ...


class StoreProbe(Protocol):
    """The store's health, from the cheapest call that proves it can serve reads."""

    def ping(self) -> None:
        """Raises StoreUnavailableError when the store cannot answer one small read."""
        ...


class RiskStore(ReferenceDataStore, ImporterIndexStore, ScoreStore, RunStore, PortfolioStore, Protocol):
    """The one table holds all of it; services ask for the narrower port they need."""


class ChunkQueue(Protocol):
    def send_chunks(self, chunks: Sequence[RescoreChunk]) -> None: ...


class EventPublisher(Protocol):
    def publish_score_changes(self, events: Sequence[ScoreChanged]) -> None: ...


class ChangeReader(Protocol):
    """Reads a table stream record (its keys and deserialised images) as the reference change it is about; None
    for items that are not score inputs (scores, history, runs) and for a bulk load's writes. The item layout is
    the adapter's: the stream handler gets a reader from it instead of importing the adapter."""

    def __call__(
        self,
        keys: Mapping[str, Any],
        old_image: Mapping[str, Any] | None,
        new_image: Mapping[str, Any] | None,
        at: datetime,
    ) -> ReferenceChange | None: ...
