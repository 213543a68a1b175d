"""A portfolio as a spreadsheet (shared/portfolio_rows.py) and its risk history per day (portfolio_days)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from shared.domain.errors import InvalidInputError
from shared.domain.models import Band
from shared.domain.portfolio import MAX_PORTFOLIO_ITEMS, ExposureLine, Portfolio, portfolio_days
from shared.portfolio_rows import (
    format_sourcing,
    parse_sourcing,
    portfolio_csv_rows,
    portfolio_request_from_csv,
    rows_named,
)

HEADER = "material,hs_code,importer,annual_spend,supplier_country,sourcing\r\n"


def test_rows_become_the_json_items_with_sourcing_parsed() -> None:
    text = HEADER + ",282200,DE,700,,CD:0.7;FI:0.3\r\n\r\ndysprosium,,jp,3,AU,\r\n"
    fields, version, rows = portfolio_request_from_csv(text, "plant", None, None)
    assert version is None and rows == [2, 4]  # the blank line 3 is skipped, row numbers stay the file's
    first, second = fields["items"]
    assert first["hs_code"] == "282200" and first["material"] is None
    assert [s["country"] for s in first["sourcing"]] == ["CD", "FI"]
    assert second["supplier_country"] == "AU" and second["annual_spend"] == 3.0


def test_errors_name_every_bad_row_and_column() -> None:
    text = HEADER + "cobalt,,DE,lots,,\r\ncobalt,,DE,1,,CD=0.5\r\ncobalt,,XX,1,,\r\ncobalt,,DE,1,,CD:0.5\r\n"
    with pytest.raises(InvalidInputError) as caught:
        portfolio_request_from_csv(text, "plant", None, None)
    fields = [d["field"] for d in caught.value.details]
    assert fields == ["row 2.annual_spend", "row 3.sourcing"]  # XX: the domain's check, in the service (row 4)
    assert "nothing was stored" in caught.value.message


def test_the_header_must_name_known_columns() -> None:
    with pytest.raises(InvalidInputError, match="unknown column"):
        portfolio_request_from_csv("material,importer,annual_spend,colour\r\n", "p", None, None)
    with pytest.raises(InvalidInputError, match="a material or hs_code column"):
        portfolio_request_from_csv("importer,annual_spend\r\nDE,1\r\n", "p", None, None)


def test_more_rows_than_a_portfolio_holds_is_refused() -> None:
    text = "material,importer,annual_spend\r\n" + "cobalt,DE,1\r\n" * (MAX_PORTFOLIO_ITEMS + 1)
    with pytest.raises(InvalidInputError, match=f"at most {MAX_PORTFOLIO_ITEMS}"):
        portfolio_request_from_csv(text, "p", None, None)


def test_unreadable_csv_is_a_422_not_a_crash() -> None:
    with pytest.raises(InvalidInputError, match="not a readable CSV"):
        portfolio_request_from_csv("material,importer,annual_spend\r\n" + "x" * 200_000 + ",DE,1\r\n", "p", None, None)


def test_service_errors_about_items_name_the_rows() -> None:
    error = InvalidInputError(
        "1 item(s) name an unknown material: items.1.material", details=[{"field": "items.1.material", "message": "x"}]
    )
    renamed = rows_named(error, [2, 4])
    assert renamed.details[0]["field"] == "row 4.material" and "row 4.material" in renamed.message


def test_sourcing_text_round_trips() -> None:
    for text in ("CD:0.7;FI:0.3", "extraction>CD:1 | processing>FI:0.3;CN:0.2"):
        assert format_sourcing(parse_sourcing(text)) == text
    assert parse_sourcing("") is None


def test_get_rows_go_back_into_put() -> None:
    portfolio = Portfolio.parse(
        {
            "tenant": "t",
            "id": "p",
            "name": "n",
            "updated_at": datetime(2026, 5, 1, tzinfo=UTC),
            "items": [
                {
                    "hs_code": "282200",
                    "importer": "DE",
                    "annual_spend": 5.0,
                    "sourcing": [{"country": "CD", "share": 1.0}],
                }
            ],
        }
    )
    rows = portfolio_csv_rows(portfolio)
    header = ",".join(rows[0])
    text = header + "\r\n" + ",".join(str(v) for v in rows[0].values()) + "\r\n"
    fields, _, _ = portfolio_request_from_csv(text, "n", None, None)
    again = Portfolio.parse({**fields, "tenant": "t", "id": "p", "updated_at": portfolio.updated_at})
    assert again.items == portfolio.items


def line(material: str, spend: float) -> ExposureLine:
    return ExposureLine(0, material, "DE", spend, None, None, None)


def test_history_is_spend_weighted_and_max_per_day_carrying_the_last_score() -> None:
    lines = [line("cobalt", 300.0), line("copper", 100.0)]
    history = {
        ("DE", "cobalt"): [(datetime(2026, 5, 1, 2, tzinfo=UTC), 80.0), (datetime(2026, 5, 3, 2, tzinfo=UTC), 60.0)],
        ("DE", "copper"): [(datetime(2026, 5, 2, 2, tzinfo=UTC), 20.0)],
    }
    days = portfolio_days(lines, history, date(2026, 4, 30), date(2026, 5, 3))
    assert [d.day for d in days] == [date(2026, 5, 1), date(2026, 5, 2), date(2026, 5, 3)]  # 4-30: nothing scored
    first, second, third = days
    assert (first.spend_weighted_score, first.max_score, first.scored_lines) == (80.0, 80.0, 1)
    assert (second.spend_weighted_score, second.max_score, second.band) == (65.0, 80.0, Band.HIGH)
    assert (third.spend_weighted_score, third.max_score) == (50.0, 60.0)


def test_renaming_rows_keeps_the_error_class() -> None:
    from shared.domain.errors import TooLargeError

    renamed = rows_named(TooLargeError("too large", field="items"), [2])
    assert isinstance(renamed, TooLargeError)
