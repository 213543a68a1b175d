"""A row of the reference timeline, as the admin bulk load reads it (shared/domain/signal_rows.py)."""

from __future__ import annotations

import csv
from pathlib import Path

from shared.domain.signal_rows import alias_of, signal_fields_from_row

REFERENCE = Path(__file__).resolve().parents[2] / "data" / "sources" / "export_restrictions_non_cn_2019_2026.csv"


def test_bauxite_is_aluminium_at_the_extraction_stage_in_a_bulk_load_too() -> None:
    with REFERENCE.open(encoding="utf-8", newline="") as fh:
        row = next(r for r in csv.DictReader(fh) if r["id"] == "ID-2023-BAUXITE-ORE")
    signal_id, fields, version = signal_fields_from_row(row)
    assert signal_id == "ID-2023-BAUXITE-ORE"
    assert fields["materials"] == ["aluminium"]
    assert fields["stages"] == ["extraction"]
    assert version is None


def test_a_stage_given_in_the_row_wins_and_names_outside_the_aliases_pass_unchanged() -> None:
    row = {
        "id": "X-1",
        "announced": "2025-01-01",
        "issuer": "ID",
        "measure": "export_ban",
        "materials": "Bauxite;nickel",
        "targets": "ALL",
        "status": "in_force",
        "source": "https://example.org/x",
        "stages": "processing",
    }
    _, fields, _ = signal_fields_from_row(row)
    assert fields["materials"] == ["aluminium", "nickel"]
    assert fields["stages"] == ["processing"]
    assert alias_of("  BAUXITE ") == alias_of("bauxite")
    assert alias_of("nickel") is None
