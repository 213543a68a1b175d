"""Optimistic locking shared by every versioned item (reference data, signals, portfolios)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel

from shared.domain.errors import VersionConflictError

ItemT = TypeVar("ItemT", bound=BaseModel)


def version_of(item: BaseModel) -> int:
    return int(getattr(item, "version"))  # noqa: B009 (every versioned model has it; BaseModel does not declare it)


@dataclass(frozen=True)
class UpsertResult(Generic[ItemT]):
    item: ItemT
    created: bool
    #: False when the body equals what is stored: nothing was written (so nothing is rescored).
    changed: bool


def upsert_versioned(
    proposed: ItemT,
    current: ItemT | None,
    expected_version: int | None,
    write: Callable[[ItemT, int | None], None],
    *,
    version_required: bool,
    bookkeeping: frozenset[str] = frozenset({"version"}),
) -> UpsertResult[ItemT]:
    """Create (version 1) or replace (version + 1), guarded by the version the caller last read.

    `write(item, expected)` must itself be conditional on `expected` (None: nothing stored), so an update that
    lands between our read and our write still gets a 409 instead of being lost.
    """
    if current is None:
        if expected_version not in (None, 0):
            raise VersionConflictError(
                f"version {expected_version} was expected but nothing is stored: omit version to create",
                field="version",
            )
        created = proposed.model_copy(update={"version": 1})
        write(created, None)
        return UpsertResult(created, created=True, changed=True)

    stored_version = version_of(current)
    if expected_version is None and version_required:
        raise VersionConflictError(
            f"already exists at version {stored_version}: send that version (body 'version' or If-Match) to replace it",
            field="version",
        )
    if expected_version is not None and expected_version != stored_version:
        raise VersionConflictError(
            f"stale version {expected_version}: the stored version is {stored_version}", field="version"
        )
    if proposed.model_dump(exclude=set(bookkeeping)) == current.model_dump(exclude=set(bookkeeping)):
        return UpsertResult(current, created=False, changed=False)
    replaced = proposed.model_copy(update={"version": stored_version + 1})
    write(replaced, stored_version)
    return UpsertResult(replaced, created=False, changed=True)
