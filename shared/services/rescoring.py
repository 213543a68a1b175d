"""Computing and storing scores for (importer, material) pairs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

from shared.domain.errors import InvalidInputError
from shared.domain.models import (
    ALL_TARGETS,
    CountryGovernance,
    ImporterDependency,
    MaterialProfile,
    PolicySignal,
    ProducerShare,
    RiskScore,
    Stage,
)
from shared.domain.scenarios import ScenarioChange, apply_to_material, apply_to_signals
from shared.domain.scoring import DEFAULT_PARAMETERS, ScoringInputs, ScoringParameters, compute_score
from shared.ports import (
    ChunkQueue,
    EventPublisher,
    ImporterIndexStore,
    Pair,
    ReferenceChange,
    ReferenceDataReader,
    ReferenceItem,
    RescoreChunk,
    RescoreRun,
    RunStore,
    ScoreChanged,
    ScoreReader,
    ScoreStore,
)
from shared.services.importers import scored_importers

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

DEFAULT_HISTORY_RETENTION_DAYS = 400


class RescoreAllStore(ReferenceDataReader, ImporterIndexStore, ScoreStore, Protocol):
    """What an in-process full rescoring reads and writes."""


class RunPlanningStore(ReferenceDataReader, RunStore, Protocol):
    """What planning a run reads (the catalogue) and writes (the run record)."""


class ChunkStore(ReferenceDataReader, ScoreStore, RunStore, Protocol):
    """What a worker reads and writes for one chunk."""


class ChangeRescoringStore(ReferenceDataReader, ScoreStore, Protocol):
    """What rescoring the pairs of one change reads and writes."""


@dataclass(frozen=True)
class RescoreSummary:
    pairs_scored: int
    materials: int
    importers: int
    as_of: datetime


@dataclass(frozen=True)
class ScoringContext:
    """The inputs shared by every pair of a run, read once per run (or per chunk)."""

    governance: dict[str, CountryGovernance]
    signals: list[PolicySignal]

    @classmethod
    def load(cls, store: ReferenceDataReader) -> ScoringContext:
        return cls(governance=store.list_governance(), signals=store.list_signals())


def score_material(
    context: ScoringContext,
    material: MaterialProfile,
    dependencies: Iterable[ImporterDependency],
    importers: Iterable[str],
    as_of: datetime,
    params: ScoringParameters = DEFAULT_PARAMETERS,
) -> list[RiskScore]:
    """Scores one material for each importer; `dependencies` are that material's (any importer's)."""
    by_importer = {d.importer: d for d in dependencies}
    # A signal that names neither the material nor one of its groups applies to none of its pairs: checked once
    # here instead of once per pair (scores and inputs_hash only ever see the signals that apply).
    signals = [s for s in context.signals if s.touches_material(material.id, material.groups)]
    return [
        compute_score(
            ScoringInputs(
                importer=importer,
                material=material,
                dependency=by_importer.get(importer),
                governance=context.governance,
                signals=signals,
                as_of=as_of.date(),
            ),
            computed_at=as_of,
            params=params,
        )
        for importer in importers
    ]


def history_expiry(as_of: datetime, retention_days: int) -> int:
    """Epoch seconds after which DynamoDB's TTL may delete a history row."""
    return int((as_of + timedelta(days=retention_days)).timestamp())


def rescore_all(
    store: RescoreAllStore,
    as_of: datetime,
    importers: Sequence[str] | None = None,
    retention_days: int = DEFAULT_HISTORY_RETENTION_DAYS,
) -> RescoreSummary:
    """Rescores every material for `importers` (None: the default scored set, from the importer index)
    in-process, one material at a time.

    Fine for the local stack and small catalogues; the nightly flow in AWS splits the same work into chunks.
    `as_of` is the run's logical time: it keys the history rows, so a rerun overwrites instead of duplicating.
    """
    if importers is None:
        importers = scored_importers(store)
    context = ScoringContext.load(store)
    materials = store.list_materials()
    expires_at = history_expiry(as_of, retention_days)
    scored = 0
    for material in materials:
        scores = score_material(context, material, store.list_dependencies(material.id), importers, as_of)
        store.save_scores(scores, expires_at)
        scored += len(scores)
    return RescoreSummary(pairs_scored=scored, materials=len(materials), importers=len(importers), as_of=as_of)


# --- nightly and on-demand runs: plan chunks, process each chunk ------------------------------------------


def plan_chunks(
    run_id: str,
    as_of: datetime,
    materials: Sequence[str],
    importers: Sequence[str],
    chunk_pairs: int,
    alert_cause: str | None = None,
) -> list[RescoreChunk]:
    """Whole materials per chunk (their dependencies are one Query), about `chunk_pairs` pairs each."""
    per_chunk = max(1, chunk_pairs // max(1, len(importers)))
    ordered = sorted(materials)
    return [
        RescoreChunk(
            run_id=run_id,
            index=i // per_chunk,
            as_of=as_of,
            materials=tuple(ordered[i : i + per_chunk]),
            importers=tuple(importers),
            alert_cause=alert_cause,
        )
        for i in range(0, len(ordered), per_chunk)
    ]


def request_digest(materials: Sequence[str] | None, importers: Sequence[str]) -> str:
    """What a run was asked to score, order and repeats aside (None: every material)."""
    asked = {
        "materials": sorted(set(materials)) if materials is not None else None,
        "importers": sorted(set(importers)),
    }
    return hashlib.sha256(json.dumps(asked, separators=(",", ":")).encode()).hexdigest()


def plan_run(
    store: RunPlanningStore,
    queue: ChunkQueue,
    run_id: str,
    as_of: datetime,
    now: datetime,
    importers: Sequence[str],
    materials: Sequence[str] | None = None,
    chunk_pairs: int = 1000,
    bound_to_request: bool = False,
    alert_cause: str | None = None,
) -> RescoreRun:
    """Creates the run record and queues its chunks.

    Planning the same run again (a retried schedule, a repeated POST with the same idempotency key) queues the
    chunks again unless the run already completed: chunk results are keyed by the run's as_of, so a repeat
    writes the same items, and chunk completions count once. With `bound_to_request` (a run named by a client's
    idempotency key) a repeat that asks for other materials or importers is refused: InvalidInputError, nothing
    queued. A scheduled run is not bound: its retry re-plans with the scored importers as they are then.
    With an `alert_cause` (a run a change started, e.g. a bulk signal load) the workers publish ScoreChanged.
    """
    digest = request_digest(materials, importers)
    material_ids = list(materials) if materials is not None else [m.id for m in store.list_materials()]
    chunk_count = len(plan_chunks(run_id, as_of, material_ids, importers, chunk_pairs))
    run, created = store.create_run(
        RescoreRun(
            run_id=run_id,
            as_of=as_of,
            chunks_total=chunk_count,
            chunks_done=0,
            chunks_failed=0,
            pairs_scored=0,
            created_at=now,
            request_digest=digest,
        )
    )
    if bound_to_request and not created and run.request_digest not in (None, digest):  # older runs: None
        raise InvalidInputError(
            f"Idempotency-Key was already used for run {run_id} with a different request body: repeat the "
            "first body to get that run, or use a new key for this one",
            field="Idempotency-Key",
        )
    if created or run.status == "running":
        # a re-planned run keeps its first as_of, so its chunks write the same items again
        queue.send_chunks(plan_chunks(run_id, run.as_of, material_ids, importers, chunk_pairs, alert_cause))
    return run


def process_chunk(
    store: ChunkStore,
    chunk: RescoreChunk,
    retention_days: int = DEFAULT_HISTORY_RETENTION_DAYS,
    publisher: EventPublisher | None = None,
    alert_threshold: float = 5.0,
) -> int:
    """Scores one chunk with bulk reads (one BatchGetItem for the profiles, one Query per material for the
    dependencies, one Query each for governance and signals) and batched writes; returns pairs scored.

    A chunk with an `alert_cause` (a run a bulk signal load started) also reads the old scores (BatchGetItem)
    and publishes ScoreChanged for the moves past the threshold before writing, as the stream path does."""
    if chunk.change is not None:
        # a fanned-out part of one change (decisions.md 85): its pairs rescored as the stream path does, alerts
        # naming the change; a publisher is required (the cause is the point of these chunks)
        if publisher is None:
            raise ValueError(f"chunk {chunk.index} of run {chunk.run_id} rescores a change: it needs a publisher")
        pairs = [Pair(i, m) for m in chunk.materials for i in chunk.importers]
        rescore_change_pairs(store, publisher, chunk.change, pairs, alert_threshold, retention_days)
        store.record_chunk_done(chunk.run_id, chunk.index, len(pairs))
        return len(pairs)
    context = ScoringContext.load(store)
    expires_at = history_expiry(chunk.as_of, retention_days)
    materials = store.get_materials(chunk.materials)
    if chunk.alert_cause is not None and publisher is not None:
        # Alerts go out before any score of the chunk is written (a crash in between republishes on retry).
        scores: list[RiskScore] = []
        for material in materials:
            dependencies = store.list_dependencies(material.id)
            scores.extend(score_material(context, material, dependencies, chunk.importers, chunk.as_of))
        cause_type, _, cause_id = chunk.alert_cause.partition(":")
        events = _score_changes(store, scores, cause_type, cause_id, alert_threshold)
        if events:
            publisher.publish_score_changes(events)
        store.save_scores(scores, expires_at)
        scored = len(scores)
    else:
        scored = _score_and_save_by_material(store, context, materials, chunk, expires_at)
    store.record_chunk_done(chunk.run_id, chunk.index, scored)
    return scored


def _score_and_save_by_material(
    store: ChunkStore,
    context: ScoringContext,
    materials: Sequence[MaterialProfile],
    chunk: RescoreChunk,
    expires_at: int,
) -> int:
    """Each material's scores are written while the next material is scored. The reads come first: a read and
    a write of the same store in flight together is something moto (the in-process test store) cannot take."""
    dependencies_of = {material.id: store.list_dependencies(material.id) for material in materials}
    scored = 0
    with _WriteBehind(store.save_scores, expires_at) as writer:
        for material in materials:
            scores = score_material(context, material, dependencies_of[material.id], chunk.importers, chunk.as_of)
            scored += len(scores)
            writer.submit(scores)
    return scored


#: scores handed to the writer in blocks of this many (the rest at the end): a multiple of DynamoDB's write batches
#: (100 per transaction, 25 per BatchWriteItem), so a chunk makes as few calls as if it were written in one go
WRITE_BLOCK = 100


class _WriteBehind:
    """Writes scores on a background thread, in the order given, in blocks of WRITE_BLOCK, while the caller
    computes the next ones, so a run's own work hides behind its writes. Leaving the block writes the rest and waits
    for every write; the first failed write is raised there (the chunk fails and is delivered again). One writer
    thread serves the whole process (a warm container reuses it), not one per chunk."""

    def __init__(self, write: Callable[[Sequence[RiskScore], int], list[RiskScore]], expires_at: int) -> None:
        self._write = write
        self._expires_at = expires_at
        self._pending: list[RiskScore] = []
        self._writes: list[Future[list[RiskScore]]] = []

    def submit(self, scores: Sequence[RiskScore]) -> None:
        self._pending.extend(scores)
        full = len(self._pending) - len(self._pending) % WRITE_BLOCK
        if full:
            block, self._pending = self._pending[:full], self._pending[full:]
            self._writes.append(_writer().submit(self._write, block, self._expires_at))

    def __enter__(self) -> _WriteBehind:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        if exc_type is None and self._pending:
            self._writes.append(_writer().submit(self._write, self._pending, self._expires_at))
        for write in self._writes:
            write.result()


@lru_cache(maxsize=1)
def _writer() -> ThreadPoolExecutor:
    # imported on first use: the read API imports this module (live scores) and never writes behind
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="score-writer")


# --- event-driven: a changed signal or reference item rescoring exactly the pairs it touches ---------------


def _signal_pairs(signal: PolicySignal, materials: Sequence[MaterialProfile], importers: Sequence[str]) -> set[Pair]:
    touched = [m.id for m in materials if signal.touches_material(m.id, m.groups)]
    targets = importers if ALL_TARGETS in signal.targets else signal.targets
    return {Pair(i, m) for i in targets if i != signal.issuer for m in touched}


def _countries_of(shares_by_stage: Mapping[Stage, Sequence[ProducerShare]]) -> set[str]:
    return {s.country for shares in shares_by_stage.values() for s in shares}


def affected_pairs(store: ReferenceDataReader, change: ReferenceChange, importers: Sequence[str]) -> set[Pair]:
    """The scored pairs a change touches (before and after it). Importers outside `importers` (the scored set)
    are left out: nothing else refreshes their scores, so a pair scored only on a change would go stale."""
    versions = [item for item in (change.old, change.new) if item is not None]
    pairs: set[Pair] = set()
    signals = [v for v in versions if isinstance(v, PolicySignal)]
    countries = {v.country for v in versions if isinstance(v, CountryGovernance)}
    # the catalogue (and, for governance, every material's dependencies) is read once, whatever changed
    catalogue = store.list_materials() if signals or countries else []
    for signal in signals:
        pairs |= _signal_pairs(signal, catalogue, importers)
    for item in versions:
        if isinstance(item, MaterialProfile):
            pairs |= {Pair(i, item.id) for i in importers}
        elif isinstance(item, ImporterDependency):
            pairs.add(Pair(item.importer, item.material))
    if countries:
        for material in catalogue:
            if countries & _countries_of(material.stages):
                pairs |= {Pair(i, material.id) for i in importers}
            pairs |= {
                Pair(d.importer, material.id)
                for d in store.list_dependencies(material.id)
                if countries & _countries_of(d.sourcing)
            }
    scored = set(importers)
    return {pair for pair in pairs if pair.importer in scored}


def is_alert(old: RiskScore | None, new: RiskScore, threshold: float) -> bool:
    if old is None:
        return False  # a first score is not a change
    return abs(new.score - old.score) >= threshold or new.band is not old.band


def alert_for_change(
    stored_at: datetime | None, without: RiskScore | None, new: RiskScore, threshold: float
) -> RiskScore | None:
    """The cause rule: whether a change moved a pair enough to alert, and from which score.

    `new` is the pair scored with the change's new version of its item, `without` the same inputs with the
    item's old version (None: no score without it, e.g. a new material), `stored_at` when the stored score was
    computed (None: no stored score).
    A change is a cause only by its own delta (`without` -> `new`): when another change written in the same
    second has already been scored in, or is still to come, the stored score says nothing about this one.
    Returns the score to report as the old one (`without`), or None for no alert: the pair has no stored score
    yet (a first score is not a change), a later score is stored (this record is late), or this change did not
    move the pair past the threshold or into another band.
    """
    if stored_at is None or stored_at > new.computed_at:
        return None
    return without if is_alert(without, new, threshold) else None


@dataclass(frozen=True)
class _Inputs:
    """What a change's pairs are scored from: the stored inputs, with the changed item at one of its versions."""

    context: ScoringContext
    materials: dict[str, MaterialProfile]
    dependencies: dict[str, list[ImporterDependency]]

    def with_version(self, change: ReferenceChange, version: ReferenceItem | None) -> _Inputs:
        """These inputs with the changed item replaced by `version` (None: the item absent)."""
        context, materials, dependencies = self.context, self.materials, self.dependencies
        present = [version] if version is not None else []
        match change.old or change.new:
            case PolicySignal(id=signal_id):
                signals = [s for s in context.signals if s.id != signal_id]
                signals += [v for v in present if isinstance(v, PolicySignal)]
                context = ScoringContext(context.governance, signals)
            case CountryGovernance(country=country):
                governance = {k: v for k, v in context.governance.items() if k != country}
                governance.update({v.country: v for v in present if isinstance(v, CountryGovernance)})
                context = ScoringContext(governance, context.signals)
            case MaterialProfile(id=material_id):
                materials = {k: v for k, v in materials.items() if k != material_id}
                materials.update({v.id: v for v in present if isinstance(v, MaterialProfile)})
            case ImporterDependency(importer=importer, material=material_id):
                kept = [d for d in dependencies.get(material_id, []) if d.importer != importer]
                dependencies = {
                    **dependencies,
                    material_id: kept + [v for v in present if isinstance(v, ImporterDependency)],
                }
        return _Inputs(context, materials, dependencies)

    def score(self, by_material: Mapping[str, Sequence[str]], at: datetime) -> dict[Pair, RiskScore]:
        scores: dict[Pair, RiskScore] = {}
        for material_id, importers in by_material.items():
            material = self.materials.get(material_id)
            if material is None:
                continue  # absent in this version (a new or removed material): no score
            dependencies = self.dependencies.get(material_id, [])
            for score in score_material(self.context, material, dependencies, importers, at):
                scores[Pair(score.importer, score.material)] = score
        return scores


def _score_changed(before: RiskScore, new: RiskScore, cause_type: str, cause_id: str) -> ScoreChanged:
    return ScoreChanged(
        importer=new.importer,
        material=new.material,
        old_score=before.score,
        new_score=new.score,
        old_band=before.band,
        new_band=new.band,
        cause_type=cause_type,
        cause_id=cause_id,
        computed_at=new.computed_at,
    )


def _score_changes(
    store: ScoreReader, new_scores: Sequence[RiskScore], cause_type: str, cause_id: str, alert_threshold: float
) -> list[ScoreChanged]:
    """ScoreChanged for the new scores that move past the threshold from the stored ones (one BatchGetItem)."""
    old_scores = store.get_scores([Pair(s.importer, s.material) for s in new_scores])
    return [
        _score_changed(old, new, cause_type, cause_id)
        for new in new_scores
        if (old := old_scores.get(Pair(new.importer, new.material))) is not None
        and old.computed_at <= new.computed_at
        and is_alert(old, new, alert_threshold)
    ]


def rescore_change_pairs(
    store: ChangeRescoringStore,
    publisher: EventPublisher,
    change: ReferenceChange,
    pairs: Iterable[Pair],
    alert_threshold: float = 5.0,
    retention_days: int = DEFAULT_HISTORY_RETENTION_DAYS,
) -> list[ScoreChanged]:
    """Rescores `pairs` of a change (all it touches, `affected_pairs`; or one fanned-out chunk's) at the change's
    own time (so a redelivered record recomputes the same items), publishes ScoreChanged for the pairs this change
    moved past the threshold, then writes the scores.

    The pairs are scored from the stored inputs with the changed item at its new version, and again at its old
    version: the difference is this change's own effect, whatever else was written in the same second
    (`alert_for_change`). Publishing before writing makes alerts at-least-once: a crash between the two
    republishes on retry, and consumers de-duplicate on (importer, material, computed_at, cause).
    Writing first could lose an alert.
    """
    pairs = set(pairs)
    if not pairs:
        return []
    by_material: dict[str, list[str]] = {}
    for pair in sorted(pairs, key=lambda p: (p.material, p.importer)):
        by_material.setdefault(pair.material, []).append(pair.importer)
    stored_inputs = _Inputs(
        ScoringContext.load(store),
        {m.id: m for m in store.get_materials(list(by_material))},
        {material_id: store.list_dependencies(material_id) for material_id in by_material},
    )
    stored_at = store.get_score_times([Pair(i, m) for m, importers_of in by_material.items() for i in importers_of])
    new_scores = stored_inputs.with_version(change, change.new).score(by_material, change.at)
    candidates = {
        pair: new
        for pair, new in new_scores.items()
        if (at := stored_at.get(pair)) is not None and at <= new.computed_at
    }
    without_by_material: dict[str, list[str]] = {}
    for pair in candidates:
        without_by_material.setdefault(pair.material, []).append(pair.importer)
    without_change = stored_inputs.with_version(change, change.old).score(without_by_material, change.at)
    events = [
        _score_changed(before, new, change.kind, change.item_id)
        for pair, new in candidates.items()
        if (before := alert_for_change(stored_at.get(pair), without_change.get(pair), new, alert_threshold)) is not None
    ]
    if events:
        publisher.publish_score_changes(events)
    store.save_scores_if_newer(list(new_scores.values()), history_expiry(change.at, retention_days))
    return events


# --- live scoring: pairs that have no stored score, and what-if scenarios -----------------------------------


def score_pairs_live(
    store: ReferenceDataReader,
    pairs: Iterable[Pair],
    as_of: datetime,
    changes: Sequence[ScenarioChange] = (),
) -> dict[Pair, RiskScore]:
    """Scores pairs from the stored inputs now (nothing is written), optionally with what-if changes applied."""
    by_material: dict[str, list[str]] = {}
    for pair in pairs:
        by_material.setdefault(pair.material, []).append(pair.importer)
    if not by_material:
        return {}
    stored = ScoringContext.load(store)
    context = ScoringContext(stored.governance, apply_to_signals(stored.signals, changes, as_of.date()))
    scores: dict[Pair, RiskScore] = {}
    for material in store.get_materials(list(by_material)):
        changed = apply_to_material(material, changes)
        dependencies = store.list_dependencies(material.id)
        for score in score_material(context, changed, dependencies, sorted(set(by_material[material.id])), as_of):
            scores[Pair(score.importer, score.material)] = score
    return scores
