"""Read use cases behind the read API."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Protocol

from shared.domain.countries import canonical_code, is_country_code, is_importer_code
from shared.domain.errors import InvalidInputError, NotFoundError
from shared.domain.models import MaterialProfile, Measure, PolicySignal, RiskScore, SignalStatus, Stage
from shared.domain.parameters import ACTIVE_STATUS_FACTOR, DEFAULT_PARAMETERS, signal_status_factor
from shared.ports import HistoryPoint, HistoryQuery, Page, Pair, RankedBy, RankQuery, ReferenceDataReader, ScoreReader


@dataclass(frozen=True)
class MaterialDetail:
    profile: MaterialProfile
    active_signals: list[PolicySignal]

    def active_signals_by_stage(self) -> dict[Stage, list[PolicySignal]]:
        """The active signals per stage of the material (a signal without stages is under every stage)."""
        return {stage: [s for s in self.active_signals if s.covers_stage(stage)] for stage in self.profile.stages}


@dataclass(frozen=True)
class SignalFilter:
    material: str | None = None
    issuer: str | None = None
    target: str | None = None
    status: SignalStatus | None = None
    stage: Stage | None = None
    measure: Measure | None = None


def canonical_importer(code: str) -> str:
    """Importer codes are case-insensitive on input; unknown codes are a 404 (nothing can be stored for them)."""
    canonical = canonical_code(code)
    if not is_importer_code(canonical):
        raise NotFoundError(f"unknown importer {code!r}: use an ISO 3166-1 alpha-2 code or EU", field="importer")
    return canonical


def filter_code(code: str, field: str, known: Callable[[str], bool]) -> str:
    """A code used as a query filter: unknown is invalid input (422), not a missing resource (404)."""
    canonical = canonical_code(code)
    if not known(canonical):
        raise InvalidInputError(f"{field}: unknown code {code!r} (ISO 3166-1 alpha-2)", field=field)
    return canonical


def canonical_material(code: str) -> str:
    return code.strip().lower()


class ScoreQueryStore(ReferenceDataReader, ScoreReader, Protocol):
    """Score reads check the material against the catalogue."""


def require_material(store: ReferenceDataReader, material_id: str) -> MaterialProfile:
    material = store.get_material(canonical_material(material_id))
    if material is None:
        raise NotFoundError(f"unknown material {material_id!r}: see GET /v1/materials", field="material")
    return material


def get_score(store: ScoreQueryStore, importer: str, material_id: str) -> RiskScore:
    importer = canonical_importer(importer)
    material_id = canonical_material(material_id)
    score = store.get_score(importer, material_id)
    if score is not None:
        return score
    require_material(store, material_id)  # names the unknown material if that is the cause
    raise NotFoundError(f"no score for importer {importer} and material {material_id}: the importer is not scored")


@dataclass(frozen=True)
class MissingScore:
    pair: Pair
    reason: str


def batch_scores(store: ScoreQueryStore, pairs: list[Pair]) -> tuple[list[RiskScore], list[MissingScore]]:
    """Stored scores for the pairs (one BatchGetItem per 100 keys); a bad or unscored pair is listed, not fatal."""
    catalogue = {m.id for m in store.list_materials()}
    valid: list[Pair] = []
    missing: list[MissingScore] = []
    for pair in pairs:
        importer, material = canonical_code(pair.importer), canonical_material(pair.material)
        if not is_importer_code(importer):
            missing.append(MissingScore(Pair(pair.importer, material), "unknown importer"))
        elif material not in catalogue:
            missing.append(MissingScore(Pair(importer, material), "unknown material"))
        else:
            valid.append(Pair(importer, material))
    found = store.get_scores(valid)
    ordered = list(dict.fromkeys(valid))
    missing.extend(MissingScore(p, "importer not scored") for p in ordered if p not in found)
    return [found[p] for p in ordered if p in found], missing


def list_materials(store: ReferenceDataReader) -> list[MaterialProfile]:
    return sorted(store.list_materials(), key=lambda m: m.id)


def get_material(store: ReferenceDataReader, material_id: str, today: date) -> MaterialDetail:
    material = require_material(store, material_id)
    active = [
        s
        for s in store.list_signals()
        if s.touches_material(material.id, material.groups)
        and signal_status_factor(s, today, DEFAULT_PARAMETERS) >= ACTIVE_STATUS_FACTOR
    ]
    return MaterialDetail(profile=material, active_signals=sorted(active, key=lambda s: (s.announced, s.id)))


def rank_scores(store: ScoreQueryStore, query: RankQuery) -> Page[RiskScore]:
    key = canonical_importer(query.key) if query.by is RankedBy.IMPORTER else require_material(store, query.key).id
    group = query.group.strip().lower() if query.group else None
    return store.rank_scores(
        RankQuery(
            by=query.by,
            key=key,
            band=query.band,
            min_score=query.min_score,
            group=group,
            limit=query.limit,
            cursor=query.cursor,
        )
    )


def _utc(instant: datetime | None, field: str) -> datetime | None:
    """History is keyed by UTC ISO timestamps: compare in UTC (a timestamp without an offset is taken as UTC)."""
    if instant is None:
        return None
    try:
        return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)
    except OverflowError:
        raise InvalidInputError(f"{field}: {instant.isoformat()} is out of range", field=field) from None


@dataclass(frozen=True)
class ScoreHistory:
    importer: str  # canonical: JP, EU
    material: str  # the material's id
    page: Page[HistoryPoint]


def score_history(store: ScoreQueryStore, query: HistoryQuery) -> ScoreHistory:
    importer = canonical_importer(query.importer)
    material = require_material(store, query.material)
    start, end = _utc(query.start, "from"), _utc(query.end, "to")
    if start is not None and end is not None and start > end:
        message = f"from ({start.isoformat()}) must not be after to ({end.isoformat()})"
        raise InvalidInputError(
            message, field="from", details=[{"field": "from", "message": message}, {"field": "to", "message": message}]
        )
    page = store.score_history(replace(query, importer=importer, material=material.id, start=start, end=end))
    return ScoreHistory(importer, material.id, page)


def list_signals(store: ReferenceDataReader, filters: SignalFilter) -> list[PolicySignal]:
    signals = store.list_signals()
    if filters.material:
        material = store.get_material(canonical_material(filters.material))
        if material is None:  # a filter, not the resource: invalid input, like an unknown issuer code
            raise InvalidInputError(
                f"material: unknown material {filters.material!r} (see GET /v1/materials)", field="material"
            )
        signals = [s for s in signals if s.touches_material(material.id, material.groups)]
    if filters.issuer:
        issuer = filter_code(filters.issuer, "issuer", is_country_code)
        signals = [s for s in signals if s.issuer == issuer]
    if filters.target:
        target = filter_code(filters.target, "target", is_importer_code)
        signals = [s for s in signals if s.targets_importer(target)]
    if filters.status:
        signals = [s for s in signals if s.status is filters.status]
    if filters.stage:
        signals = [s for s in signals if s.covers_stage(filters.stage)]
    if filters.measure:
        signals = [s for s in signals if s.measure is filters.measure]
    return sorted(signals, key=lambda s: (s.announced, s.id), reverse=True)
