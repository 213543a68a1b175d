"""A portfolio as a spreadsheet: PUT /v1/portfolios/{id} with a text/csv body, GET with Accept: text/csv.

One line per row, the JSON item fields as columns (`material`, `hs_code`, `importer`, `annual_spend`, `currency`,
`part`, `supplier`, `supplier_country`, `stage`, `sourcing`); `sourcing` as `country:share;country:share` (for the
stage the line buys), or per stage as `extraction>CD:0.7;AU:0.3 | processing>FI:1`. Every row is validated as a
JSON item; errors name the row (the header is row 1) and the column. Nothing is stored unless every row is valid.
The portfolio's name and currency are query parameters of the PUT (a CSV has no room for them).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from pydantic import ValidationError

from shared.domain.errors import InvalidInputError
from shared.domain.portfolio import MAX_PORTFOLIO_ITEMS, Portfolio
from shared.schemas_portfolios import PortfolioItemRequest, PortfolioUpsertRequest

#: the columns of a portfolio spreadsheet, in the order GET writes them (a PUT may have any subset, any order)
PORTFOLIO_CSV_COLUMNS = (
    "material", "hs_code", "importer", "annual_spend", "currency", "part", "supplier", "supplier_country", "stage",
    "sourcing",
)  # fmt: skip
_REQUIRED = ("importer", "annual_spend")
_STAGE_SEPARATOR = "|"
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _row_error(row: int, column: str, message: str) -> dict[str, object]:
    return {"field": f"row {row}.{column}", "message": message}


def _shares(text: str) -> list[dict[str, Any]]:
    shares: list[dict[str, Any]] = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        country, sep, share = part.partition(":")
        if not sep or not _NUMBER.match(share.strip()):
            raise ValueError(f"{part!r}: expected country:share (e.g. CD:0.7), shares as numbers 0..1")
        shares.append({"country": country.strip(), "share": float(share)})
    return shares


def parse_sourcing(text: str) -> list[dict[str, Any]] | dict[str, list[dict[str, Any]]] | None:
    """'CD:0.7;FI:0.3' -> a list; 'extraction>CD:1 | processing>FI:0.3' -> per stage; '' -> None."""
    text = text.strip()
    if not text:
        return None
    if ">" not in text:
        return _shares(text)
    by_stage: dict[str, list[dict[str, Any]]] = {}
    for chunk in (c.strip() for c in text.split(_STAGE_SEPARATOR)):
        stage, sep, shares = chunk.partition(">")
        if not sep:
            raise ValueError(f"{chunk!r}: expected stage>country:share;... when a stage is named")
        by_stage[stage.strip()] = _shares(shares)
    return by_stage


def format_sourcing(value: Any) -> str:
    if not value:
        return ""
    if isinstance(value, Mapping):
        return f" {_STAGE_SEPARATOR} ".join(f"{stage}>{format_sourcing(shares)}" for stage, shares in value.items())
    return ";".join(f"{s['country']}:{s['share']:g}" for s in value)


def _column_of(loc: Sequence[int | str]) -> str:
    head = str(loc[0]) if loc else "row"
    return head if head in PORTFOLIO_CSV_COLUMNS else (head if head != "" else "row")


def portfolio_request_from_csv(
    text: str, name: str, currency: str | None, version: int | None
) -> tuple[dict[str, Any], int | None, list[int]]:
    """The PUT body's fields, the version it names and each item's row number, from a spreadsheet;
    InvalidInputError naming every bad row and column."""
    try:
        return _from_csv(text, name, currency, version)
    except csv.Error as exc:  # NUL bytes, a cell over the csv module's limit, broken quoting
        raise InvalidInputError(f"not a readable CSV: {exc}", field="body") from None


def _from_csv(
    text: str, name: str, currency: str | None, version: int | None
) -> tuple[dict[str, Any], int | None, list[int]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    header = [h.strip() for h in reader.fieldnames or ()]
    errors: list[dict[str, object]] = []
    unknown = [h for h in header if h not in PORTFOLIO_CSV_COLUMNS]
    missing = [c for c in _REQUIRED if c not in header]
    if not header or unknown or missing or ("material" not in header and "hs_code" not in header):
        problems = [f"unknown column(s) {', '.join(unknown)}"] if unknown else []
        problems += [f"missing column(s) {', '.join(missing)}"] if missing else []
        if "material" not in header and "hs_code" not in header:
            problems.append("a material or hs_code column is required")
        raise InvalidInputError(
            f"row 1 (header): {'; '.join(problems)} (columns: {', '.join(PORTFOLIO_CSV_COLUMNS)})", field="row 1"
        )
    items: list[dict[str, Any]] = []
    row_numbers: list[int] = []
    for raw in reader:
        number = reader.line_num  # the file's line (blank lines count; a quoted newline: its last line)
        if len(items) >= MAX_PORTFOLIO_ITEMS:
            raise InvalidInputError(
                f"more than {MAX_PORTFOLIO_ITEMS} rows: a portfolio has at most {MAX_PORTFOLIO_ITEMS} items",
                field="items",
            )
        if None in raw:  # more cells than columns
            errors.append(_row_error(number, "row", f"{len(header) + len(raw[None])} cells, header has {len(header)}"))
            continue
        cells = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(cells.values()):
            continue  # a blank line
        fields: dict[str, Any] = {k: v for k, v in cells.items() if v != "" and k not in ("annual_spend", "sourcing")}
        spend = cells.get("annual_spend", "")
        if not _NUMBER.match(spend):
            errors.append(_row_error(number, "annual_spend", f"expected a number, got {spend!r}"))
            continue
        fields["annual_spend"] = float(spend)
        try:
            sourcing = parse_sourcing(cells.get("sourcing", ""))
        except ValueError as exc:
            errors.append(_row_error(number, "sourcing", str(exc)))
            continue
        if sourcing is not None:
            fields["sourcing"] = sourcing
        try:
            PortfolioItemRequest.model_validate(fields)
        except ValidationError as exc:
            errors += [_row_error(number, _column_of(e["loc"]), e["msg"]) for e in exc.errors()]
            continue
        items.append(fields)
        row_numbers.append(number)
    if errors:
        first = errors[0]
        raise InvalidInputError(
            f"{len(errors)} error(s) in the spreadsheet; nothing was stored. {first['field']}: {first['message']}",
            field=str(first["field"]),
            details=errors,
        )
    if currency is None:  # the rows' own currency, when they name one
        currency = next((item["currency"] for item in items if item.get("currency")), None)
    body: dict[str, Any] = {"name": name, "items": items, "version": version}
    if currency is not None:
        body["currency"] = currency
    try:
        request = PortfolioUpsertRequest.model_validate(body)
    except ValidationError as exc:
        details: list[dict[str, object]] = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()
        ]
        raise InvalidInputError(
            f"invalid portfolio: {details[0]['field']}: {details[0]['message']}", details=details
        ) from None
    return request.model_dump(exclude={"version"}), request.version, row_numbers


_ITEM = re.compile(r"^items\.(\d+)\.?(.*)$")


def rows_named(error: InvalidInputError, row_numbers: Sequence[int]) -> InvalidInputError:
    """A service error about items.N.<field> of a spreadsheet upload, with the row and column named instead."""

    def row(index: str) -> str:
        i = int(index)
        return f"row {row_numbers[i]}" if i < len(row_numbers) else f"item {i}"

    def rename(field: object) -> object:
        match = _ITEM.match(str(field)) if field is not None else None
        if match is None:
            return field
        return f"{row(match.group(1))}.{match.group(2) or 'row'}"

    details = [{**d, "field": rename(d.get("field"))} for d in error.details]
    message = _IN_TEXT.sub(lambda m: f"{row(m.group(1))}.", error.message)
    # the same class (a TooLargeError stays a 413)
    return type(error)(message, field=str(rename(error.field)) if error.field else None, details=details)


_IN_TEXT = re.compile(r"items\.(\d+)\.")


def portfolio_csv_rows(portfolio: Portfolio) -> list[dict[str, Any]]:
    """GET with Accept: text/csv: the items as PUT takes them back (round trip)."""
    rows = []
    for item in portfolio.items:
        fields = item.model_dump(mode="json", exclude_none=True)
        fields["sourcing"] = format_sourcing(fields.get("sourcing"))
        rows.append(fields)
    return rows


#: the PUT's request body in the OpenAPI: the JSON model (its parts are components already) or a spreadsheet
PORTFOLIO_REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "description": f"application/json: the portfolio. text/csv: one item per row (at most {MAX_PORTFOLIO_ITEMS}), "
    f"columns {', '.join(PORTFOLIO_CSV_COLUMNS)} (importer, annual_spend and material or hs_code required); "
    "sourcing as country:share;country:share, or per stage as extraction>CD:0.7 | processing>FI:1; the name, "
    "currency and version come from the query (name, currency) and If-Match. Errors name the row and column.",
    "content": {
        "application/json": {
            "schema": {
                k: v
                for k, v in PortfolioUpsertRequest.model_json_schema(
                    ref_template="#/components/schemas/{model}"
                ).items()
                if k != "$defs"
            }
        },
        "text/csv": {"schema": {"type": "string", "maxLength": 1_048_576}},
    },
}


def json_portfolio_request(body: str | None, parse: Any) -> PortfolioUpsertRequest:
    """The JSON body as Powertools would validate it (the same 422s: body missing, bad JSON, a field's error)."""
    if not body:
        raise RequestValidationError([{"type": "missing", "loc": ("body",), "msg": "Field required"}])
    try:
        data = parse(body)
    except json.JSONDecodeError as exc:
        raise RequestValidationError(
            [{"type": "json_invalid", "loc": ("body", exc.pos), "msg": "JSON decode error", "ctx": {"error": exc.msg}}]
        ) from None
    try:
        return PortfolioUpsertRequest.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False, include_context=False)]
        ) from None
