"""Rescoring runs as use cases: the one run-id scheme, starting a run (nightly, on request), reading its progress,
and what a chunk's last failed delivery does to its run.

Run ids are `<kind>-<token>` (shared/domain/ids.py RUN_ID_PATTERN, the GET /v1/rescore/{run_id} parameter):

| kind | token | who |
|---|---|---|
| nightly | the scheduled minute, 20260301T0200 | the nightly planner: a retried or re-run night is the same run |
| manual | 20 hex digits of sha256(client id, Idempotency-Key), else random | POST /v1/rescore |
| load | the load id (services.seeding.new_load_id) | a data vintage or a bulk signal load |
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from shared.domain.errors import NotFoundError
from shared.ports import ChunkQueue, EventPublisher, RescoreChunk, RescoreRun, RiskStore, RunStore
from shared.services.importers import scored_importers
from shared.services.queries import canonical_importer, require_material
from shared.services.rescoring import DEFAULT_HISTORY_RETENTION_DAYS, plan_run, process_chunk

# ------------------------------------------------------------------------------------------------- run ids


def nightly_run_id(as_of: datetime) -> str:
    return f"nightly-{as_of:%Y%m%dT%H%M}"


def manual_run_id(client_id: str, idempotency_key: str | None) -> str:
    """The same client with the same key names the same run; another client's key never does."""
    if idempotency_key is None:
        return f"manual-{uuid.uuid4().hex[:20]}"
    return "manual-" + hashlib.sha256(f"{client_id}|{idempotency_key}".encode()).hexdigest()[:20]


def load_run_id(load_id: str) -> str:
    return f"load-{load_id}"


# ---------------------------------------------------------------------------------------------- starting runs


def nightly_as_of(scheduled_time: datetime | None, now: datetime) -> datetime:
    """The run's logical time: the scheduled minute (not the invocation time), so a retried or re-run night has
    the same as_of and writes the same score and history items; `now` when the event carries no time."""
    return (scheduled_time or now).astimezone(UTC).replace(second=0, microsecond=0)


def start_nightly_run(
    store: RiskStore,
    queue: ChunkQueue,
    scheduled_time: datetime | None,
    now: datetime,
    override_importers: Sequence[str] = (),
    chunk_pairs: int = 1000,
) -> RescoreRun:
    """Every material for the scored importers, at the scheduled minute."""
    as_of = nightly_as_of(scheduled_time, now)
    importers = scored_importers(store, override_importers)
    return plan_run(store, queue, nightly_run_id(as_of), as_of, now, importers, None, chunk_pairs)


def start_manual_run(
    store: RiskStore,
    queue: ChunkQueue,
    client_id: str,
    idempotency_key: str | None,
    materials: Sequence[str] | None,
    importers: Sequence[str] | None,
    now: datetime,
    override_importers: Sequence[str] = (),
    chunk_pairs: int = 1000,
) -> RescoreRun:
    """A run a client asks for: the materials named (each must exist: 404 otherwise; None: all) for the importers
    named (each a known code; None: the scored set), scored as of `now`. With an idempotency key the same client
    repeating the same request gets the same run; the key with another request is a 422 (plan_run)."""
    material_ids = [require_material(store, m).id for m in materials] if materials else None
    importer_codes = (
        [canonical_importer(i) for i in importers] if importers else list(scored_importers(store, override_importers))
    )
    run_id = manual_run_id(client_id, idempotency_key)
    return plan_run(store, queue, run_id, now, now, importer_codes, material_ids, chunk_pairs, bound_to_request=True)


# ------------------------------------------------------------------------------------------ progress, chunks


def get_run(store: RunStore, run_id: str) -> RescoreRun:
    run = store.get_run(run_id)
    if run is None:
        raise NotFoundError(f"unknown rescoring run {run_id!r}", field="run_id")
    return run


def score_chunk_delivery(
    store: RiskStore,
    chunk: RescoreChunk,
    publisher: Callable[[], EventPublisher],
    receive_count: int,
    max_receive_count: int,
    retention_days: int = DEFAULT_HISTORY_RETENTION_DAYS,
    alert_threshold: float = 5.0,
) -> int:
    """Scores one delivery of a chunk; returns the pairs scored. `publisher` is only asked for when the chunk's run
    alerts (a bulk signal load's run), so nightly workers never build one.

    When the chunk fails on its last delivery (it goes to the DLQ next) the run counts it as failed, once; the
    error is raised again either way, so the queue redelivers or dead-letters the message.
    """
    try:
        return process_chunk(
            store, chunk, retention_days, publisher() if chunk.alert_cause or chunk.change else None, alert_threshold
        )
    except Exception as exc:
        if receive_count >= max_receive_count:
            store.record_chunk_failed(chunk.run_id, chunk.index, f"{exc.__class__.__name__}: {exc}")
        raise
