"""The per-partition-key write accounting of the hot-keys bench (scripts/cost/key_rate.py) on a tiny write pattern
checked by hand. Timestamps are given, not measured: nothing here is timed."""

from __future__ import annotations

from typing import Any

import pytest

from scripts.cost.key_rate import (
    KeySchema,
    KeyStats,
    WriteRecorder,
    hottest_per_index,
    key_stats,
    named_keys,
    peak_window,
    project,
)

SCHEMA = KeySchema("pk", "sk", {"gsi1": ("gsi1pk", "gsi1sk"), "gsi2": ("gsi2pk", "gsi2sk")})
BIG = "x" * 1200  # an item of ~1.3 KB: 2 write units
SMALL = "x" * 100  # ~0.2 KB: 1 write unit


def _score(importer: str, material: str, value: str, doc: str) -> dict[str, Any]:
    return {
        "pk": {"S": f"SCORE#{importer}"},
        "sk": {"S": f"MATERIAL#{material}"},
        "gsi1pk": {"S": f"RANK#IMPORTER#{importer}"},
        "gsi1sk": {"S": f"{value}#{material}"},
        "gsi2pk": {"S": f"RANK#MATERIAL#{material}"},
        "gsi2sk": {"S": f"{value}#{importer}"},
        "doc": {"S": doc},
    }


def _by_key(stats: list[KeyStats]) -> dict[tuple[str, str], KeyStats]:
    return {(s.index, s.key): s for s in stats}


def _record_pattern() -> WriteRecorder:
    recorder = WriteRecorder(SCHEMA)
    recorder.tag = "chunk-0"
    # t=0: a transaction of three score puts (2, 2 and 1 units; x2 on the table in a transaction)
    recorder.record(
        "TransactWriteItems",
        {
            "TransactItems": [
                {"Put": {"TableName": "t", "Item": _score("US", "dy", "0.5", BIG)}},
                {"Put": {"TableName": "t", "Item": _score("JP", "dy", "0.4", BIG)}},
                {"Put": {"TableName": "t", "Item": _score("US", "ga", "0.1", SMALL)}},
                {"ConditionCheck": {"TableName": "t", "Key": {"pk": {"S": "RUN#r"}, "sk": {"S": "RUN"}}}},
            ]
        },
        0.0,
    )
    # t=0.5: a batch: a history row (1 unit, in no index) and US/dy again, smaller and with a moved score
    history = {"pk": {"S": "HISTORY#US#dy"}, "sk": {"S": "2026-11-28"}, "doc": {"S": SMALL}}
    recorder.record(
        "BatchWriteItem",
        {
            "RequestItems": {
                "t": [{"PutRequest": {"Item": history}}, {"PutRequest": {"Item": _score("US", "dy", "0.7", SMALL)}}]
            }
        },
        0.5,
    )
    recorder.tag = "chunk-1"
    # t=1.6: JP/dy rewritten unchanged (same index keys); t=1.7: a run marker update
    recorder.record("PutItem", {"TableName": "t", "Item": _score("JP", "dy", "0.4", BIG)}, 1.6)
    recorder.record("UpdateItem", {"TableName": "t", "Key": {"pk": {"S": "RUN#r"}, "sk": {"S": "RUN"}}}, 1.7)
    return recorder


def test_table_partitions_count_transactions_twice_and_a_replaced_item_at_its_larger_size() -> None:
    stats = _by_key(key_stats(_record_pattern().writes))
    us = stats[("table", "SCORE#US")]
    # t=0: (2 + 1) x 2 = 6; t=0.5: the larger of the old (2) and the new (1) item = 2
    assert (us.units, us.max_units_one_request, us.peak_window_units, us.requests) == (8, 6, 8, 2)
    jp = stats[("table", "SCORE#JP")]
    # t=0: 2 x 2 = 4; t=1.6: 2, 1.6 s later: never in the same 1-second window
    assert (jp.units, jp.peak_window_units, jp.writers) == (6, 4, 2)
    assert stats[("table", "HISTORY#US#dy")].units == 1
    assert stats[("table", "RUN#r")].units == 1  # the update; the condition check writes nothing
    assert us.share == pytest.approx(8 / 16)


def test_a_gsi_partition_takes_a_delete_and_a_put_when_the_sort_key_moves() -> None:
    stats = _by_key(key_stats(_record_pattern().writes))
    dy = stats[("gsi2", "RANK#MATERIAL#dy")]
    # t=0: US 2 + JP 2 = 4 (not doubled: the index write is not the transaction's);
    # t=0.5: US moved: delete the old entry (2) + put the new one (1) = 3; t=1.6: JP unchanged: one put (2)
    assert (dy.units, dy.max_units_one_request, dy.requests, dy.writers) == (9, 4, 3, 2)
    assert dy.peak_window_units == 7  # 4 at t=0 + 3 at t=0.5
    assert dy.share == pytest.approx(9 / 10)  # RANK#MATERIAL#ga took the other unit
    assert stats[("gsi2", "RANK#MATERIAL#ga")].units == 1
    us_rank = stats[("gsi1", "RANK#IMPORTER#US")]
    assert (us_rank.units, us_rank.max_units_one_request) == (6, 3)  # t=0: 2 + 1; t=0.5: delete 2 + put 1
    assert ("gsi1", "HISTORY#US#dy") not in stats and ("gsi2", "RUN#r") not in stats  # sparse indexes


def test_the_hottest_keys_per_index_come_first() -> None:
    hottest = hottest_per_index(key_stats(_record_pattern().writes), top=1)
    assert {index: [s.key for s in keys] for index, keys in hottest.items()} == {
        "table": ["SCORE#US"],
        "gsi1": ["RANK#IMPORTER#US"],
        "gsi2": ["RANK#MATERIAL#dy"],
    }


def test_peak_window_is_the_most_units_within_any_second() -> None:
    assert peak_window([]) == 0
    assert peak_window([(0.0, 5), (0.99, 5), (1.0, 7), (1.5, 1)]) == 13  # (0.5, 1.5] holds 5 + 7 + 1
    assert peak_window([(0.0, 5), (1.0, 7)]) == 7  # a window is (t - 1 s, t]: 0.0 is out of it at t = 1.0


def test_the_template_key_schema_has_the_two_rank_indexes() -> None:
    schema = KeySchema.from_template()
    assert (schema.hash_key, schema.range_key) == ("pk", "sk")
    assert schema.indexes == {"gsi1": ("gsi1pk", "gsi1sk"), "gsi2": ("gsi2pk", "gsi2sk")}


def test_the_projection_multiplies_a_key_s_peak_by_the_workers_that_can_write_it_at_once() -> None:
    stats = key_stats(_record_pattern().writes)
    projected = {(k.index, k.key): k for k in project(stats, at_once=9, top=1)}
    # SCORE#US: peak 8, one writer (chunk-0); SCORE#JP: peak 4, two writers -> 8 at once: tie broken by units
    assert projected[("table", "SCORE#US")].projected_wcu_per_s == 8.0
    assert projected[("gsi2", "RANK#MATERIAL#dy")].projected_wcu_per_s == 14.0  # peak 7 x 2 writers
    assert list(projected) == [("gsi1", "RANK#IMPORTER#US"), ("gsi2", "RANK#MATERIAL#dy"), ("table", "SCORE#US")]
    one_at_a_time = {(k.index, k.key): k for k in project(stats, at_once=1, top=5)}
    assert one_at_a_time[("gsi2", "RANK#MATERIAL#dy")].projected_wcu_per_s == 7.0


def test_the_cost_doc_puts_each_measured_hot_key_beside_its_paper_row() -> None:
    from scripts.cost.hot_keys_report import hot_keys_section
    from scripts.cost.key_rate import HotKeys, PhaseKeys
    from scripts.cost.limits import Limit

    stats = key_stats(_record_pattern().writes)
    phase = PhaseKeys(
        name="nightly",
        what="the hand-made pattern",
        pairs=3,
        local_seconds=1.7,
        at_once=9,
        units_by_index={"table": 16},
        hottest=project(stats, at_once=9, top=1),
        named=named_keys(stats, 9, [("gsi2", "RANK#MATERIAL#ga"), ("table", "SIGNAL")]),
    )
    paper = [Limit("nightly: hottest GSI partition gsi2 (sample)", 1260.0, 1000, "WCU/s", "shard it")]
    text = hot_keys_section(HotKeys(measured="today", command="bench", phases=[phase]), paper)
    rows = {line.split(" | ")[2]: line for line in text.splitlines() if line.startswith("| nightly |")}
    assert "| 14 | 1% | 1,260 WCU/s (126%) |" in rows["`RANK#MATERIAL#dy`"]  # peak 7 x 2 writers
    assert rows["`RANK#MATERIAL#ga` (named)"].endswith("| - |")
    assert "`SIGNAL`" not in text  # named but never written: not shown
    assert "run `.venv/bin/python -m bench.run --only hot_keys`" in hot_keys_section(None, paper)
