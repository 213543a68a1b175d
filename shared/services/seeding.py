"""Loading the reference dataset into the store, and loading a new data vintage followed by one rescoring run."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shared.domain.errors import InvalidInputError
from shared.domain.ids import LOAD_ID_PATTERN
from shared.domain.models import ImporterDependency
from shared.domain.seed import SeedData as SeedData  # re-exported: callers build seeds with it
from shared.ports import ChunkQueue, ImporterIndexStore, ReferenceDataStore, ReferenceItem, RescoreRun, RunStore
from shared.services.importers import scored_importers
from shared.services.rescoring import plan_run
from shared.services.runs import load_run_id

#: items written per step of a load; the importer index is brought up to date after each step, so an interrupted
#: load leaves an index that names only materials whose items were written
SEED_BATCH_ITEMS = 1000
#: a load id becomes part of the run id `load-<id>` (GET /v1/rescore/{run_id})
LOAD_ID = re.compile(LOAD_ID_PATTERN)


class SeedStore(ReferenceDataStore, ImporterIndexStore, Protocol):
    """What seeding writes: the reference items and the importer index."""


def seed_reference_data(
    store: SeedStore, seed: SeedData, load_id: str | None = None, batch_items: int = SEED_BATCH_ITEMS
) -> dict[str, int]:
    """Writes every seed item (replacing what is stored) and adds each dependency's material to its economy's
    index entry, batch by batch; returns counts per family.

    With a `load_id` the items are marked as written by that bulk load: the table stream's filter drops them, so
    the caller starts one rescoring run afterwards (`load_vintage`) instead of one rescoring per item.
    """
    if load_id is not None and not LOAD_ID.match(load_id):
        raise InvalidInputError(f"load id {load_id!r}: 1-35 ASCII letters or digits", field="load_id")
    items: list[ReferenceItem] = [*seed.materials, *seed.dependencies, *seed.governance, *seed.signals]
    for start in range(0, len(items), batch_items):
        batch = items[start : start + batch_items]
        store.save_reference_items(batch, load_id)
        additions: dict[str, set[str]] = {}
        for item in batch:
            if isinstance(item, ImporterDependency):
                additions.setdefault(item.importer, set()).add(item.material)
        if additions:
            store.add_importer_materials(additions)
    return seed.counts()


def new_load_id(now: datetime) -> str:
    """A load id that sorts by time and is unique: 20260301T020000 + 8 hex digits."""
    return f"{now:%Y%m%dT%H%M%S}{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class VintageLoad:
    load_id: str
    counts: dict[str, int]
    run: RescoreRun


class VintageStore(SeedStore, RunStore, Protocol):
    """A vintage load: the seed's writes, then the run that rescores it."""


def load_vintage(
    store: VintageStore,
    queue: ChunkQueue,
    seed: SeedData,
    load_id: str,
    now: datetime,
    override_importers: Sequence[str] = (),
    chunk_pairs: int = 1000,
) -> VintageLoad:
    """Bulk-loads a data vintage (its items marked with `load_id`, so the stream ignores them), then starts ONE
    rescoring run `load-<load_id>` over every scored pair, the same run the nightly planner and POST /v1/rescore
    start. The scored set is read after the load, so economies the vintage adds are in it."""
    counts = seed_reference_data(store, seed, load_id)
    importers = scored_importers(store, override_importers)
    run = plan_run(store, queue, load_run_id(load_id), now, now, importers, None, chunk_pairs)
    return VintageLoad(load_id=load_id, counts=counts, run=run)
