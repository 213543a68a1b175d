"""A table stream record about a score input -> the pairs it touches rescored, ScoreChanged published for big moves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.ports import ChangeReader, EventPublisher, ReferenceChange, RiskStore, ScoreChanged
from shared.services.rescoring import DEFAULT_HISTORY_RETENTION_DAYS, rescore_pairs_for_change


@dataclass(frozen=True)
class ChangeRescored:
    change: ReferenceChange
    #: the ScoreChanged events published for it
    alerts: list[ScoreChanged]


def change_time(created: float | None, now: datetime) -> datetime:
    """A record is scored at its creation time (a redelivery recomputes the same items); `now` if it has none."""
    return datetime.fromtimestamp(created, UTC) if created is not None else now.replace(microsecond=0)


def rescore_stream_record(
    store: RiskStore,
    publisher: EventPublisher,
    read_change: ChangeReader,
    keys: Mapping[str, Any],
    old_image: Mapping[str, Any] | None,
    new_image: Mapping[str, Any] | None,
    created: float | None,
    now: datetime,
    importers: Sequence[str],
    alert_threshold: float = 5.0,
    retention_days: int = DEFAULT_HISTORY_RETENTION_DAYS,
) -> ChangeRescored | None:
    """None when the record is not about a score input (scores, history, runs, a bulk load's writes)."""
    change = read_change(keys, old_image, new_image, change_time(created, now))
    if change is None:
        return None
    alerts = rescore_pairs_for_change(store, publisher, change, importers, alert_threshold, retention_days)
    return ChangeRescored(change, alerts)
