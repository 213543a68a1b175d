"""A table stream record about a score input -> the pairs it touches rescored, ScoreChanged published for big moves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.ports import ChangeReader, EventPublisher, ReferenceChange, RescoreRun, RiskStore, ScoreChanged
from shared.services.change_fanout import FanOut, fan_out_change
from shared.services.rescoring import DEFAULT_HISTORY_RETENTION_DAYS, affected_pairs, rescore_change_pairs


@dataclass(frozen=True)
class ChangeRescored:
    change: ReferenceChange
    #: the ScoreChanged events published for it (none here when it was fanned out: the workers publish them)
    alerts: list[ScoreChanged]
    #: the run its pairs were queued in, when they were too many for this invocation (None: rescored here)
    fanned_out: RescoreRun | None = None


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
    fan_out: FanOut | None = None,
) -> ChangeRescored | None:
    """None when the record is not about a score input (scores, history, runs, a bulk load's writes).

    With `fan_out`, a change touching more than its `max_pairs` pairs is not rescored here: its pairs go to the
    rescoring queue in chunks that carry the change (`change_fanout`), and the workers rescore them in parallel."""
    change = read_change(keys, old_image, new_image, change_time(created, now))
    if change is None:
        return None
    pairs = affected_pairs(store, change, importers)
    if fan_out is not None and len(pairs) > fan_out.max_pairs:
        return ChangeRescored(change, [], fan_out_change(fan_out, change, pairs, now))
    alerts = rescore_change_pairs(store, publisher, change, pairs, alert_threshold, retention_days)
    return ChangeRescored(change, alerts)
