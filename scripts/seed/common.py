"""What every part of the seed build shares: paths, file names, provenance texts, CSV reading, errors."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from shared.domain.errors import InvalidInputError
from shared.domain.models import DomainModel

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SOURCES_DIR = REPO_ROOT / "data" / "sources"
DEFAULT_SEED_DIR = REPO_ROOT / "data" / "seed"

GLOBAL_SUPPLY_CSV = "eu_crm_2023_global_supply_shares.csv"
EU_SOURCING_CSV = "eu_crm_2023_eu_sourcing_shares.csv"
GROUPINGS_CSV = "eu_crm_2023_material_groupings.csv"
WGI_CSV = "wgi_2022_normalised.csv"
SIGNALS_CSV = "china_export_controls_2023_2026.csv"
NON_CN_SIGNALS_CSV = "export_restrictions_non_cn_2019_2026.csv"
#: both timelines, in one signals.json (same columns)
SIGNAL_CSVS = (SIGNALS_CSV, NON_CN_SIGNALS_CSV)

MATERIALS_JSON = "materials.json"
GOVERNANCE_JSON = "governance.json"
DEPENDENCIES_JSON = "dependencies.json"
SIGNALS_JSON = "signals.json"
SEED_FILES = (MATERIALS_JSON, GOVERNANCE_JSON, DEPENDENCIES_JSON, SIGNALS_JSON)

EU_CRM_SOURCE = (
    "EU Critical Raw Materials study 2023, appendix tables, via the dataset extraction "
    "erikemilsson/EU-Critical-Raw-Materials-CRM-Reports-Datasets"
)
EU_CRM_LICENCE = "CC BY 4.0 (European Commission, EU CRM study 2023)"
WGI_SOURCE = (
    "World Bank Worldwide Governance Indicators 2022, mean of the six estimates rescaled to 0..1, "
    "via lukaszgajewski/pytradeshifts data/stability_index"
)
WGI_LICENCE = "CC BY 4.0 (World Bank WGI)"
USGS_LICENCE = "public domain (USGS Mineral Commodity Summaries 2025, US government work)"

#: Floats in the seed files are rounded so the output does not depend on float noise.
DECIMALS = 6


class SeedDataError(InvalidInputError):
    """The raw files break an assumption of this build (unknown name, duplicate row, bad share...)."""


def read_csv(path: Path) -> Iterator[dict[str, str]]:
    """Rows as dicts, skipping header rows repeated inside the file (the extraction concatenates pages)."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        for row in reader:
            if not row or row == header or not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise SeedDataError(f"{path.name}: row {row!r} has {len(row)} fields, expected {len(header)}")
            yield dict(zip(header, (cell.strip() for cell in row), strict=True))


def shares_json(countries: Mapping[str, tuple[float, float]]) -> list[dict[str, object]]:
    """country -> (share, t) as the seed files list it: largest share first (then by code), so a reader sees the
    concentration at a glance."""
    ordered = sorted(countries.items(), key=lambda kv: (-kv[1][0], kv[0]))
    return [{"country": c, "share": round(s, DECIMALS), "trade_restriction": t} for c, (s, t) in ordered]


def validated(model: type[DomainModel], item: Mapping[str, object]) -> dict[str, Any]:
    """Parse with the domain model (raises InvalidInputError) and return its canonical JSON form."""
    return model.parse(dict(item)).model_dump(mode="json")
