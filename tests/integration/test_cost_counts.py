"""The counts the cost model uses (scripts/cost/model.py) against what the code really does: the sample nightly and
a signal change recounted on moto. A change to the write path (another call per chunk, a score write outside the
transaction, a third GSI) fails here until the model follows it."""

from __future__ import annotations

import pytest

from scripts.cost.item_size import write_units
from scripts.cost.measure import SAMPLE_IMPORTERS, Measurements, measure
from scripts.cost.model import nightly_chunk_counts, signal_change_counts


@pytest.fixture(scope="module")
def recount() -> Measurements:
    return measure(full_sizes=False)


def test_the_nightly_counts_the_model_uses_are_what_the_workers_do(recount: Measurements) -> None:
    nightly = recount.nightly
    model = nightly_chunk_counts(len(SAMPLE_IMPORTERS), nightly.materials_per_chunk)
    assert nightly.chunks_usage.calls == model.calls
    assert nightly.chunks_usage.items_written == model.items_written
    assert nightly.chunks_usage.gsi_item_writes == model.gsi_item_writes
    # write units: each score item twice (transactional), each history row once, 2 small marker writes a chunk x2
    usage = nightly.chunks_usage
    expected = (
        2 * sum(write_units(b) for b in usage.score_item_bytes)
        + sum(write_units(b) for b in usage.history_item_bytes)
        + 2 * 2 * nightly.chunks
    )
    assert usage.table_write_units == expected
    # the planner sends every chunk in SendMessageBatch calls of up to 10
    assert nightly.planner.sqs_messages == nightly.chunks


def test_the_hot_key_of_each_chunk_is_a_material_ranking_partition(recount: Measurements) -> None:
    """A chunk writes every importer's score of each of its materials: the gsi2 partition of one material takes
    them all (the limit docs/cost-and-scale.md checks against 1,000 WCU/s), the importer partitions a few each."""
    for chunk, hot in enumerate(recount.nightly.hottest_per_chunk):
        key, units = hot["gsi2"]
        assert key.startswith("RANK#MATERIAL#"), (chunk, key)
        assert units >= len(SAMPLE_IMPORTERS)  # at least a write unit per importer
        assert hot["table"][1] <= 2 * units  # an importer's partition takes that chunk's materials, not all importers


def test_the_signal_change_counts_the_model_uses_are_what_the_stream_path_does(recount: Measurements) -> None:
    event = recount.event
    # the sample's importers do not include the issuer (CN): a ban for ALL targets all of them
    model = signal_change_counts(len(SAMPLE_IMPORTERS), 1)
    assert event.rescoring.calls == model.calls
    assert event.rescoring.items_written == model.items_written
    assert event.rescoring.gsi_item_writes == model.gsi_item_writes
    assert event.pairs == len(SAMPLE_IMPORTERS)


def test_the_committed_counts_match_a_fresh_recount(recount: Measurements) -> None:
    from scripts.cost.measure import MEASURED_PATH

    committed = Measurements.model_validate_json(MEASURED_PATH.read_text())
    assert committed.nightly.chunks_usage.calls == recount.nightly.chunks_usage.calls
    assert committed.event.rescoring.calls == recount.event.rescoring.calls
    assert committed.api.model_dump() == recount.api.model_dump()
