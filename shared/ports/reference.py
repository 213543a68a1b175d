"""Reference data: materials, importer dependencies, governance, policy signals, and the importer index."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from shared.domain.models import CountryGovernance, ImporterDependency, MaterialProfile, PolicySignal
from shared.ports.common import Pair

ReferenceItem = MaterialProfile | ImporterDependency | CountryGovernance | PolicySignal


@dataclass(frozen=True, slots=True)
class ReferenceChange:
    """A stream record about one reference item: its kind, id, and the item before and after."""

    kind: str  # "signal" | "material" | "dependency" | "governance"
    item_id: str
    old: ReferenceItem | None
    new: ReferenceItem | None
    at: datetime


class ReferenceDataReader(Protocol):
    """Reads materials, importer dependencies, governance and policy signals (the scoring inputs)."""

    def get_material(self, material_id: str) -> MaterialProfile | None: ...

    def list_materials(self) -> list[MaterialProfile]: ...

    def get_materials(self, material_ids: Sequence[str]) -> list[MaterialProfile]:
        """Bulk read (BatchGetItem); unknown ids are left out."""
        ...

    def get_dependency(self, importer: str, material_id: str) -> ImporterDependency | None: ...

    def list_dependencies(self, material_id: str) -> list[ImporterDependency]: ...

    def list_governance(self) -> dict[str, CountryGovernance]: ...

    def get_governance(self, country: str) -> CountryGovernance | None: ...

    def list_signals(self) -> list[PolicySignal]: ...

    def get_signal(self, signal_id: str) -> PolicySignal | None: ...


class DependencyBatchReader(Protocol):
    """The dependency items of given (importer, material) pairs: a portfolio's company-sourced lines."""

    def get_dependencies(self, pairs: Sequence[Pair]) -> dict[Pair, ImporterDependency]:
        """Bulk read (BatchGetItem); pairs without a dependency item are left out."""
        ...


class ReferenceDataStore(ReferenceDataReader, Protocol):
    """Reads and writes reference data."""

    def save_reference_items(self, items: Sequence[ReferenceItem], load_id: str | None = None) -> None:
        """Bulk load (seeding): writes every item as given, replacing what is stored.

        With a `load_id` the items are marked as part of that bulk load: the table stream's filter drops them
        (one rescoring run follows the load instead of one rescoring per item)."""
        ...

    def put_reference_item(self, item: ReferenceItem, expected_version: int | None, load_id: str | None = None) -> None:
        """Writes `item` (whose version is already the new one) only if the stored version is `expected_version`
        (None: only if nothing is stored). Raises VersionConflictError otherwise; nothing is written then.

        A dependency also adds its material to its importer's index entry (ImporterIndexStore), atomically.
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
