"""Computing and storing scores for (importer, material) pairs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.config import DEFAULT_SCORED_IMPORTERS
from shared.domain.models import CountryGovernance, ImporterDependency, MaterialProfile, PolicySignal, RiskScore
from shared.domain.scoring import DEFAULT_PARAMETERS, ScoringInputs, ScoringParameters, compute_score
from shared.ports import ReferenceDataStore, RiskStore

DEFAULT_IMPORTERS: tuple[str, ...] = tuple(sorted(DEFAULT_SCORED_IMPORTERS.split()))
DEFAULT_HISTORY_RETENTION_DAYS = 400


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
    def load(cls, store: ReferenceDataStore) -> ScoringContext:
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
    return [
        compute_score(
            ScoringInputs(
                importer=importer,
                material=material,
                dependency=by_importer.get(importer),
                governance=context.governance,
                signals=context.signals,
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
    store: RiskStore,
    as_of: datetime,
    importers: Sequence[str] = DEFAULT_IMPORTERS,
    retention_days: int = DEFAULT_HISTORY_RETENTION_DAYS,
) -> RescoreSummary:
    """Rescores every material for `importers` in-process, one material at a time.

    Fine for the local stack and small catalogues; the nightly flow in AWS splits the same work into chunks.
    `as_of` is the run's logical time: it keys the history rows, so a rerun overwrites instead of duplicating.
    """
    context = ScoringContext.load(store)
    materials = store.list_materials()
    expires_at = history_expiry(as_of, retention_days)
    scored = 0
    for material in materials:
        scores = score_material(context, material, store.list_dependencies(material.id), importers, as_of)
        store.save_scores(scores, expires_at)
        scored += len(scores)
    return RescoreSummary(pairs_scored=scored, materials=len(materials), importers=len(importers), as_of=as_of)
