"""Every score writer is conditional on being newer: a nightly chunk that lands after a stream rescoring of a
later time never puts its older score back (the lost update of issue 12), and a newer night still replaces an
older stream score. History rows are written by both, keyed by their own times."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shared.adapters import factory
from shared.domain.models import RiskScore
from shared.ports import Pair
from shared.services.rescoring import rescore_all
from tests.integration import flows as flows_module
from tests.integration.flows import (
    JP_LICENCE_STALL,
    JP_SIGNALS,
    SCORED,
    STALL_MATERIALS,
    Flow,
    FlowFactory,
    redelivery,
    seed,
    signal_body,
)
from tests.support import SEED_AS_OF

flows = flows_module.flows

NIGHT = SEED_AS_OF  # 2026-11-28T02:00Z
BASELINE = NIGHT - timedelta(days=1)
RUN_ID = f"nightly-{NIGHT:%Y%m%dT%H%M}"
PAIRS = len(STALL_MATERIALS) * len(SCORED)  # one chunk


def stall_flow(flows: FlowFactory) -> Flow:
    """The licence-stall materials without the 2026 JP signals, every pair scored the day before the night."""
    flow = flows.new(seed(without_signals=JP_SIGNALS, materials=STALL_MATERIALS), chunk_pairs=100)
    rescore_all(flow.repo, BASELINE, SCORED)
    flow.poll_stream()  # the scores' own records
    return flow


def put_stall_and_rescore(flow: Flow, at: Any) -> RiskScore:
    result = flow.put_signal(JP_LICENCE_STALL, signal_body(JP_LICENCE_STALL))
    assert result.status == 201, result.body
    flow.process_stream(at=at)
    score = flow.repo.get_score("JP", "dysprosium")
    assert score is not None and score.computed_at == at
    return score


def history_of(flow: Flow, importer: str, material: str) -> dict[str, float]:
    return {at: score for i, m, at, score, *_ in flow.state().history if (i, m) == (importer, material)}


def test_a_late_nightly_chunk_never_replaces_a_newer_stream_score(flows, monkeypatch):
    flow = stall_flow(flows)
    before = flow.repo.get_score("JP", "dysprosium")
    assert before is not None
    stream_at = NIGHT + timedelta(hours=7)
    repo = factory.get_repository()
    real_save = repo.save_scores
    stream_scores: list[RiskScore] = []

    def late(scores, expires_at):
        # The worker has scored its chunk (without the signal); before its write lands, the signal is PUT and
        # the stream rescoring of a later time writes first (in AWS both run in parallel).
        if not stream_scores:
            stream_scores.append(put_stall_and_rescore(flow, stream_at))
        return real_save(scores, expires_at)

    monkeypatch.setattr(repo, "save_scores", late)
    flow.plan(NIGHT)
    records = flow.receive()
    assert len(records) == 1
    assert flow.invoke_worker(records) == set()
    flow.settle(records, set())

    (stream_score,) = stream_scores
    assert stream_score.score > before.score
    (alert,) = [e for e in flow.published() if (e["importer"], e["material"]) == ("JP", "dysprosium")]
    assert alert["new_score"] == stream_score.score

    state = flow.state()
    # the newer score stays, the chunk's older one did not come back...
    assert flow.repo.get_score("JP", "dysprosium") == stream_score
    jp_stalled = {("JP", m) for m in STALL_MATERIALS}
    assert {pair: v[2] for pair, v in state.scores.items() if pair in jp_stalled} == dict.fromkeys(
        jp_stalled, stream_at.isoformat()
    )
    # ...while every pair the signal did not touch took the night's score
    assert {v[2] for pair, v in state.scores.items() if pair not in jp_stalled} == {NIGHT.isoformat()}
    assert len(state.scores) == PAIRS
    # history keeps a row for each time, and its newest row is the current score
    history = history_of(flow, "JP", "dysprosium")
    assert sorted(history) == [BASELINE.isoformat(), NIGHT.isoformat(), stream_at.isoformat()]
    assert history[NIGHT.isoformat()] == before.score  # the chunk scored it without the signal
    assert history[max(history)] == stream_score.score
    assert len(state.history) == 2 * PAIRS + len(jp_stalled)
    run = flow.run(RUN_ID)
    assert (run["chunks_done"], run["pairs_scored"], run["status"]) == (1, PAIRS, "completed")

    # the same chunk delivered again: nothing moves, nothing counts twice
    assert flow.invoke_worker([redelivery(records[0], 2)]) == set()
    again = flow.state()
    assert again.scores == state.scores
    assert {h[:3] for h in again.history} == {h[:3] for h in state.history}
    assert flow.run(RUN_ID) == run
    assert flow.published() == []


def test_a_newer_night_replaces_an_older_stream_score(flows):
    flow = stall_flow(flows)
    stream_at = NIGHT - timedelta(hours=5)
    stream_score = put_stall_and_rescore(flow, stream_at)
    assert flow.published()

    flow.night(NIGHT)
    state = flow.state()
    assert {v[2] for v in state.scores.values()} == {NIGHT.isoformat()}
    night_score = flow.repo.get_score("JP", "dysprosium")
    assert night_score is not None and night_score.computed_at == NIGHT
    history = history_of(flow, "JP", "dysprosium")
    assert sorted(history) == [BASELINE.isoformat(), stream_at.isoformat(), NIGHT.isoformat()]
    assert history[stream_at.isoformat()] == stream_score.score
    assert history[NIGHT.isoformat()] == night_score.score


def test_save_scores_skips_only_the_pairs_with_a_later_score_across_transactions(flows):
    """More scores than one transaction holds (115 > 100): the cancelled transaction is sent again without the
    pairs whose stored score is later, every other pair is written, and the same write again changes nothing."""
    flow = flows.new(seed(materials=STALL_MATERIALS))
    importers = "AR AU BR CA CH CN DE EU FR GB ID IN IT JP KR MX NO RU SA TR TW US ZA".split()
    t1, t2, t3 = (NIGHT + timedelta(hours=h) for h in (1, 2, 3))
    rescore_all(flow.repo, t1, importers)
    stored = flow.repo.get_scores([Pair(i, m) for m in STALL_MATERIALS for i in importers])
    assert len(stored) == 115
    later = [Pair("CN", "dysprosium"), Pair("JP", "terbium"), Pair("ZA", "yttrium")]  # in both transactions
    flow.repo.save_scores([stored[p].model_copy(update={"computed_at": t3}) for p in later], 0)

    at_t2 = [s.model_copy(update={"computed_at": t2}) for s in stored.values()]
    written = flow.repo.save_scores(at_t2, 0)
    assert {Pair(s.importer, s.material) for s in written} == set(stored) - set(later)
    assert len(written) == 112
    current = flow.repo.get_scores(list(stored))
    assert {p: s.computed_at for p, s in current.items()} == {p: t3 if p in later else t2 for p in stored}
    # the same write again (a redelivery) writes the same items
    assert flow.repo.save_scores(at_t2, 0) == written
    assert flow.repo.get_scores(list(stored)) == current
