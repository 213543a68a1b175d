"""The rows of an admin bulk signal load (PUT /v1/signals), read from a CSV or JSON body.

Two formats, one validation: a row of the reference file (../shared/reference/export_restrictions_*.csv columns,
CSV or a JSON object of the same cells) is mapped by `shared.domain.signal_rows`, then every row, whichever
format, is validated as a PUT /v1/signals/{id} body (SignalUpsertRequest), so a bulk row and a single PUT accept
exactly the same signals.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from shared.domain.errors import InvalidInputError, TooLargeError
from shared.domain.signal_rows import (
    COLUMN_OF_FIELD,
    OPTIONAL_COLUMNS,
    REFERENCE_COLUMNS,
    REQUIRED_COLUMNS,
    RowError,
    signal_fields_from_row,
)
from shared.schemas_admin import SignalUpsertRequest
from shared.services.signal_loads import MAX_LOAD_ROWS, SignalRow

#: keys only the reference format has: an object with one of them (or with materials as text) is a reference row
REFERENCE_ONLY_KEYS = frozenset({"instrument", "status_until"})
ID_FIELD_ERROR = "1-100 ASCII letters, digits or _.:- (starting with a letter or digit)"


def _validated(row_number: int, signal_id: Any, body: Mapping[str, Any], column_of: Mapping[str, str]) -> SignalRow:
    """The row's signal fields, validated as a single PUT's body; errors name the row's own columns."""
    errors: list[dict[str, object]] = []
    if not isinstance(signal_id, str) or not signal_id:
        errors.append({"field": "id", "message": "required: the signal id (text)"})
        signal_id = None
    try:
        request = SignalUpsertRequest.model_validate(body)
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"]) or "row"
            head, _, rest = field.partition(".")
            column = column_of.get(head, head)
            errors.append({"field": f"{column}.{rest}" if rest else column, "message": error["msg"]})
        return SignalRow(row_number, signal_id, None, errors=errors, column_of=column_of)
    if errors:
        return SignalRow(row_number, signal_id, None, errors=errors, column_of=column_of)
    fields = request.model_dump(exclude={"version"})
    return SignalRow(row_number, signal_id, fields, expected_version=request.version, column_of=column_of)


def _reference_row(row_number: int, cells: Mapping[str, str]) -> SignalRow:
    try:
        signal_id, fields, version = signal_fields_from_row(cells)
    except RowError as exc:
        raw_id = cells.get("id") or None
        return SignalRow(row_number, raw_id, None, errors=[{"field": exc.column, "message": exc.message}])
    if version is not None:
        fields["version"] = version
    return _validated(row_number, signal_id, fields, COLUMN_OF_FIELD)


def _cell(value: Any) -> str:
    """A JSON value as a reference cell: null -> empty, true/false -> text, lists -> ;-separated."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(_cell(v) for v in value)
    return str(value)


def _json_row(row_number: int, value: Any) -> SignalRow:
    if not isinstance(value, dict):
        return SignalRow(row_number, None, None, errors=[{"field": "row", "message": "must be a JSON object"}])
    if REFERENCE_ONLY_KEYS & value.keys() or isinstance(value.get("materials"), str):
        if any(isinstance(v, dict) for v in value.values()):
            message = "a reference-format row holds text cells, not objects"
            return SignalRow(row_number, None, None, errors=[{"field": "row", "message": message}])
        return _reference_row(row_number, {str(k): _cell(v) for k, v in value.items()})
    body = {k: v for k, v in value.items() if k != "id"}
    return _validated(row_number, value.get("id"), body, {})


def rows_from_json(value: Any) -> list[SignalRow]:
    if not isinstance(value, list):
        raise InvalidInputError("the body must be a JSON list of signals (one object per row)", field="body")
    _check_count(len(value))
    return [_json_row(i, item) for i, item in enumerate(value, start=1)]


def rows_from_csv(text: str) -> list[SignalRow]:
    """A CSV with a header row of reference columns (RFC 4180 quoting; a UTF-8 BOM is ignored)."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise InvalidInputError("empty CSV: a header row of column names is required", field="body")
        header = [h.strip() for h in header]
        known = (*REFERENCE_COLUMNS, *OPTIONAL_COLUMNS)
        if unknown := [h for h in header if h not in known]:
            raise InvalidInputError(
                f"unknown CSV column {unknown[0]!r} (expected {', '.join(known)})", field=unknown[0] or "header"
            )
        if twice := sorted({h for h in header if header.count(h) > 1}):
            raise InvalidInputError(f"CSV column {twice[0]!r} appears twice", field=twice[0])
        if missing := [c for c in REQUIRED_COLUMNS if c not in header]:
            raise InvalidInputError(f"CSV column {missing[0]!r} is missing", field=missing[0])
        rows: list[SignalRow] = []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue  # a blank line
            number = len(rows) + 1
            _check_count(number)
            if len(cells) > len(header):
                message = f"{len(cells)} cells for {len(header)} columns"
                rows.append(SignalRow(number, None, None, errors=[{"field": "row", "message": message}]))
                continue
            rows.append(_reference_row(number, dict(zip(header, [*cells, *[""] * len(header)], strict=False))))
    except csv.Error as exc:
        raise InvalidInputError(f"malformed CSV at line {reader.line_num}: {exc}", field="body") from None
    return rows


def _check_count(rows: int) -> None:
    if rows > MAX_LOAD_ROWS:
        raise TooLargeError(f"more than {MAX_LOAD_ROWS} rows: split the load", field="body")


def parse_rows(body: str | None, content_type: str, parse_json: Any = json.loads) -> list[SignalRow]:
    """The body's rows; `content_type` is text/csv or JSON (the caller has refused any other)."""
    if not body:
        raise InvalidInputError("empty body: send a CSV (text/csv) or a JSON list of signals", field="body")
    if content_type.split(";", 1)[0].strip().lower() == "text/csv":
        return rows_from_csv(body)
    return rows_from_json(parse_json(body))  # a json.JSONDecodeError is the caller's to answer
