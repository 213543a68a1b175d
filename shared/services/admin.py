"""Admin writes: reference data with optimistic locking, and policy signals that are idempotent by content."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from shared.domain.errors import InvalidInputError, VersionConflictError
from shared.domain.models import (
    CountryGovernance,
    ImporterDependency,
    MaterialProfile,
    PolicySignal,
)
from shared.ports import ReferenceDataStore, ReferenceItem
from shared.services.queries import canonical_importer, canonical_material, require_material

ItemT = TypeVar("ItemT", MaterialProfile, ImporterDependency, CountryGovernance, PolicySignal)


@dataclass(frozen=True)
class UpsertResult(Generic[ItemT]):
    item: ItemT
    created: bool
    #: False when the body equals what is stored: nothing was written, so nothing is rescored.
    changed: bool


def _same_content(a: ReferenceItem, b: ReferenceItem) -> bool:
    return a.model_dump(exclude={"version"}) == b.model_dump(exclude={"version"})


def _upsert(
    store: ReferenceDataStore,
    proposed: ItemT,
    current: ItemT | None,
    expected_version: int | None,
    *,
    version_required: bool,
) -> UpsertResult[ItemT]:
    """Create (version 1) or replace (version + 1), guarded by the version the caller last read.

    The store's conditional write re-checks the version, so a concurrent update between our read and our
    write still gets a 409 instead of being lost.
    """
    if current is None:
        if expected_version not in (None, 0):
            raise VersionConflictError(
                f"version {expected_version} was expected but nothing is stored: omit version to create",
                field="version",
            )
        created = proposed.model_copy(update={"version": 1})
        store.put_reference_item(created, None)
        return UpsertResult(created, created=True, changed=True)

    if expected_version is None and version_required:
        raise VersionConflictError(
            f"already exists at version {current.version}: "
            "send that version (body 'version' or If-Match) to replace it",
            field="version",
        )
    if expected_version is not None and expected_version != current.version:
        raise VersionConflictError(
            f"stale version {expected_version}: the stored version is {current.version}", field="version"
        )
    if _same_content(proposed, current):
        return UpsertResult(current, created=False, changed=False)
    replaced = proposed.model_copy(update={"version": current.version + 1})
    store.put_reference_item(replaced, current.version)
    return UpsertResult(replaced, created=False, changed=True)


def upsert_material(
    store: ReferenceDataStore, material_id: str, fields: dict[str, Any], expected_version: int | None
) -> UpsertResult[MaterialProfile]:
    material_id = canonical_material(material_id)
    proposed = MaterialProfile.parse({**fields, "id": material_id})
    return _upsert(store, proposed, store.get_material(material_id), expected_version, version_required=True)


def upsert_dependency(
    store: ReferenceDataStore, importer: str, material_id: str, fields: dict[str, Any], expected_version: int | None
) -> UpsertResult[ImporterDependency]:
    importer = canonical_importer(importer)
    material = require_material(store, material_id)
    proposed = ImporterDependency.parse({**fields, "importer": importer, "material": material.id})
    current = store.get_dependency(importer, material.id)
    return _upsert(store, proposed, current, expected_version, version_required=True)


def upsert_governance(
    store: ReferenceDataStore, country: str, fields: dict[str, Any], expected_version: int | None
) -> UpsertResult[CountryGovernance]:
    proposed = CountryGovernance.parse({**fields, "country": country})
    current = store.get_governance(proposed.country)
    return _upsert(store, proposed, current, expected_version, version_required=True)


def upsert_signal(
    store: ReferenceDataStore, signal_id: str, fields: dict[str, Any], expected_version: int | None
) -> UpsertResult[PolicySignal]:
    """Create or replace. The same body twice stores one signal and (no second write) triggers one rescoring.

    A version is optional for signals (feeds replace them wholesale); when given it must match.
    """
    proposed = PolicySignal.parse({**fields, "id": signal_id})
    catalogue = store.list_materials()
    known = {m.id for m in catalogue} | {g for m in catalogue for g in m.groups}
    unknown = [m for m in proposed.materials if m not in known]
    if unknown:
        raise InvalidInputError(
            f"unknown materials or groups: {', '.join(unknown)} (see GET /v1/materials)",
            details=[
                {"field": f"materials.{proposed.materials.index(m)}", "message": f"unknown: {m}"} for m in unknown
            ],
        )
    return _upsert(store, proposed, store.get_signal(signal_id), expected_version, version_required=False)
