"""The cost model's arithmetic on a tiny hand-checked case, the item-size rules, the price table, and the script
running end to end on the committed counts (no moto: the recount is tests/integration/test_cost_counts.py)."""

from __future__ import annotations

import io
import math
from contextlib import redirect_stdout
from typing import Any

import pytest

from scripts.cost.__main__ import main
from scripts.cost.item_size import item_size, read_units, write_units
from scripts.cost.measure import MEASURED_PATH, Measurements
from scripts.cost.model import Options, Size, chunk_plan, monthly_bill, nightly_chunk_counts, xray_traces
from scripts.cost.prices import Price, PriceTable, load_durations, load_prices


def committed() -> Measurements:
    return Measurements.model_validate_json(MEASURED_PATH.read_text())


def unit_prices() -> PriceTable:
    """Every price 1 USD per unit: a line's USD is its quantity."""
    real = load_prices()
    return PriceTable(prices={k: p.model_copy(update={"usd": 1.0, "unit": "per unit"}) for k, p in real.prices.items()})


TINY = Size(
    "tiny",
    importers=2,
    materials=3,
    tenants=1,
    portfolio_lines=10,
    api_calls_per_month=0,
    signals_per_day=0,
    mix={},
    chunk_pairs=4,
)


def tiny_measurements() -> Measurements:
    m = committed()
    sizes = m.sizes.model_copy(
        update={
            "score_item_write_units_mean": 2.0,
            "history_item_write_units_mean": 1.0,
            "unchanged_next_day_share": 0.75,
        }
    )
    return m.model_copy(update={"sizes": sizes})


def line(bill_lines: list[tuple[str, float]], what: str) -> float:
    return next(q for w, q in bill_lines if w.startswith(what))


def test_item_size_follows_the_developer_guide_rules() -> None:
    # names + values: "pk"(2) + "SCORE#JP"(8), "n"(1) + 12.5 -> 3 significant digits -> 2 bytes + 1,
    # "ss"(2) + "ab" + "c" (3), "m"(1) + map: 3 + ("k"(1) + "v"(1) + 1)
    item: dict[str, dict[str, Any]] = {
        "pk": {"S": "SCORE#JP"},
        "n": {"N": "12.5"},
        "ss": {"SS": ["ab", "c"]},
        "m": {"M": {"k": {"S": "v"}}},
    }
    assert item_size(item) == (2 + 8) + (1 + 3) + (2 + 3) + (1 + 3 + 3)
    assert write_units(1024) == 1 and write_units(1025) == 2 and write_units(1025, transactional=True) == 4
    assert read_units(4096) == 0.5 and read_units(4097, consistent=True) == 2


def test_chunks_are_cut_as_plan_chunks_cuts_them() -> None:
    assert chunk_plan(importers=2, materials=3, chunk_pairs=4) == [2, 1]
    assert chunk_plan(importers=168, materials=85, chunk_pairs=1000) == [5] * 17


def test_nightly_counts_on_the_tiny_case_by_hand() -> None:
    counts = nightly_chunk_counts(2, [2, 1])
    # chunk 1: 4 pairs, chunk 2: 2 pairs
    assert counts.calls == {"BatchGetItem": 2, "Query": (2 + 2) + (1 + 2), "TransactWriteItems": 4, "BatchWriteItem": 2}
    assert counts.items_written == {"transact_put": 4 + 1 + 2 + 1, "transact_update": 2, "batch_put": 6}
    assert counts.gsi_item_writes == 12


def test_monthly_bill_on_the_tiny_case_by_hand() -> None:
    m, prices, d = tiny_measurements(), unit_prices(), load_durations()
    lines = [(x.what, x.quantity) for x in monthly_bill(m, prices, d, TINY).lines]
    nights = 30
    # 6 pairs a night, 2 WRU per score item, x2 transactional
    assert line(lines, "nightly score writes") == 6 * 2 * 2 * nights
    # 2 GSIs x 6 items x 2 WRU, and a quarter of the pairs changed: their GSI sort key moves (delete + put)
    assert line(lines, "nightly GSI writes") == pytest.approx(2 * 6 * 2 * (1 + 0.25) * nights)
    assert line(lines, "nightly history rows") == 6 * 1 * nights
    # 2 chunks x (marker put + counter update), transactional, + the run item
    assert line(lines, "nightly run + chunk markers") == (2 * 4 + 1) * nights
    assert line(lines, "nightly schedule") == nights

    cut = [(x.what, x.quantity) for x in monthly_bill(m, prices, d, TINY, Options(True, True)).lines]
    assert line(cut, "nightly score writes") == pytest.approx(6 * 2 * 2 * 0.25 * nights)
    assert line(cut, "nightly history rows") == pytest.approx(6 * 0.25 * nights)
    assert line(cut, "nightly GSI writes") == pytest.approx(2 * 6 * 2 * (0.25 + 0.25) * nights)


def test_a_bill_is_its_quantities_times_the_table() -> None:
    m, d = committed(), load_durations()
    prices = load_prices()
    bill = monthly_bill(m, prices, d, TINY)
    history = next(x for x in bill.lines if x.what == "nightly history rows")
    assert history.usd == pytest.approx(history.quantity * 0.625 / 1e6)
    assert bill.total == pytest.approx(sum(x.usd for x in bill.lines))


def test_xray_default_sampling() -> None:
    month = 30 * 24 * 3600
    assert xray_traces(1000) == 1000  # fewer than one a second: all sampled
    assert xray_traces(2 * month) == pytest.approx(month + 0.05 * month)


def test_every_price_names_its_page_year_and_licence() -> None:
    table = load_prices()
    assert {"dynamodb_wru", "dynamodb_rru", "lambda_gb_second_arm64", "apigw_rest_requests", "waf_requests"} <= set(
        table.prices
    )
    for price in table.prices.values():
        assert isinstance(price, Price) and price.page.startswith("https://aws.amazon.com/")
        assert price.year and price.licence and price.checked
    assert table["lambda_requests"] == pytest.approx(0.2 / 1e6)


def test_make_cost_prints_every_size_from_the_committed_counts() -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["--no-measure", "--no-write"]) == 0
    text = out.getvalue()
    for heading in ("today's default", "10x materials", "1,000 tenants", "Scale limits", "what cuts them"):
        assert heading in text
    assert not math.isnan(monthly_bill(committed(), load_prices(), load_durations(), TINY).total)


def test_the_committed_doc_is_what_make_cost_writes_from_the_committed_counts() -> None:
    from scripts.cost.__main__ import DOC_PATH
    from scripts.cost.report import render

    expected = render(committed(), load_prices(), load_durations())
    assert DOC_PATH.read_text() == expected, "docs/cost-and-scale.md is stale: run `make cost`"
