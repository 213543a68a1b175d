"""Admin bulk load of policy signals (PUT /v1/signals): per-row results, one rescoring run for the batch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import partial
from typing import Any, Protocol

from shared.domain.errors import InvalidInputError, TooLargeError, VersionConflictError
from shared.domain.models import MaterialProfile, PolicySignal
from shared.ports import ChunkQueue, ImporterIndexStore, ReferenceDataStore, RescoreRun, RunStore
from shared.services.importers import scored_importers
from shared.services.rescoring import plan_run
from shared.services.runs import load_run_id
from shared.services.seeding import new_load_id
from shared.services.versioning import upsert_versioned

#: rows per request (the body is also capped at 1 MiB like every request, shared/http.py)
MAX_LOAD_ROWS = 500


class RowOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"
    INVALID = "invalid"


@dataclass(frozen=True)
class SignalRow:
    """One row of a bulk load, as parsed from the request: the signal's fields, or why they could not be read."""

    #: 1-based position among the data rows (a CSV's header is not counted)
    row: int
    signal_id: str | None
    fields: Mapping[str, Any] | None
    expected_version: int | None = None
    #: why the row could not be read: [{"field": <column>, "message": ...}]
    errors: Sequence[Mapping[str, object]] = ()
    #: field name -> the column it came from (reference format: title -> instrument, ...), for error details
    column_of: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RowResult:
    row: int
    signal_id: str | None
    outcome: RowOutcome
    version: int | None = None
    details: Sequence[Mapping[str, object]] = ()


@dataclass(frozen=True)
class SignalLoad:
    load_id: str
    rows: list[RowResult]
    #: the one rescoring run started for the materials the changed rows touch; None when nothing changed
    run: RescoreRun | None
    materials: list[str]

    def counts(self) -> dict[str, int]:
        return {outcome.value: sum(1 for r in self.rows if r.outcome is outcome) for outcome in RowOutcome}


def _column(row: SignalRow, field_name: object) -> str:
    name = str(field_name or "")
    head, _, rest = name.partition(".")
    column = row.column_of.get(head, head)
    return f"{column}.{rest}" if rest else column


def _invalid(row: SignalRow, details: Sequence[Mapping[str, object]]) -> RowResult:
    located = [{"field": _column(row, d.get("field")), "message": str(d.get("message"))} for d in details]
    return RowResult(row.row, row.signal_id, RowOutcome.INVALID, details=located)


def touched_materials(signals: Sequence[PolicySignal], catalogue: Sequence[MaterialProfile]) -> list[str]:
    """The catalogue materials the signals name, directly or through a group (rare_earths -> its elements)."""
    return sorted({m.id for m in catalogue for s in signals if s.touches_material(m.id, m.groups)})


class SignalLoadStore(ReferenceDataStore, ImporterIndexStore, RunStore, Protocol):
    """A bulk signal load: the signals (and the catalogue), then one run for what changed."""


def load_signals(
    store: SignalLoadStore,
    queue: ChunkQueue,
    rows: Sequence[SignalRow],
    now: datetime,
    override_importers: Sequence[str] = (),
    chunk_pairs: int = 1000,
) -> SignalLoad:
    """Creates or replaces each valid row's signal, each on its own (a bad or conflicting row is reported and the
    others are stored), then starts ONE rescoring run `load-<load id>` for the materials the changed rows touch.

    Each write is the single PUT's conditional write (version + 1 guarded by the version read at the start of the
    load, or by the row's own version), marked with the load id so the table stream skips it: a single-signal PUT
    that lands between our read and our write makes the row a `conflict` and writes nothing for it. A row equal to
    what is stored writes nothing (`unchanged`), so repeating a load changes nothing and starts no run.
    """
    if not rows:
        raise InvalidInputError("no rows: send at least one signal", field="body")
    if len(rows) > MAX_LOAD_ROWS:
        raise TooLargeError(f"{len(rows)} rows: at most {MAX_LOAD_ROWS} per load", field="body")
    load_id = new_load_id(now)
    catalogue = store.list_materials()
    known = {m.id for m in catalogue} | {g for m in catalogue for g in m.groups}
    stored = {s.id: s for s in store.list_signals()}  # one Query; each write re-checks the version it read
    first_row: dict[str, int] = {}
    results: list[RowResult] = []
    changed: list[PolicySignal] = []
    for row in rows:
        if row.errors or row.fields is None or row.signal_id is None:
            results.append(_invalid(row, row.errors or [{"field": "id", "message": "required"}]))
            continue
        if (earlier := first_row.setdefault(row.signal_id, row.row)) != row.row:
            message = f"signal {row.signal_id} is already in row {earlier} of this load"
            results.append(_invalid(row, [{"field": "id", "message": message}]))
            continue
        try:
            proposed = PolicySignal.parse({**row.fields, "id": row.signal_id})
        except InvalidInputError as exc:
            results.append(_invalid(row, exc.details or [{"field": exc.field, "message": exc.message}]))
            continue
        unknown = [m for m in proposed.materials if m not in known]
        if unknown:
            message = f"unknown materials or groups: {', '.join(unknown)} (see GET /v1/materials)"
            results.append(_invalid(row, [{"field": "materials", "message": message}]))
            continue
        current = stored.get(row.signal_id)
        write = partial(store.put_reference_item, load_id=load_id)
        try:
            result = upsert_versioned(proposed, current, row.expected_version, write, version_required=False)
        except VersionConflictError as exc:
            results.append(
                RowResult(
                    row.row, row.signal_id, RowOutcome.CONFLICT, details=[{"field": "version", "message": exc.message}]
                )
            )
            continue
        outcome = (
            RowOutcome.CREATED if result.created else RowOutcome.UPDATED if result.changed else RowOutcome.UNCHANGED
        )
        results.append(RowResult(row.row, row.signal_id, outcome, version=result.item.version))
        if result.changed:
            changed.append(result.item)
            if current is not None:
                changed.append(current)  # the pairs it used to touch move too
    materials = touched_materials(changed, catalogue)
    run = None
    if materials:
        importers = scored_importers(store, override_importers)
        run = plan_run(
            store,
            queue,
            load_run_id(load_id),
            now,
            now,
            importers,
            materials,
            chunk_pairs,
            alert_cause=f"signal_load:{load_id}",
        )
    return SignalLoad(load_id=load_id, rows=results, run=run, materials=materials)
