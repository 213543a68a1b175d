"""Event-driven flow on moto: PUT /v1/signals -> table stream -> stream handler -> scores, history, ScoreChanged.

Stream records are stamped with logical times (their ApproximateCreationDateTime), so each change is scored at
a fixed date of the replayed timeline instead of the wall clock.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from shared.ports import ReferenceChange
from shared.services.rescoring import rescore_all, rescore_change_pairs
from tests.integration import flows as flows_module
from tests.integration.flows import (
    JP_DUALUSE,
    JP_LICENCE_STALL,
    JP_SIGNALS,
    SCORED,
    STALL_MATERIALS,
    Flow,
    FlowFactory,
    jp_materials,
    record_sk,
    seed,
    signal_body,
    signal_records,
)

flows = flows_module.flows

BASELINE = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
DUALUSE_AT = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)
STALL_AT = datetime(2026, 1, 8, 9, 0, tzinfo=UTC)
LIFT_AT = datetime(2026, 2, 1, 1, 0, tzinfo=UTC)
NIGHTS = (
    datetime(2026, 2, 1, 2, 0, tzinfo=UTC),
    datetime(2026, 5, 2, 2, 0, tzinfo=UTC),  # 90 days after the lift: one half-life
    datetime(2026, 7, 31, 2, 0, tzinfo=UTC),  # 180 days: two
)


def baseline_flow(flows: FlowFactory) -> Flow:
    """Seed without the two 2026 JP signals (the materials they name and three others), every scored pair
    scored on 2026-01-05."""
    flow = flows.new(seed(without_signals=JP_SIGNALS, materials=jp_materials("cobalt", "lithium", "neodymium")))
    rescore_all(flow.repo, BASELINE, SCORED)
    assert flow.poll_stream()  # the scores' own records: the stream handler would ignore them
    return flow


def put_jp_signal(flow: Flow, signal_id: str) -> dict[str, Any]:
    result = flow.put_signal(signal_id, signal_body(signal_id))
    assert result.status == 201, result.body
    assert result.body["version"] == 1
    assert result.headers["ETag"] == '"1"'
    body: dict[str, Any] = result.body
    return body


def test_timeline_replay_of_the_2026_jp_signals_and_their_lifting(flows):
    flow = baseline_flow(flows)
    before = flow.state()
    jp_before, us_before = before.scores[("JP", "dysprosium")], before.scores[("US", "dysprosium")]
    assert flow.published() == []

    # January: the dual-use notice, then the reported licence stall, each processed from the stream
    put_jp_signal(flow, JP_DUALUSE)
    flow.process_stream(at=DUALUSE_AT)
    jp_dualuse = flow.repo.get_score("JP", "dysprosium")
    assert jp_dualuse is not None
    stall = put_jp_signal(flow, JP_LICENCE_STALL)
    flow.process_stream(at=STALL_AT)

    after = flow.state()
    jp_after, us_after = after.scores[("JP", "dysprosium")], after.scores[("US", "dysprosium")]
    assert jp_after[1] == "critical"
    assert jp_after[0] > jp_before[0]
    assert jp_after[2] == STALL_AT.isoformat()
    assert abs(us_after[0] - us_before[0]) < jp_after[0] - jp_before[0]
    assert us_after == us_before  # the signals target JP only: US pairs are not even rescored
    # only JP pairs were rescored: every other importer's scores are untouched
    changed = {pair for pair in after.scores if after.scores[pair] != before.scores[pair]}
    assert changed and {importer for importer, _ in changed} == {"JP"}

    events = flow.published()
    dysprosium = [e for e in events if (e["importer"], e["material"]) == ("JP", "dysprosium")]
    assert dysprosium, events
    assert all(e["cause"]["type"] == "signal" and e["cause"]["id"] in JP_SIGNALS for e in dysprosium)
    # the dual-use notice moved it past the alert threshold; the stall's smaller step did not alert again
    assert [(e["cause"]["id"], e["old_score"], e["new_score"]) for e in dysprosium] == [
        (JP_DUALUSE, jp_before[0], jp_dualuse.score)
    ]
    assert dysprosium[0]["computed_at"] == DUALUSE_AT.isoformat()
    assert {e["importer"] for e in events} == {"JP"}
    assert len({e["dedup_key"] for e in events}) == len(events)

    # February: the stall is lifted (optimistic locking on the version the PUT returned)
    lifted = flow.put_signal(
        JP_LICENCE_STALL,
        signal_body(JP_LICENCE_STALL, status="lifted", lifted_at="2026-02-01", version=stall["version"]),
    )
    assert lifted.status == 200, lifted.body
    assert (lifted.body["version"], lifted.body["status"]) == (2, "lifted")
    flow.process_stream(at=LIFT_AT)

    nightly = []
    for night in NIGHTS:
        planned = flow.night(night)
        assert planned["run_id"] == f"nightly-{night:%Y%m%dT%H%M}"
        run = flow.run(planned["run_id"])
        assert (run["status"], run["chunks_done"], run["chunks_failed"]) == ("completed", run["chunks_total"], 0)
        score = flow.state().scores[("JP", "dysprosium")]
        assert score[2] == night.isoformat()
        nightly.append(score[0])
    assert nightly[0] > nightly[1] > nightly[2], nightly  # the lifted stall decays over its half-life

    history = flow.read("/v1/scores/JP/dysprosium/history")
    assert history.status == 200, history.body
    points = [(datetime.fromisoformat(p["at"]), p["score"]) for p in history.body["items"]]
    assert [at for at, _ in points] == [BASELINE, DUALUSE_AT, STALL_AT, LIFT_AT, *NIGHTS]
    assert [score for at, score in points if at in NIGHTS] == nightly
    assert points[0][1] == jp_before[0]
    assert points[2][1] == jp_after[0]
    stall_point = history.body["items"][2]
    assert set(JP_SIGNALS) <= set(stall_point["signal_ids"])
    assert history.body["next_cursor"] is None


def test_the_same_signal_put_twice_is_stored_once_and_rescored_once(flows, monkeypatch):
    flow = baseline_flow(flows)
    calls: list[ReferenceChange] = []

    def counting(*args, **kwargs):
        calls.append(args[2])
        return rescore_change_pairs(*args, **kwargs)

    # the stream handler rescores a change's pairs through services.stream_changes
    monkeypatch.setattr("shared.services.stream_changes.rescore_change_pairs", counting)

    first = flow.put_signal(JP_LICENCE_STALL, signal_body(JP_LICENCE_STALL))
    second = flow.put_signal(JP_LICENCE_STALL, signal_body(JP_LICENCE_STALL))
    assert (first.status, second.status) == (201, 200)
    assert first.body == second.body
    assert second.body["version"] == 1
    stored = flow.repo.get_signal(JP_LICENCE_STALL)
    assert stored is not None and stored.version == 1

    records = flow.poll_stream()
    assert len(signal_records(records)) == 1
    assert [(r["eventName"], record_sk(r)) for r in records] == [("INSERT", JP_LICENCE_STALL)]

    before = flow.state()
    flow.process_stream(records, at=STALL_AT)
    assert [c.item_id for c in calls] == [JP_LICENCE_STALL]
    after = flow.state()
    rescored = {pair for pair, score in after.scores.items() if score[2] == STALL_AT.isoformat()}
    # the stall names five heavy rare earths, for JP only
    assert rescored == {("JP", m) for m in STALL_MATERIALS}
    new_history = set(after.history) - set(before.history)
    assert {(i, m, at) for i, m, at, *_ in new_history} == {(i, m, STALL_AT.isoformat()) for i, m in rescored}

    # nothing new reaches the stream from the repeat, so nothing is rescored again
    flow.process_stream()
    assert len(calls) == 1
    assert flow.state() == after


def test_stream_records_redelivered_out_of_order_converge_on_the_in_order_result(flows):
    def two_changes() -> tuple[Flow, dict[str, Any], dict[str, Any]]:
        flow = baseline_flow(flows)
        put_jp_signal(flow, JP_DUALUSE)
        put_jp_signal(flow, JP_LICENCE_STALL)
        records = signal_records(flow.poll_stream())
        assert [record_sk(r) for r in records] == [JP_DUALUSE, JP_LICENCE_STALL]
        a, b = (flows_module.stamped(r, at) for r, at in zip(records, (DUALUSE_AT, STALL_AT), strict=True))
        return flow, a, b

    clean, a, b = two_changes()
    clean.process_stream([a, b])
    expected = clean.state()
    clean_events = clean.published()

    shuffled, a, b = two_changes()
    shuffled.process_stream([b, a, b])  # B, then A (older), then B again
    state = shuffled.state()
    events = shuffled.published()

    assert state.scores == expected.scores
    assert state.history == expected.history
    assert state.reference() == expected.reference()
    # the late A never overwrote B's newer scores
    for material in STALL_MATERIALS:
        assert state.scores[("JP", material)][2] == STALL_AT.isoformat()

    keys = [e["dedup_key"] for e in events]
    assert len(keys) == len(set(keys)), "the redelivered B published its ScoreChanged again"
    stall_events = [e for e in events if e["cause"]["id"] == JP_LICENCE_STALL]
    assert len({(e["importer"], e["material"]) for e in stall_events}) == len(stall_events)
    assert all(e["computed_at"] == STALL_AT.isoformat() for e in stall_events)
    # a late A publishes nothing for pairs B already moved past it
    dualuse_events = [e for e in events if e["cause"]["id"] == JP_DUALUSE]
    assert not {(e["importer"], e["material"]) for e in dualuse_events} & {
        (e["importer"], e["material"]) for e in stall_events
    }
    assert clean_events  # (the in-order run alerts too, though on different steps)


def test_changes_rescore_only_the_scored_importers(flows):
    """A signal or dependency naming an importer outside SCORED_IMPORTERS must not create scores for it: the
    nightly run never refreshes such a pair, so its score would go stale while every other pair of that importer
    answers "not scored"."""
    flow = baseline_flow(flows)
    before = flow.state()
    signal = signal_body(JP_LICENCE_STALL, targets=["JP", "KR"], title="test: JP and KR")
    assert flow.put_signal("CN-TEST-JP-KR", signal).status == 201
    dependency = {"import_reliance": 0.9, "sourcing": {"processing": [{"country": "CN", "share": 0.9}]}, "source": "t"}
    assert flow.admin("PUT", "/v1/importers/LI/dependencies/dysprosium", dependency).status == 201
    flow.process_stream(at=STALL_AT)

    after = flow.state()
    assert {importer for importer, _ in after.scores} == set(SCORED)
    assert {importer for importer, *_ in after.history} == set(SCORED)
    rescored = {pair for pair, score in after.scores.items() if score != before.scores[pair]}
    assert rescored == {("JP", m) for m in STALL_MATERIALS}
    assert flow.read("/v1/scores/LI/dysprosium").status == 404
    assert flow.read("/v1/scores/KR/dysprosium").status == 404


FAR_FUTURE = "CN-TEST-FAR-FUTURE"


@pytest.mark.parametrize(
    "order",
    [
        "one batch, the far-future signal first",
        "one batch, the in-force signal first",
        "two batches, the far-future signal first",
        "the far-future signal processed before the in-force one is written",
    ],
)
def test_an_alert_names_only_the_change_that_moved_the_score(flows, order):
    """Issue 12: two signals PUT in the same second (stream records stamped to the second), one announced for
    2100-12-31 (it contributes nothing yet), one in force. The alert for the jump names the in-force signal, from
    the score before it, however the two records are batched and ordered; the far-future one names no pair."""
    flow = baseline_flow(flows)
    before = flow.state()
    far_future = signal_body(
        JP_LICENCE_STALL, announced="2100-12-31", effective="2100-12-31", title="test: announced far ahead"
    )
    assert flow.put_signal(FAR_FUTURE, far_future).status == 201
    if order.startswith("the far-future signal processed before"):
        flow.process_stream(at=DUALUSE_AT)
        assert flow.published() == []
        put_jp_signal(flow, JP_DUALUSE)
        flow.process_stream(at=DUALUSE_AT)
    else:
        put_jp_signal(flow, JP_DUALUSE)
        records = signal_records(flow.poll_stream())
        assert [record_sk(r) for r in records] == [FAR_FUTURE, JP_DUALUSE]
        if "in-force signal first" in order:
            records.reverse()
        if order.startswith("one batch"):
            flow.process_stream(records, at=DUALUSE_AT)
        else:
            for record in records:
                flow.process_stream([record], at=DUALUSE_AT)

    events = flow.published()
    assert events, "the in-force signal's jump was not alerted"
    assert {e["cause"]["id"] for e in events} == {JP_DUALUSE}
    after = flow.state()
    for event in events:
        pair = (event["importer"], event["material"])
        assert event["old_score"] == before.scores[pair][0]  # the score before the in-force signal
        assert event["new_score"] == after.scores[pair][0]
        assert event["computed_at"] == DUALUSE_AT.isoformat()
    dysprosium = [e for e in events if (e["importer"], e["material"]) == ("JP", "dysprosium")]
    assert len(dysprosium) == 1
    assert dysprosium[0]["new_score"] > dysprosium[0]["old_score"]
