"""The cause rule of event-driven rescoring (issue 12): a change is named as the cause of an alert only by its
own effect on the pair, never by a move another change made in the same second."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from shared.adapters.messaging import score_changed_detail
from shared.domain.models import Band, PolicySignal, RiskScore
from shared.domain.scoring import ScoringInputs, compute_score
from shared.ports import ScoreChanged
from shared.services.rescoring import alert_for_change
from tests.unit.fixtures import dysprosium, governance, signal

AT = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)
THRESHOLD = 5.0
IN_FORCE = signal(id="in-force", targets=("JP",), severity=1.0, announced=date(2026, 1, 6))
FAR_FUTURE = signal(id="far-future", targets=("JP",), severity=1.0, announced=date(2100, 12, 31))


def score(*signals: PolicySignal, at: datetime = AT) -> RiskScore:
    inputs = ScoringInputs(
        importer="JP",
        material=dysprosium(),
        dependency=None,
        governance=governance(CN=5.667, MM=8.0),
        signals=list(signals),
        as_of=at.date(),
    )
    return compute_score(inputs, computed_at=at)


def test_a_change_that_did_not_move_the_pair_is_not_a_cause_even_when_the_stored_score_moved():
    stored = score(at=AT - timedelta(days=1))  # before both signals
    new = score(IN_FORCE, FAR_FUTURE)  # both written in the same second
    assert new.score - stored.score >= THRESHOLD  # the pair did jump...
    # ...but not because of the far-future signal: without it, the score is the same
    assert alert_for_change(stored.computed_at, score(IN_FORCE), new, THRESHOLD) is None


def test_the_change_that_moved_the_pair_is_the_cause_and_reports_the_score_without_it():
    stored = score(at=AT - timedelta(days=1))
    new = score(IN_FORCE, FAR_FUTURE)
    without = score(FAR_FUTURE)
    assert alert_for_change(stored.computed_at, without, new, THRESHOLD) == without
    # also when the other change's record was processed first and already stored the new score at this second
    assert alert_for_change(new.computed_at, without, new, THRESHOLD) == without


def test_no_alert_for_a_first_score_a_later_stored_score_or_a_move_below_the_threshold():
    new = score(IN_FORCE)
    without = score()
    assert alert_for_change(None, without, new, THRESHOLD) is None  # a first score is not a change
    later = score(IN_FORCE, at=AT + timedelta(seconds=1))
    assert alert_for_change(later.computed_at, without, new, THRESHOLD) is None  # this record is late
    assert alert_for_change(without.computed_at, None, new, THRESHOLD) is None  # no score without the change (new item)
    small = signal(id="small", targets=("JP",), severity=0.01, announced=date(2026, 1, 6))
    nudged = score(small)
    assert nudged.band is without.band and abs(nudged.score - without.score) < THRESHOLD
    assert alert_for_change(without.computed_at, without, nudged, THRESHOLD) is None


def test_a_band_change_below_the_threshold_alerts():
    new = score(IN_FORCE)
    moved = new.model_copy(update={"score": new.score - 1.0, "band": Band.MODERATE})
    assert moved.band is not new.band
    assert alert_for_change(moved.computed_at, moved, new, THRESHOLD) == moved


def test_two_causes_of_the_same_pair_and_second_have_distinct_dedup_keys():
    def event(cause_id: str) -> ScoreChanged:
        return ScoreChanged("JP", "dysprosium", 40.0, 90.0, Band.MODERATE, Band.CRITICAL, "signal", cause_id, AT)

    first, second = score_changed_detail(event("a")), score_changed_detail(event("b"))
    assert first["dedup_key"] != second["dedup_key"]
    assert score_changed_detail(event("a"))["dedup_key"] == first["dedup_key"]  # a redelivery: the same key
