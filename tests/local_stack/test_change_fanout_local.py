"""A change too big for one stream invocation on DynamoDB Local (decisions.md 85): on the running local stack a
group signal PUT over HTTP -> stream poller -> StreamRescoreFunction fans it out -> RescoreQueue -> the worker
poller's RescoreWorkerFunction processes -> every affected score written, ScoreChanged naming the signal; and a
fanned-out chunk interleaved with the nightly writer of the same scores on DynamoDB Local keeps the newer one."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from local.dynamodb_local import local_client
from local.messaging import missing_messaging_prerequisites
from local.stack import LocalStack
from shared.adapters.dynamodb_repository import DynamoRiskRepository
from shared.config import Settings
from shared.ports import HistoryQuery, Pair, ReferenceChange
from shared.services import admin
from shared.services.change_fanout import FanOut, change_run_id
from shared.services.rescoring import rescore_all
from shared.services.seeding import SeedData, seed_reference_data
from shared.services.stream_changes import rescore_stream_record
from tests.conftest import unavailable_in_this_environment
from tests.fakes import InProcessChunkQueue, RecordingPublisher
from tests.support import wait_until
from tests.unit.test_change_fanout import AS_OF, AT, GROUP_BAN, IMPORTERS, interleave_with_nightly, seed

#: the stack fans out anything over 20 pairs, 2 materials (of 24 importers) per chunk
FANOUT_ENVIRONMENT = {"STREAM_MAX_PAIRS": "20", "FANOUT_CHUNK_PAIRS": "50"}


@pytest.fixture
def stack(
    dynamodb_local_endpoint: str, local_aws_environment: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LocalStack]:
    missing = missing_messaging_prerequisites()
    if missing:
        unavailable_in_this_environment("local_stack", "the local SQS/EventBridge needs " + "; ".join(missing))
    for name, value in FANOUT_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    suffix = uuid.uuid4().hex[:8]
    running = LocalStack(
        dynamodb_endpoint=dynamodb_local_endpoint,
        table_name=f"RiskTable-fanout-{suffix}",
        stack_name=f"fanout-{suffix}",
        quiet=True,
        echo=lambda _line: None,
    )
    running.start()
    try:
        yield running
    finally:
        running.stop()


def test_a_group_signal_put_is_fanned_out_to_the_workers_and_alerts_name_the_signal(stack: LocalStack) -> None:
    repo = DynamoRiskRepository(stack.table_name, local_client(stack.dynamodb_endpoint))
    importers = [i for i in Settings.from_environment().scored_importer_codes if i != "CN"]
    members = sorted(m.id for m in repo.list_materials() if "hree" in m.groups)
    pairs = [Pair(i, m) for m in members for i in importers]
    assert len(pairs) > int(FANOUT_ENVIRONMENT["STREAM_MAX_PAIRS"])
    assert stack.wait_until_idle(timeout_s=60)
    (stream,) = stack.stream_pollers
    before = repo.get_scores(pairs)
    assert len(before) == len(pairs)

    signal_id = f"CN-FANOUT-{uuid.uuid4().hex[:6].upper()}"
    reply = requests.put(
        f"{stack.base_url}/v1/signals/{signal_id}",
        json=GROUP_BAN,
        headers={"Authorization": "Bearer dev-admin"},
        timeout=30,
    )
    assert reply.status_code == 201, reply.text

    def rescored() -> bool:
        return all(signal_id in s.signal_ids for s in repo.get_scores(pairs).values())

    assert wait_until(rescored, timeout_s=90.0), "not every affected pair was rescored with the group signal"
    assert stack.wait_until_idle(timeout_s=60)
    assert stream.delivered == 1  # one stream record; the rest was the queue's
    after = repo.get_scores(pairs)
    at = after[pairs[0]].computed_at
    assert all(s.computed_at == at for s in after.values())  # every pair scored at the change's time
    signal = next(s for s in repo.list_signals() if s.id == signal_id)
    run = repo.get_run(change_run_id(ReferenceChange("signal", signal_id, None, signal, at)))
    assert run is not None and run.status == "completed" and run.chunks_total == len(members) // 2
    assert run.pairs_scored == len(pairs)

    assert stack.alerts is not None
    moved = [p for p in pairs if abs(after[p].score - before[p].score) >= 5 or after[p].band != before[p].band]
    assert moved, "a CN ban on the heavy rare earths moves some pair past the threshold"

    def about(pair: Pair) -> Callable[[dict[str, Any]], bool]:
        return lambda d: (d["importer"], d["material"], d["cause"]["id"]) == (pair.importer, pair.material, signal_id)

    for pair in moved:
        alert = stack.alerts.wait_for(about(pair), timeout_s=30)
        assert alert is not None, f"no ScoreChanged for {pair}"
        assert alert["cause"] == {"type": "signal", "id": signal_id}
        assert alert["old_score"] == before[pair].score and alert["new_score"] == after[pair].score


@pytest.mark.parametrize("chunk_first", [True, False])
def test_a_fanned_out_chunk_interleaved_with_the_nightly_writer_keeps_the_newer_score(
    dynamodb_client: Any, local_table: str, chunk_first: bool
) -> None:
    repo = DynamoRiskRepository(local_table, dynamodb_client)
    full = seed()  # the heavy rare earths and their inputs only: the interleaving is per pair
    hree = {m.id for m in full.materials if "hree" in m.groups}
    seed_reference_data(
        repo,
        SeedData(
            materials=[m for m in full.materials if m.id in hree],
            dependencies=[d for d in full.dependencies if d.material in hree],
            governance=list(full.governance),
            signals=list(full.signals),
        ),
    )
    rescore_all(repo, AS_OF, IMPORTERS)
    signal = admin.upsert_signal(repo, "CN-HREE-BAN", GROUP_BAN, None).item
    change = ReferenceChange(kind="signal", item_id="CN-HREE-BAN", old=None, new=signal, at=AT)
    queue = InProcessChunkQueue()
    rescore_stream_record(
        repo, RecordingPublisher(), lambda *_: change, {}, None, None, AT.timestamp(), AT, IMPORTERS, 5.0, 400,
        FanOut(lambda: queue, repo, max_pairs=10, chunk_pairs=12),
    )  # fmt: skip
    change_chunk = queue.chunks[0]
    night = interleave_with_nightly(repo, change_chunk, chunk_first)
    stored = repo.get_scores([Pair(i, m) for m in change_chunk.materials for i in change_chunk.importers])
    assert len(stored) == len(change_chunk.materials) * len(change_chunk.importers)
    assert {s.computed_at for s in stored.values()} == {night}
    history = repo.score_history(HistoryQuery(change_chunk.importers[0], change_chunk.materials[0])).items
    assert {h.at for h in history} >= {AT, night}  # both writers' rows, the chunk's not lost either
