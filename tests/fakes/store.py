"""InMemoryRiskStore: every store port in dicts, with the adapter's conditional rules (optimistic versions ->
VersionConflictError, scores never replaced by earlier ones, chunk outcomes counted once). Paging cursors are its
own (opaque to services, bound to the query, as the adapter's are)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TypeVar

from shared.domain.errors import InvalidInputError, StoreUnavailableError, VersionConflictError
from shared.domain.models import Band, CountryGovernance, ImporterDependency, MaterialProfile, PolicySignal, RiskScore
from shared.domain.portfolio import Portfolio
from shared.domain.webhooks import DeliveryAttempt
from shared.ports import (
    HistoryPoint,
    HistoryQuery,
    Page,
    Pair,
    PortfolioSummary,
    RankedBy,
    RankQuery,
    ReferenceItem,
    RescoreRun,
    SubscriptionSummary,
)
from tests.fakes.delivery_attempts import InMemoryDeliveryAttempts, attempt_sort_key
from tests.fakes.drafts import InMemoryDraftStore
from tests.fakes.subscriptions import InMemorySubscriptions

T = TypeVar("T")

#: [lower, upper) of each band on the 0..100 scale, as the adapter's ranking key ranges
_BAND_RANGES: dict[Band, tuple[float, float]] = {
    Band.LOW: (0.0, 25.0),
    Band.MODERATE: (25.0, 50.0),
    Band.HIGH: (50.0, 75.0),
    Band.CRITICAL: (75.0, 100.0001),
}


def _conflict(expected: int | None, stored: int | None) -> VersionConflictError:
    return VersionConflictError(
        f"stale version: expected {expected if expected is not None else 'a new item'}, "
        f"stored version is {stored if stored is not None else 'none (the item does not exist)'}",
        field="version",
    )


def _check_version(current_version: int | None, expected: int | None) -> None:
    if current_version != expected:
        raise _conflict(expected, current_version)


def _page(items: list[T], sort_key: Callable[[T], str], query: object, limit: int, cursor: str | None) -> Page[T]:
    """Items already in query order; the cursor names the query and the sort key of the last item returned."""
    digest = repr(query)
    start = 0
    if cursor:
        try:
            payload = json.loads(base64.urlsafe_b64decode(cursor.encode()))
            if not isinstance(payload, dict) or payload.get("q") != digest or not isinstance(payload.get("k"), str):
                raise ValueError("cursor belongs to another query")
            keys = [sort_key(item) for item in items]
            start = keys.index(payload["k"]) + 1 if payload["k"] in keys else 0
        except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
            raise InvalidInputError("cursor is not valid for this query", field="cursor") from exc
    chunk = items[start : start + limit]
    more = start + limit < len(items)
    next_cursor = (
        base64.urlsafe_b64encode(json.dumps({"q": digest, "k": sort_key(chunk[-1])}).encode()).decode()
        if more and chunk
        else None
    )
    return Page(items=chunk, next_cursor=next_cursor)


@dataclass
class InMemoryRiskStore(InMemoryDraftStore, InMemorySubscriptions, InMemoryDeliveryAttempts):
    """Implements shared.ports.RiskStore and StoreProbe in memory."""

    materials: dict[str, MaterialProfile] = field(default_factory=dict)
    dependencies: dict[tuple[str, str], ImporterDependency] = field(default_factory=dict)  # (material, importer)
    governance: dict[str, CountryGovernance] = field(default_factory=dict)
    signals: dict[str, PolicySignal] = field(default_factory=dict)
    #: the bulk load that last wrote each reference item (None: a single write)
    load_ids: dict[tuple[str, str], str | None] = field(default_factory=dict)
    importer_index: dict[str, set[str]] = field(default_factory=dict)
    scores: dict[Pair, RiskScore] = field(default_factory=dict)
    history: dict[Pair, dict[datetime, tuple[RiskScore, int]]] = field(default_factory=dict)
    runs: dict[str, RescoreRun] = field(default_factory=dict)
    chunk_outcomes: dict[tuple[str, int, str], str] = field(default_factory=dict)
    portfolios: dict[tuple[str, str], Portfolio] = field(default_factory=dict)
    available: bool = True
    #: every port method called, in order (tests that count reads use it)
    calls: list[str] = field(default_factory=list)

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if not self.available:
            raise StoreUnavailableError(f"in-memory store {name}: unavailable")

    def _page_summaries(
        self, items: list[SubscriptionSummary], query: object, limit: int, cursor: str | None
    ) -> Page[SubscriptionSummary]:
        return _page(items, lambda s: s.id, query, limit, cursor)

    def _page_attempts(
        self, items: list[DeliveryAttempt], query: object, limit: int, cursor: str | None
    ) -> Page[DeliveryAttempt]:
        return _page(items, attempt_sort_key, query, limit, cursor)

    # -------------------------------------------------------------- health (StoreProbe)

    def ping(self) -> None:
        self._call("ping")

    # -------------------------------------------------------------- reference data (ReferenceDataStore)

    def get_material(self, material_id: str) -> MaterialProfile | None:
        self._call("get_material")
        return self.materials.get(material_id)

    def list_materials(self) -> list[MaterialProfile]:
        self._call("list_materials")
        return [self.materials[k] for k in sorted(self.materials)]

    def get_materials(self, material_ids: Sequence[str]) -> list[MaterialProfile]:
        self._call("get_materials")
        return [self.materials[m] for m in sorted(set(material_ids)) if m in self.materials]

    def get_dependencies(self, pairs: Sequence[Pair]) -> dict[Pair, ImporterDependency]:
        self._call("get_dependencies")
        found = ((p, self.dependencies.get((p.material, p.importer))) for p in dict.fromkeys(pairs))
        return {p: d for p, d in found if d is not None}

    def get_dependency(self, importer: str, material_id: str) -> ImporterDependency | None:
        self._call("get_dependency")
        return self.dependencies.get((material_id, importer))

    def list_dependencies(self, material_id: str) -> list[ImporterDependency]:
        self._call("list_dependencies")
        return [d for (m, _), d in sorted(self.dependencies.items()) if m == material_id]

    def list_governance(self) -> dict[str, CountryGovernance]:
        self._call("list_governance")
        return dict(sorted(self.governance.items()))

    def get_governance(self, country: str) -> CountryGovernance | None:
        self._call("get_governance")
        return self.governance.get(country)

    def list_signals(self) -> list[PolicySignal]:
        self._call("list_signals")
        return [self.signals[k] for k in sorted(self.signals)]

    def get_signal(self, signal_id: str) -> PolicySignal | None:
        self._call("get_signal")
        return self.signals.get(signal_id)

    def _stored(self, item: ReferenceItem) -> ReferenceItem | None:
        match item:
            case MaterialProfile():
                return self.materials.get(item.id)
            case ImporterDependency():
                return self.dependencies.get((item.material, item.importer))
            case CountryGovernance():
                return self.governance.get(item.country)
            case PolicySignal():
                return self.signals.get(item.id)

    def _write(self, item: ReferenceItem, load_id: str | None) -> None:
        match item:
            case MaterialProfile():
                self.materials[item.id] = item
                self.load_ids[("material", item.id)] = load_id
            case ImporterDependency():
                self.dependencies[(item.material, item.importer)] = item
                self.load_ids[("dependency", f"{item.importer}/{item.material}")] = load_id
            case CountryGovernance():
                self.governance[item.country] = item
                self.load_ids[("governance", item.country)] = load_id
            case PolicySignal():
                self.signals[item.id] = item
                self.load_ids[("signal", item.id)] = load_id

    def save_reference_items(self, items: Sequence[ReferenceItem], load_id: str | None = None) -> None:
        self._call("save_reference_items")
        for item in items:
            self._write(item, load_id)

    def put_reference_item(self, item: ReferenceItem, expected_version: int | None, load_id: str | None = None) -> None:
        self._call("put_reference_item")
        current = self._stored(item)
        _check_version(current.version if current is not None else None, expected_version)
        self._write(item, load_id)
        if isinstance(item, ImporterDependency):  # the adapter's transaction: item and index together
            self.importer_index.setdefault(item.importer, set()).add(item.material)

    # -------------------------------------------------------------- importer index (ImporterIndexStore)

    def list_importer_index(self) -> dict[str, frozenset[str]]:
        self._call("list_importer_index")
        return {k: frozenset(v) for k, v in sorted(self.importer_index.items())}

    def add_importer_materials(self, additions: Mapping[str, Iterable[str]]) -> None:
        self._call("add_importer_materials")
        for importer, materials in additions.items():
            values = set(materials)
            if values:  # like DynamoDB: no empty sets, so no entry for an economy without materials
                self.importer_index.setdefault(importer, set()).update(values)

    # -------------------------------------------------------------- scores (ScoreStore)

    def get_score(self, importer: str, material_id: str) -> RiskScore | None:
        self._call("get_score")
        return self.scores.get(Pair(importer, material_id))

    def get_scores(self, pairs: Sequence[Pair]) -> dict[Pair, RiskScore]:
        self._call("get_scores")
        return {p: self.scores[p] for p in dict.fromkeys(pairs) if p in self.scores}

    def get_score_times(self, pairs: Sequence[Pair]) -> dict[Pair, datetime]:
        self._call("get_score_times")
        return {p: self.scores[p].computed_at for p in dict.fromkeys(pairs) if p in self.scores}

    def _save(self, scores: Sequence[RiskScore], history_expires_at: int) -> list[RiskScore]:
        written = []
        for score in scores:
            pair = Pair(score.importer, score.material)
            stored = self.scores.get(pair)
            if stored is None or stored.computed_at <= score.computed_at:  # never over a later score
                self.scores[pair] = score
                written.append(score)
            self.history.setdefault(pair, {})[score.computed_at] = (score, history_expires_at)
        return written

    def save_scores(self, scores: Sequence[RiskScore], history_expires_at: int) -> list[RiskScore]:
        self._call("save_scores")
        return self._save(scores, history_expires_at)

    def save_scores_if_newer(self, scores: Sequence[RiskScore], history_expires_at: int) -> list[RiskScore]:
        self._call("save_scores_if_newer")
        return self._save(scores, history_expires_at)

    def rank_scores(self, query: RankQuery) -> Page[RiskScore]:
        self._call("rank_scores")
        lower, upper = _BAND_RANGES[query.band] if query.band else (0.0, 100.0001)
        if query.min_score is not None:
            lower = max(lower, query.min_score)

        def other(score: RiskScore) -> str:
            return score.material if query.by is RankedBy.IMPORTER else score.importer

        def sort_key(score: RiskScore) -> str:
            return f"{score.score:08.4f}#{other(score)}"

        ranked = sorted(
            (
                s
                for s in self.scores.values()
                if (s.importer if query.by is RankedBy.IMPORTER else s.material) == query.key
                and lower <= s.score < upper
                and (query.group is None or query.group in s.groups)
            ),
            key=sort_key,
            reverse=True,
        )
        return _page(ranked, sort_key, replace(query, cursor=None, limit=0), query.limit, query.cursor)

    def score_history(self, query: HistoryQuery) -> Page[HistoryPoint]:
        self._call("score_history")
        rows = self.history.get(Pair(query.importer, query.material), {})
        points = [
            HistoryPoint(
                importer=query.importer,
                material=query.material,
                at=at,
                score=score.score,
                band=score.band,
                model_version=score.model_version,
                inputs_hash=score.inputs_hash,
                signal_ids=tuple(score.signal_ids),
            )
            for at, (score, _) in sorted(rows.items())
            if (query.start is None or at >= query.start) and (query.end is None or at <= query.end)
        ]
        return _page(
            points, lambda p: p.at.isoformat(), replace(query, cursor=None, limit=0), query.limit, query.cursor
        )

    # -------------------------------------------------------------- rescoring runs (RunStore)

    def create_run(self, run: RescoreRun) -> tuple[RescoreRun, bool]:
        self._call("create_run")
        if run.run_id in self.runs:
            return self.runs[run.run_id], False
        stored = replace(run, chunks_done=0, chunks_failed=0, pairs_scored=0)
        self.runs[run.run_id] = stored
        return stored, True

    def get_run(self, run_id: str) -> RescoreRun | None:
        self._call("get_run")
        return self.runs.get(run_id)

    def _count_once(self, run_id: str, chunk_index: int, outcome: str, detail: str, **counters: int) -> bool:
        run = self.runs.get(run_id)
        marker = (run_id, chunk_index, outcome)
        if run is None or marker in self.chunk_outcomes:
            return False
        self.chunk_outcomes[marker] = detail[:1000]
        self.runs[run_id] = replace(run, **{k: getattr(run, k) + v for k, v in counters.items()})
        return True

    def record_chunk_done(self, run_id: str, chunk_index: int, pairs_scored: int) -> bool:
        self._call("record_chunk_done")
        return self._count_once(run_id, chunk_index, "DONE", "done", chunks_done=1, pairs_scored=pairs_scored)

    def record_chunk_failed(self, run_id: str, chunk_index: int, reason: str) -> bool:
        self._call("record_chunk_failed")
        return self._count_once(run_id, chunk_index, "FAILED", reason, chunks_failed=1)

    # -------------------------------------------------------------- portfolios (PortfolioStore)

    def get_portfolio(self, tenant: str, portfolio_id: str) -> Portfolio | None:
        self._call("get_portfolio")
        return self.portfolios.get((tenant, portfolio_id))

    def list_portfolios(self, tenant: str, limit: int, cursor: str | None) -> Page[PortfolioSummary]:
        self._call("list_portfolios")
        summaries = [
            PortfolioSummary(
                id=p.id,
                name=p.name,
                currency=p.currency,
                item_count=len(p.items),
                version=p.version,
                updated_at=p.updated_at,
            )
            for (t, _), p in sorted(self.portfolios.items())
            if t == tenant
        ]
        return _page(summaries, lambda s: s.id, ("portfolios", tenant), limit, cursor)

    def put_portfolio(self, portfolio: Portfolio, expected_version: int | None) -> None:
        self._call("put_portfolio")
        current = self.portfolios.get((portfolio.tenant, portfolio.id))
        _check_version(current.version if current is not None else None, expected_version)
        self.portfolios[(portfolio.tenant, portfolio.id)] = portfolio

    def delete_portfolio(self, tenant: str, portfolio_id: str, expected_version: int | None) -> bool:
        self._call("delete_portfolio")
        current = self.portfolios.get((tenant, portfolio_id))
        if expected_version is None:
            return self.portfolios.pop((tenant, portfolio_id), None) is not None
        _check_version(current.version if current is not None else None, expected_version)
        del self.portfolios[(tenant, portfolio_id)]
        return True
