"""Admin writes: reference data with optimistic locking, and policy signals that are idempotent by content."""

from __future__ import annotations

from typing import Any

from shared.domain.errors import InvalidInputError
from shared.domain.models import (
    CountryGovernance,
    ImporterDependency,
    MaterialProfile,
    PolicySignal,
)
from shared.ports import ReferenceDataStore
from shared.services.queries import canonical_importer, canonical_material, require_material
from shared.services.versioning import UpsertResult, upsert_versioned


def upsert_material(
    store: ReferenceDataStore, material_id: str, fields: dict[str, Any], expected_version: int | None
) -> UpsertResult[MaterialProfile]:
    material_id = canonical_material(material_id)
    proposed = MaterialProfile.parse({**fields, "id": material_id})
    _check_group_ids(proposed, store.list_materials())
    current = store.get_material(material_id)
    return upsert_versioned(proposed, current, expected_version, store.put_reference_item, version_required=True)


def _check_group_ids(proposed: MaterialProfile, catalogue: list[MaterialProfile]) -> None:
    """Group ids and material ids share one namespace (a signal or a portfolio line names either): no overlap."""
    material_ids = {m.id for m in catalogue} | {proposed.id}
    for group in proposed.groups:
        if group in material_ids:
            raise InvalidInputError(f"groups: {group!r} is a material id; a group id may not equal one", field="groups")
    for other in catalogue:
        if other.id != proposed.id and proposed.id in other.groups:
            raise InvalidInputError(
                f"material: {proposed.id!r} is a group of {other.id!r}; a material id may not equal a group id",
                field="material",
            )


def upsert_dependency(
    store: ReferenceDataStore, importer: str, material_id: str, fields: dict[str, Any], expected_version: int | None
) -> UpsertResult[ImporterDependency]:
    importer = canonical_importer(importer)
    material = require_material(store, material_id)
    proposed = ImporterDependency.parse({**fields, "importer": importer, "material": material.id})
    current = store.get_dependency(importer, material.id)
    return upsert_versioned(proposed, current, expected_version, store.put_reference_item, version_required=True)


def upsert_governance(
    store: ReferenceDataStore, country: str, fields: dict[str, Any], expected_version: int | None
) -> UpsertResult[CountryGovernance]:
    proposed = CountryGovernance.parse({**fields, "country": country})
    current = store.get_governance(proposed.country)
    return upsert_versioned(proposed, current, expected_version, store.put_reference_item, version_required=True)


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
    current = store.get_signal(signal_id)
    return upsert_versioned(proposed, current, expected_version, store.put_reference_item, version_required=False)
