"""A change that touches more pairs than one stream invocation should write, fanned out to the rescoring queue.

The stream function plans a run `change-<digest of the change>` (the same stream record redelivered plans the
same run: the chunks write the same items, their completions count once) and queues its pairs in chunks of whole
materials; each chunk carries the change itself (kind, id, old and new version, time), so the rescoring workers
score its pairs exactly as the stream path does and their ScoreChanged name the change as cause
(`rescoring.process_chunk`, decisions.md 85).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from shared.ports import ChunkQueue, Pair, ReferenceChange, ReferenceItem, RescoreChunk, RescoreRun, RunStore

#: a change touching more pairs than this is fanned out (the stream function's STREAM_MAX_PAIRS default)
DEFAULT_STREAM_MAX_PAIRS = 1000
#: about this many pairs per fanned-out chunk (FANOUT_CHUNK_PAIRS): small, so several workers share one change
DEFAULT_FANOUT_CHUNK_PAIRS = 500


@dataclass(frozen=True)
class FanOut:
    """Where and when a change's rescoring leaves the stream function. `queue` is asked for only when a change
    is fanned out (the stream function builds no SQS client for the small changes it rescores itself)."""

    queue: Callable[[], ChunkQueue]
    runs: RunStore
    max_pairs: int = DEFAULT_STREAM_MAX_PAIRS
    chunk_pairs: int = DEFAULT_FANOUT_CHUNK_PAIRS


def _version(item: ReferenceItem | None) -> object:
    return None if item is None else item.model_dump(mode="json")


def change_run_id(change: ReferenceChange) -> str:
    """`change-<20 hex>`: a digest of the change (kind, id, time, both versions), so a redelivered stream record
    names the same run and two changes of the same item never do."""
    described = [change.kind, change.item_id, change.at.isoformat(), _version(change.old), _version(change.new)]
    digest = hashlib.sha256(json.dumps(described, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return f"change-{digest[:20]}"


def plan_change_chunks(
    run_id: str, change: ReferenceChange, pairs: Iterable[Pair], chunk_pairs: int
) -> list[RescoreChunk]:
    """Whole materials per chunk, about `chunk_pairs` pairs each; materials are grouped only with others touched for
    the same importers (a signal on ALL: every material; a governance change: often each its own), so a chunk's
    pairs are exactly its materials x its importers."""
    by_material: dict[str, set[str]] = {}
    for pair in pairs:
        by_material.setdefault(pair.material, set()).add(pair.importer)
    groups: dict[tuple[str, ...], list[str]] = {}
    for material in sorted(by_material):
        groups.setdefault(tuple(sorted(by_material[material])), []).append(material)
    chunks: list[RescoreChunk] = []
    cause = f"{change.kind}:{change.item_id}"
    for importers, materials in sorted(groups.items(), key=lambda group: group[1][0]):
        per_chunk = max(1, chunk_pairs // len(importers))
        for start in range(0, len(materials), per_chunk):
            chunk_materials = tuple(materials[start : start + per_chunk])
            chunks.append(RescoreChunk(run_id, len(chunks), change.at, chunk_materials, importers, cause, change))
    return chunks


def fan_out_change(fan_out: FanOut, change: ReferenceChange, pairs: Iterable[Pair], now: datetime) -> RescoreRun:
    """Creates the change's run and queues its chunks (again, when a redelivered record finds it still running:
    the chunks write the same items; a completed run is left alone)."""
    run_id = change_run_id(change)
    chunks = plan_change_chunks(run_id, change, pairs, fan_out.chunk_pairs)
    run, created = fan_out.runs.create_run(
        RescoreRun(
            run_id=run_id,
            as_of=change.at,
            chunks_total=len(chunks),
            chunks_done=0,
            chunks_failed=0,
            pairs_scored=0,
            created_at=now,
        )
    )
    if created or run.status == "running":
        fan_out.queue().send_chunks(chunks)
    return run
