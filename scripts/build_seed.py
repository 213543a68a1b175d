"""Build the seed datasets (data/seed/*.json) from the raw public files in data/sources/.

Run `python scripts/build_seed.py` (or `make data`). It reads only data/sources/, so a clean clone can
rebuild the seed files, and its output is deterministic so a test can compare it with the committed files.
Every item is validated with its domain model before anything is written.
"""

from __future__ import annotations

import csv
import json
import re
import statistics
import sys
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

# Running as `python scripts/build_seed.py` puts scripts/ (not the repo root) on sys.path.
REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from scripts.seed_trade import (  # noqa: E402
    BACI_LICENCE,
    BACI_SOURCE,
    PRODUCTION_CSV,
    WMD_LICENCE,
    WMD_SOURCE,
    TradeDependencies,
    build_trade_dependencies,
    eu_agreement,
    recycling_rates,
)
from shared.domain.countries import EU, EU_MEMBER_STATES  # noqa: E402
from shared.domain.errors import InvalidInputError  # noqa: E402
from shared.domain.models import (  # noqa: E402
    SHARE_SUM_TOLERANCE,
    CountryGovernance,
    DomainModel,
    ImporterDependency,
    MaterialProfile,
    Measure,
    PolicySignal,
    SignalStatus,
    Stage,
)
from shared.domain.signal_rows import (  # noqa: E402
    LOW_CONFIDENCE,
    QUOTA_WITH_VOLUMES_SEVERITY,
    SEVERITY_BY_MEASURE,
    SIGNAL_MATERIAL_ALIASES,
    alias_of,
    default_confidence,
)

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

#: "<0.1%" means "below the table's resolution": half of the bound keeps the country without overstating it.
BELOW_BOUND_FACTOR = 0.5

#: Floats in the seed files are rounded so the output does not depend on float noise.
DECIMALS = 6

STAGE_CODES: Mapping[str, Stage] = {"E": Stage.EXTRACTION, "P": Stage.PROCESSING}

#: The one table from the country spellings of the EU CRM tables and the WGI file to ISO 3166-1 alpha-2.
#: Kosovo uses XK (World Bank/EU user-assigned code). Names mapped by judgement are marked.
COUNTRY_NAME_TO_ISO2: Mapping[str, str] = {
    "Afghanistan": "AF",
    "Albania": "AL",
    "Algeria": "DZ",
    "American Samoa": "AS",
    "Andorra": "AD",
    "Angola": "AO",
    "Anguilla": "AI",
    "Antigua and Barbuda": "AG",
    "Argentina": "AR",
    "Armenia": "AM",
    "Aruba": "AW",
    "Australia": "AU",
    "Austria": "AT",
    "Azerbaijan": "AZ",
    "Bahamas, The": "BS",
    "Bahrain": "BH",
    "Bangladesh": "BD",
    "Barbados": "BB",
    "Belarus": "BY",
    "Belgium": "BE",
    "Belize": "BZ",
    "Benin": "BJ",
    "Bermuda": "BM",
    "Bhutan": "BT",
    "Bolivia": "BO",
    "Bosnia and Herzegovina": "BA",
    "Botswana": "BW",
    "Brasil": "BR",  # Portuguese spelling (EU sourcing table)
    "Brasilia": "BR",  # the capital's name used for the country (global table, roundwood): judgement
    "Brazil": "BR",
    "Brunei Darussalam": "BN",
    "Bulgaria": "BG",
    "Burkina Faso": "BF",
    "Burundi": "BI",
    "Cambodia": "KH",
    "Cameroon": "CM",
    "Canada": "CA",
    "Cape Verde": "CV",
    "Cayman Islands": "KY",
    "Central African Republic": "CF",
    "Chad": "TD",
    "Chile": "CL",
    "China": "CN",
    "Colombia": "CO",
    "Comoros": "KM",
    "Congo": "CG",  # Republic of the Congo; the DR Congo is spelled "Congo, D.R." in the same tables
    "Congo, D.R.": "CD",
    "Congo, Dem. Rep.": "CD",
    "Congo, Rep.": "CG",
    "Cook Islands": "CK",
    "Costa Rica": "CR",
    "Cote d'Ivoire": "CI",
    "Côte d'Ivoire": "CI",
    "Croatia": "HR",
    "Cuba": "CU",
    "Cyprus": "CY",
    "Czech Republic": "CZ",
    "Czechia": "CZ",
    "Denmark": "DK",
    "Djibouti": "DJ",
    "Dominica": "DM",
    "Dominican Republic": "DO",
    "Ecuador": "EC",
    "Egypt": "EG",
    "Egypt, Arab Rep.": "EG",
    "El Salvador": "SV",
    "Equatorial Guinea": "GQ",
    "Eritrea": "ER",
    "Estonia": "EE",
    "Eswatini": "SZ",
    "Ethiopia": "ET",
    "Fiji": "FJ",
    "Finland": "FI",
    "France": "FR",
    "French Guiana": "GF",
    "Gabon": "GA",
    "Gambia, The": "GM",
    "Georgia": "GE",
    "Germany": "DE",
    "Ghana": "GH",
    "Greece": "GR",
    "Greenland": "GL",
    "Grenada": "GD",
    "Guam": "GU",
    "Guatemala": "GT",
    "Guinea": "GN",
    "Guinea-Bissau": "GW",
    "Guyana": "GY",
    "Haiti": "HT",
    "Honduras": "HN",
    "Hong Kong": "HK",
    "Hungary": "HU",
    "Iceland": "IS",
    "India": "IN",
    "Indonesia": "ID",
    "Iran": "IR",
    "Iran, Islamic Rep.": "IR",
    "Iraq": "IQ",
    "Ireland": "IE",
    "Israel": "IL",
    "Italy": "IT",
    "Jamaica": "JM",
    "Japan": "JP",
    "Jersey, Channel Islands": "JE",
    "Jordan": "JO",
    "Kazakhstan": "KZ",
    "Kenya": "KE",
    "Kiribati": "KI",
    "Korea, Dem. Rep.": "KP",
    "Korea, North": "KP",
    "Korea, Rep.": "KR",
    "Korea, South": "KR",
    "Kosovo": "XK",
    "Kuwait": "KW",
    "Kyrgyz Republic": "KG",
    "Kyrgyzstan": "KG",
    "Lao PDR": "LA",
    "Laos": "LA",
    "Latvia": "LV",
    "Lebanon": "LB",
    "Lesotho": "LS",
    "Libanon": "LB",  # German/Dutch spelling of Lebanon (EU sourcing table)
    "Liberia": "LR",
    "Libya": "LY",
    "Liechtenstein": "LI",
    "Lithuania": "LT",
    "Luxembourg": "LU",
    "Macao SAR, China": "MO",
    "Madagascar": "MG",
    "Malawi": "MW",
    "Malaysia": "MY",
    "Maldives": "MV",
    "Mali": "ML",
    "Malta": "MT",
    "Marshall Islands": "MH",
    "Martinique": "MQ",
    "Mauritania": "MR",
    "Mauritius": "MU",
    "Mexico": "MX",
    "Micronesia, Fed. Sts.": "FM",
    "Moldova": "MD",
    "Monaco": "MC",
    "Mongolia": "MN",
    "Montenegro": "ME",
    "Morocco": "MA",
    "Mozambique": "MZ",
    "Myanmar": "MM",
    "Namibia": "NA",
    "Nauru": "NR",
    "Nepal": "NP",
    "Netherlands": "NL",
    "New Zealand": "NZ",
    "Nicaragua": "NI",
    "Niger": "NE",
    "Nigeria": "NG",
    "Niue": "NU",
    "North Macedonia": "MK",
    "Norway": "NO",
    "Oman": "OM",
    "Pakistan": "PK",
    "Palau": "PW",
    "Panama": "PA",
    "Papua New Guinea": "PG",
    "Paraguay": "PY",
    "Peru": "PE",
    "Philippines": "PH",
    "Poland": "PL",
    "Portugal": "PT",
    "Puerto Rico": "PR",
    "Qatar": "QA",
    "Romania": "RO",
    "Russia": "RU",
    "Russian Federation": "RU",
    "Rwanda": "RW",
    "Réunion": "RE",
    "Samoa": "WS",
    "San Marino": "SM",
    "Saudi Arabia": "SA",
    "Senegal": "SN",
    "Serbia": "RS",
    "Seychelles": "SC",
    "Sierra Leone": "SL",
    "Singapore": "SG",
    "Slovak Republic": "SK",
    "Slovakia": "SK",
    "Slovenia": "SI",
    "Solomon Islands": "SB",
    "Somalia": "SO",
    "South Africa": "ZA",
    "South Korea": "KR",
    "South Sudan": "SS",
    "Spain": "ES",
    "Sri Lanka": "LK",
    "St. Kitts and Nevis": "KN",
    "St. Lucia": "LC",
    "St. Vincent and the Grenadines": "VC",
    "Sudan": "SD",
    "Surinam": "SR",
    "Suriname": "SR",
    "Sweden": "SE",
    "Switzerland": "CH",
    "Syria": "SY",
    "Syrian Arab Republic": "SY",
    "São Tomé and Principe": "ST",
    "Taiwan": "TW",
    "Tajikistan": "TJ",
    "Tanzania": "TZ",
    "Thailand": "TH",
    "Timor-Leste": "TL",
    "Togo": "TG",
    "Tonga": "TO",
    "Trinidad and Tobago": "TT",
    "Tunisia": "TN",
    "Turkmenistan": "TM",
    "Turkyie": "TR",  # misspelling of Türkiye (global table, roundwood)
    "Tuvalu": "TV",
    "Türkiye": "TR",
    "Uganda": "UG",
    "Ukraine": "UA",
    "United Arab Emirates": "AE",
    "United Kingdom": "GB",
    "United States": "US",
    "Uruguay": "UY",
    "Uzbekistan": "UZ",
    "Vanuatu": "VU",
    "Venezuela": "VE",
    "Venezuela, RB": "VE",
    "Vietnam": "VN",
    "Virgin Islands (U.S.)": "VI",
    "West Bank and Gaza": "PS",
    "Yemen": "YE",
    "Yemen, Rep.": "YE",
    "Zambia": "ZM",
    "Zimbabwe": "ZW",
}

#: Spellings whose id is not simply the lower_snake_case of the name (typos and plurals in the files).
MATERIAL_NAME_ALIASES: Mapping[str, str] = {
    "barytes": "baryte",
    "borates": "borate",
    "flourspar": "fluorspar",
    "kaolin clay": "kaolin",
    "krupton": "krypton",
    "phosphorous": "phosphorus",
    "titanium ores": "titanium",  # EU sourcing table: the extraction stage of titanium
    "zenon": "xenon",
}

#: Materials of the supply table that the groupings file does not list (group chosen by judgement).
GROUPS_NOT_IN_FILE: Mapping[str, tuple[str, ...]] = {"iron_ore": ("iron_and_ferro_alloy_metals",)}

#: EU sourcing rows that describe a group rather than one material: applied to every material of the group.
EU_GROUP_ROWS: Mapping[str, str] = {"heavy rare earths elements": "hree"}

#: Known defects of the raw files, corrected here (the raw files stay verbatim):
#: (file, material, stage, country) -> (raw value, corrected value, why).
SHARE_CORRECTIONS: Mapping[tuple[str, str, str, str], tuple[str, str, str]] = {
    (EU_SOURCING_CSV, "Silicon metal", "P", "Germany"): (
        "6",
        "6%",
        "the only share without '%'; read as 6% (the stage then sums to 96%, like its neighbours)",
    ),
}

_E = (Stage.EXTRACTION,)
#: The stages each row of the non-Chinese timeline covers, read by judgement from its instrument text (no text
#: parsing): ore, raw and concentrate bans are the extraction stage (the EU data's extraction stage is mining up to
#: concentrates; with trade data, ore codes are the extraction stage); () = every stage (the row names no form).
#: Every row of that file must be listed here; the Chinese rows cover every stage.
SIGNAL_STAGES: Mapping[str, tuple[tuple[Stage, ...], str]] = {
    "ID-2020-NICKEL-ORE": (_E, "nickel ore only; processed nickel (NPI, ferronickel) stays exportable"),
    "ID-2023-BAUXITE-ORE": (_E, "bauxite ore only (bauxite is aluminium's extraction stage)"),
    "ID-2025-COPPER-CONC": (_E, "copper concentrate only; refined copper stays exportable"),
    "CD-2025-COBALT-SUSPENSION": ((), "all cobalt exports (hydroxide and refined)"),
    "CD-2025-COBALT-QUOTA": ((), "all cobalt exports"),
    "ZW-2022-LITHIUM-ORE": (_E, "lithium-bearing ore only; concentrates exempt (still mining-stage products)"),
    "ZW-2023-BASE-ORES": (_E, "unbeneficiated base-mineral ores only; any in-country processing exempts"),
    "ZW-2026-RAW-MINERALS": (_E, "raw minerals and lithium concentrates: the mining stage"),
    "MY-2024-REE-RAW": (_E, "raw rare earths only; processed REE stays exportable"),
    "NA-2023-CRIT-MIN-RAW": (_E, "unprocessed ore only"),
    "GA-2029-MANGANESE-RAW": (_E, "raw manganese ore only"),
    "VN-2026-RE-ORE": (_E, "raw rare-earth minerals (the explicit ban); refined exports only indirectly restricted"),
    "MM-2024-KACHIN-RE": (_E, "the mining belt and its concentrate exports"),
    "IN-2025-IREL-JP": ((), "the report names rare earths (mainly neodymium) without their form"),
    "GH-2023-LITHIUM-RAW": (_E, "lithium in its raw state only"),
}

#: Quota volumes (tonnes a year): row id -> (quota, World Mining Data commodity and country whose mean production
#: over the file's years is the reference volume). The DR Congo refines almost none of its cobalt, so its mine
#: output (Co content, the quota's unit) stands for its exports; the trade data counts gross weight of hydroxide.
QUOTA_VOLUMES: Mapping[str, tuple[float, tuple[str, str]]] = {
    "CD-2025-COBALT-QUOTA": (96_600.0, ("Cobalt", "CD")),  # 96,600 t a year for 2026 and 2027
}

#: Reported disruptions that are not state measures (the issuer is still the country of supply).
NON_STATE_SIGNALS = frozenset({"MM-2024-KACHIN-RE"})

#: Signal material placeholder for "everything on the issuer's dual-use control list".
ALL_DUAL_USE = "ALL_DUAL_USE"
DUAL_USE_SOURCE_MEASURES = frozenset({"licensing", "export_ban"})

BAYAN_OBO_SITE: Mapping[str, object] = {
    "name": "Bayan Obo",
    "country": "CN",
    "stage": "extraction",
    "share": 0.48,
    "source": (
        "Estimate from China Northern Rare Earth's 70.1% share of the H1-2024 mining quota and China's 69.2% "
        "of 2024 world mine output (USGS MCS 2025; rare_earths_facts.md [D])"
    ),
}

# Importer facts for rare earths (rare_earths_facts.md, "Importer dependency").
JP_IMPORT_RELIANCE = 1.0
JP_CN_SHARE_HREE = 1.0
JP_CN_SHARE_OTHER_REE = 0.70
US_IMPORT_RELIANCE = 0.80
US_PROCESSING_SOURCES: Mapping[str, float] = {"CN": 0.70, "MY": 0.13, "JP": 0.06, "EE": 0.05}


class SeedDataError(InvalidInputError):
    """The raw files break an assumption of this script (unknown name, duplicate row, bad share...)."""


class UnmappedCountryError(SeedDataError):
    """A country spelling that COUNTRY_NAME_TO_ISO2 does not cover (never dropped silently)."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"unmapped country name {name!r}: add it to COUNTRY_NAME_TO_ISO2 in scripts/build_seed.py",
            field="country",
        )
        self.name = name


@dataclass(frozen=True)
class ShareRow:
    """One row of an EU CRM share table, already mapped to ids."""

    material: str
    stage: Stage
    country: str
    share: float
    trade_restriction: float
    raw_material: str
    #: the table gave only an upper bound ("<0.1%")
    below_bound: bool = False


def country_to_iso2(name: str) -> str:
    """Map a country spelling from the raw files to ISO 3166-1 alpha-2 (XK for Kosovo)."""
    try:
        return COUNTRY_NAME_TO_ISO2[name.strip()]
    except KeyError:
        raise UnmappedCountryError(name) from None


_SHARE_PATTERN = re.compile(r"^(<)?\s*(\d+(?:\.\d+)?)\s*%$")


def parse_share(text: str) -> float:
    """'68.3%' -> 0.683; '<0.1%' -> 0.0005 (half of the bound). Anything else is an error."""
    match = _SHARE_PATTERN.match(text.strip())
    if match is None:
        raise SeedDataError(f"unparseable share {text!r} (expected e.g. '68.3%' or '<0.1%')", field="share")
    value = float(match.group(2)) / 100.0
    if match.group(1):
        value *= BELOW_BOUND_FACTOR
    return round(value, DECIMALS)


def material_id(name: str) -> str:
    """Material name from any of the files -> lower_snake_case id."""
    key = " ".join(name.strip().lower().split())
    if key in MATERIAL_NAME_ALIASES:
        return MATERIAL_NAME_ALIASES[key]
    return re.sub(r"[^a-z0-9]+", "_", key).strip("_")


def material_name(mid: str) -> str:
    return mid.replace("_", " ").capitalize()


def group_id(label: str) -> str:
    """Grouping-file label -> group id; 'REE' is the `rare_earths` group of DESIGN.md."""
    gid = re.sub(r"[^a-z0-9]+", "_", label.strip().lower()).strip("_")
    return "rare_earths" if gid == "ree" else gid


def _read_csv(path: Path) -> Iterator[dict[str, str]]:
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


def read_share_table(path: Path, notes: list[str]) -> list[ShareRow]:
    rows: list[ShareRow] = []
    for raw in _read_csv(path):
        share_text = raw["Share"]
        fix = SHARE_CORRECTIONS.get((path.name, raw["Material"], raw["Stage"], raw["Country"]))
        if fix is not None and share_text == fix[0]:
            notes.append(
                f"{path.name}: {raw['Material']}/{raw['Stage']}/{raw['Country']} share {fix[0]!r} "
                f"corrected to {fix[1]!r}: {fix[2]}."
            )
            share_text = fix[1]
        if raw["Stage"] not in STAGE_CODES:
            raise SeedDataError(f"{path.name}: unknown stage {raw['Stage']!r} in {raw!r}")
        rows.append(
            ShareRow(
                material=material_id(raw["Material"]),
                stage=STAGE_CODES[raw["Stage"]],
                country=country_to_iso2(raw["Country"]),
                share=parse_share(share_text),
                trade_restriction=round(float(raw["t"]), DECIMALS),
                raw_material=raw["Material"],
                below_bound=share_text.strip().startswith("<"),
            )
        )
    return rows


StageShares = dict[Stage, dict[str, tuple[float, float]]]


def _by_material_stage(rows: list[ShareRow], table: str) -> dict[str, StageShares]:
    """material -> stage -> country -> (share, t); a country twice in one stage is an error, not a merge."""
    out: dict[str, StageShares] = defaultdict(lambda: defaultdict(dict))
    for row in rows:
        stage = out[row.material][row.stage]
        if row.country in stage:
            raise SeedDataError(f"{table}: {row.material}/{row.stage.value}: country {row.country} listed twice")
        stage[row.country] = (row.share, row.trade_restriction)
    return out


def _shares_json(countries: Mapping[str, tuple[float, float]]) -> list[dict[str, object]]:
    # Largest share first (then by code) so a reader sees the concentration at a glance.
    ordered = sorted(countries.items(), key=lambda kv: (-kv[1][0], kv[0]))
    return [{"country": c, "share": round(s, DECIMALS), "trade_restriction": t} for c, (s, t) in ordered]


def _validated(model: type[DomainModel], item: Mapping[str, object]) -> dict[str, Any]:
    """Parse with the domain model (raises InvalidInputError) and return its canonical JSON form."""
    return model.parse(dict(item)).model_dump(mode="json")


#: A stage summing below this is reported as incomplete (rows missing from the dataset extraction).
INCOMPLETE_STAGE_SUM = 0.95


def fit_stage_sums(rows: list[ShareRow], table: str) -> tuple[list[ShareRow], dict[str, object]]:
    """Check every material-stage sums to at most 1 + tolerance and report the outliers.

    A stage above the tolerance only because of our half-bound guesses for '<x%' rows gets those rows
    reduced to share evenly what the exact rows leave below 1 (zero if nothing is left): the published
    figures are kept, only our own guess gives way. A stage whose exact rows alone exceed it is an error.
    """
    total: dict[tuple[str, Stage], float] = defaultdict(float)
    exact: dict[tuple[str, Stage], float] = defaultdict(float)
    bounded: dict[tuple[str, Stage], int] = defaultdict(int)
    for r in rows:
        key = (r.material, r.stage)
        total[key] += r.share
        if r.below_bound:
            bounded[key] += 1
        else:
            exact[key] += r.share
    limit = 1.0 + SHARE_SUM_TOLERANCE
    used: dict[tuple[str, Stage], float] = {}
    adjusted: list[dict[str, object]] = []
    for key in sorted(k for k, v in total.items() if round(v, DECIMALS) > limit):
        if round(exact[key], DECIMALS) > limit or not bounded[key]:
            raise SeedDataError(f"{table}: {key[0]}/{key[1].value}: published shares add up to {exact[key]:.4f}")
        used[key] = round(max(0.0, 1.0 - exact[key]) / bounded[key], DECIMALS)
        adjusted.append(
            {
                "material": key[0],
                "stage": key[1].value,
                "sum": round(total[key], DECIMALS),
                "sum_of_exact_rows": round(exact[key], DECIMALS),
                "below_bound_rows": bounded[key],
                "below_bound_share_used": used[key],
            }
        )
    out = [
        replace(r, share=used[(r.material, r.stage)]) if r.below_bound and (r.material, r.stage) in used else r
        for r in rows
    ]
    above_one = [v for v in total.values() if round(v, DECIMALS) > 1.0]
    report: dict[str, object] = {
        "table": table,
        "stages_above_1": len(above_one),
        "max_sum": round(max(total.values()), DECIMALS),
        "above_tolerance_adjusted": adjusted,
        "incomplete_stages_below_0_95": [
            {"material": k[0], "stage": k[1].value, "sum": round(v, DECIMALS)}
            for k, v in sorted(total.items())
            if v < INCOMPLETE_STAGE_SUM
        ],
    }
    return out, report


def read_groupings(path: Path) -> dict[str, set[str]]:
    """material id -> group ids: the coarse column (perm_noXREE_noPGM) plus the finest (perm_XREE_PGM)."""
    groups: dict[str, set[str]] = defaultdict(set)
    for raw in _read_csv(path):
        mid = material_id(raw["screened_material"])
        # Union over repeated rows: gold and silver are listed under two groups in the file.
        groups[mid].update({group_id(raw["perm_noXREE_noPGM"]), group_id(raw["perm_XREE_PGM"])})
    for mid, extra in GROUPS_NOT_IN_FILE.items():
        if mid in groups:
            raise SeedDataError(f"{path.name} now lists {mid!r}: drop it from GROUPS_NOT_IN_FILE")
        groups[mid].update(extra)
    return groups


def read_wgi(path: Path) -> dict[str, float]:
    """ISO2 -> normalised WGI 2022 (0..1, 1 = best)."""
    out: dict[str, float] = {}
    for raw in _read_csv(path):
        code = country_to_iso2(raw["Country/Territory"])
        if code in out:
            raise SeedDataError(f"{path.name}: {code} listed twice")
        out[code] = float(raw["2022"])
    return out


def governance_risk(wgi: float) -> float:
    return round(10.0 * (1.0 - wgi), DECIMALS)


# ----------------------------------------------------------------------------------------------------------
# materials.json


@dataclass(frozen=True)
class Materials:
    document: dict[str, object]
    groups: dict[str, tuple[str, ...]]
    global_shares: dict[str, StageShares]
    producers: frozenset[str]


def build_materials(sources: Path) -> Materials:
    notes: list[str] = []
    rows, sum_report = fit_stage_sums(read_share_table(sources / GLOBAL_SUPPLY_CSV, notes), GLOBAL_SUPPLY_CSV)
    by_material = _by_material_stage(rows, GLOBAL_SUPPLY_CSV)
    raw_names = {r.material: r.raw_material for r in rows}
    groupings = read_groupings(sources / GROUPINGS_CSV)

    groups: dict[str, tuple[str, ...]] = {}
    for mid in sorted(by_material):
        if mid not in groupings:
            raise SeedDataError(f"{GROUPINGS_CSV}: no group for material {mid!r} ({raw_names[mid]!r})")
        groups[mid] = tuple(sorted(groupings[mid]))
    recycling = recycling_rates(sources, groups)
    items: list[dict[str, Any]] = []
    for mid in sorted(by_material):
        rate, rate_source = recycling.get(mid, (None, ""))
        item: dict[str, object] = {
            "id": mid,
            "name": material_name(mid),
            "groups": list(groups[mid]),
            "stages": {stage.value: _shares_json(by_material[mid][stage]) for stage in sorted(by_material[mid])},
            "sites": [dict(BAYAN_OBO_SITE)] if "lree" in groups[mid] else [],
            "recycling_input_rate": rate,
            "substitution_index": None,
            "source": f"EU CRM study 2023, global supply shares by stage and the trade-restriction t "
            f"(row name {raw_names[mid]!r}); groups from the EU CRM 2023 material groupings"
            + (f"; end-of-life recycling input rate: {rate_source}" if rate_source else ""),
            "version": 1,
        }
        items.append(_validated(MaterialProfile, item))

    notes += [
        f"{len(items)} materials; stages: E = extraction, P = processing; shares are fractions of world "
        "supply and trade_restriction is the table's t.",
        f"'<x%' shares are recorded as half of the bound (x/2 %), e.g. '<0.1%' -> 0.0005; "
        f"{sum(r.below_bound for r in rows)} rows of the table are given that way.",
        f"recycling_input_rate: the end-of-life recycling input rate (EoL-RIR 2023) of the SCRREEN2 factsheets "
        f"behind the EU CRM 2023 study, as World Mining Data's HS Code Map carries it, for the {len(recycling)} "
        "materials data/sources/wmd_material_map.csv maps a commodity to (rare_earths: every rare-earth element "
        "takes the 'Rare Earths (REO)' rate); null elsewhere (the model then assumes 0 and says so). "
        "substitution_index is null: it is not in these files (the model applies its documented default).",
        "groups: rare_earths for every REE, plus hree/lree from the perm_XREE_PGM column (scandium is only "
        "rare_earths), pgm for the PGMs; other groups are the grouping-file labels as lower_snake ids; gold "
        "and silver are listed under two groups in the file and keep both; iron_ore is missing from the file "
        "and is put in iron_and_ferro_alloy_metals (judgement).",
        "Material names mapped by judgement: Barytes -> baryte, Phosphorous -> phosphorus; grouping-file "
        "spellings flourspar, krupton, kaolin clay, borates matched to fluorspar, krypton, kaolin, borate.",
        "Country names map to ISO 3166-1 alpha-2 through COUNTRY_NAME_TO_ISO2 in scripts/build_seed.py "
        "(an unknown name stops the build); mapped by judgement: Brasilia -> BR, Turkyie -> TR, Congo -> CG "
        "(the DR Congo is 'Congo, D.R.'), Kosovo -> XK (World Bank/EU code, not ISO); in the EU sourcing "
        "table Brasil -> BR, Libanon -> LB, Surinam -> SR, South Korea -> KR.",
        "Bayan Obo (CN, extraction, 0.48 of world rare-earth mine output) is attached to every lree "
        "material: it is a light-rare-earth deposit; its share of each single element's supply is "
        "approximated by its share of total rare-earth oxide output.",
        f"Stage sums (share_sum_report): {sum_report['stages_above_1']} stages add up to a little more than "
        f"1 (rounding of the published table plus the half-bound '<x%' rows; max {sum_report['max_sum']}); "
        f"the domain model accepts up to 1 + {SHARE_SUM_TOLERANCE}. Stages above that are listed in "
        "above_tolerance_adjusted: their '<x%' rows share evenly what the published rows leave below 1 "
        "(zero if nothing is left); published figures are never changed. Stages below 0.95 are listed as "
        "incomplete (rows missing from the source extraction) and kept as they are.",
    ]
    document: dict[str, object] = {
        "source": EU_CRM_SOURCE + "; Bayan Obo site estimate derived from USGS MCS 2025",
        "licence": EU_CRM_LICENCE + "; USGS figures " + USGS_LICENCE,
        "year": 2023,
        "notes": notes,
        "share_sum_report": sum_report,
        "items": items,
    }
    producers = frozenset(r.country for r in rows)
    return Materials(document, groups, by_material, producers)


# ----------------------------------------------------------------------------------------------------------
# dependencies.json


@dataclass(frozen=True)
class EuDependencies:
    items: list[dict[str, Any]]
    notes: list[str]
    partners: set[str]
    share_sum_report: dict[str, object]


def _eu_dependencies(sources: Path, materials: Materials) -> EuDependencies:
    notes: list[str] = []
    rows = read_share_table(sources / EU_SOURCING_CSV, notes)
    group_members: dict[str, list[str]] = defaultdict(list)
    for mid, gids in materials.groups.items():
        for gid in gids:
            group_members[gid].append(mid)

    own: list[ShareRow] = []
    group_rows: dict[str, list[ShareRow]] = defaultdict(list)
    skipped: set[str] = set()
    for row in rows:
        group = EU_GROUP_ROWS.get(row.raw_material.lower())
        if group is not None:
            group_rows[group].append(row)
        elif row.material in materials.groups:
            own.append(row)
        else:
            skipped.add(row.raw_material)
    # A group's rows fill only the stages a member has no rows of its own for (own rows are more specific).
    own_stages = {(r.material, r.stage) for r in own}
    expanded = [
        replace(r, material=member)
        for group, grows in sorted(group_rows.items())
        for member in sorted(group_members[group])
        for r in grows
        if (member, r.stage) not in own_stages
    ]
    from_group: dict[str, set[Stage]] = defaultdict(set)
    for r in expanded:
        from_group[r.material].add(r.stage)
    fitted, sum_report = fit_stage_sums(own + expanded, EU_SOURCING_CSV)
    by_material = _by_material_stage(fitted, EU_SOURCING_CSV)

    items: list[dict[str, Any]] = []
    for mid in sorted(by_material):
        stages = by_material[mid]
        # IR = max over stages of the non-EU part of EU sourcing: the bottleneck stage decides, as in EU CRM.
        reliance = max(1.0 - sum(s for c, (s, _) in stages[st].items() if c in EU_MEMBER_STATES) for st in stages)
        source = "EU CRM study 2023, EU sourcing shares (domestic EU production and imports) by stage"
        if from_group[mid]:
            filled = ", ".join(sorted(s.value for s in from_group[mid]))
            source += f"; {filled} from the 'Heavy Rare earths Elements' rows"
        source += "; import_reliance derived [D]"
        items.append(
            _validated(
                ImporterDependency,
                {
                    "importer": EU,
                    "material": mid,
                    "import_reliance": round(min(1.0, max(0.0, reliance)), DECIMALS),
                    "sourcing": {st.value: _shares_json(stages[st]) for st in sorted(stages)},
                    "source": source,
                    "version": 1,
                },
            )
        )

    notes += [
        "EU: every material of the EU sourcing table that is one of the 85 materials; EU member-state rows "
        "are domestic EU production.",
        "EU import_reliance = max over stages of (1 - sum of the EU-27 shares in that stage of EU sourcing) "
        "[D]: the non-domestic part of the EU's supply at its most import-dependent stage.",
        "EU 'Heavy Rare earths Elements' rows apply to every hree material, only for the stages the material "
        "has no own rows for (yttrium and ytterbium have their own processing rows); 'Titanium ores' is the "
        "extraction stage of titanium.",
        "EU sourcing rows skipped (not among the 85 materials): " + ", ".join(sorted(skipped)) + ".",
        f"EU sourcing stage sums (share_sum_report): {sum_report['stages_above_1']} stages a little above 1 "
        f"(max {sum_report['max_sum']}, whole-percent rounding), kept as published; stages below 0.95 are "
        "incomplete in the source extraction and kept as they are: the rule above then counts the missing "
        "part as imported (e.g. chromium extraction lists only South Africa 7% and Turkiye 2%).",
    ]
    partners = {c for stages in by_material.values() for st in stages.values() for c in st}
    return EuDependencies(items, notes, partners, sum_report)


def _global_t(materials: Materials, mid: str, stage: Stage, country: str) -> float:
    """t of the global table for this exporter (t belongs to the exporter's measures), else 1.0."""
    return materials.global_shares.get(mid, {}).get(stage, {}).get(country, (0.0, 1.0))[1]


def _ree_dependencies(materials: Materials) -> tuple[list[dict[str, Any]], list[str]]:
    items: list[dict[str, Any]] = []
    for mid in sorted(m for m, g in materials.groups.items() if "rare_earths" in g):
        hree = "hree" in materials.groups[mid]
        jp_cn = JP_CN_SHARE_HREE if hree else JP_CN_SHARE_OTHER_REE
        for importer, reliance, partners, source in (
            (
                "JP",
                JP_IMPORT_RELIANCE,
                {"CN": jp_cn},
                "JOGMEC via rare_earths_facts.md: "
                + (
                    "Japan's medium/heavy rare-earth imports almost entirely from China [V]"
                    if hree
                    else "about 70% of Japan's rare-earth imports from China in 2024 [V]"
                )
                + "; import_reliance 1.0: Japan has no rare-earth mine production (absent from the USGS MCS "
                "2025 world mine production table) [D]",
            ),
            (
                "US",
                US_IMPORT_RELIANCE,
                US_PROCESSING_SOURCES,
                "USGS MCS 2025 (rare earths, compounds and metals): net import reliance 80% in 2024; import "
                "sources 2020-23 China 70%, Malaysia 13%, Japan 6%, Estonia 5% [V]",
            ),
        ):
            shares = {c: (s, _global_t(materials, mid, Stage.PROCESSING, c)) for c, s in partners.items()}
            items.append(
                _validated(
                    ImporterDependency,
                    {
                        "importer": importer,
                        "material": mid,
                        "import_reliance": reliance,
                        "sourcing": {Stage.PROCESSING.value: _shares_json(shares)},
                        "source": source,
                        "version": 1,
                    },
                )
            )
    notes = [
        "JP and US: one item per rare_earths material; the import-source shares are for rare earths as a "
        "whole (compounds and metals) and are recorded as the processing stage (what is imported is "
        "separated/refined product); trade_restriction is the global table's t for that exporter, else 1.0.",
        "JP: import_reliance 1.0 (no domestic mine production, USGS MCS 2025) [D]; China 1.0 for hree "
        "materials (JOGMEC: almost entirely China for medium/heavy rare earths), 0.70 for the others (about "
        "70% in 2024, JOGMEC); the rest of Japan's sourcing is not broken down and is left out "
        "(not invented).",
        "US: import_reliance 0.80 (net import reliance 2024, USGS MCS 2025); the 2020-23 import sources add "
        "up to 0.94, the remaining 6% is not broken down.",
    ]
    return items, notes


def build_dependencies(sources: Path, materials: Materials) -> tuple[dict[str, object], set[str]]:
    eu = _eu_dependencies(sources, materials)
    ree_items, ree_notes = _ree_dependencies(materials)
    published = eu.items + ree_items
    trade: TradeDependencies = build_trade_dependencies(
        sources,
        materials.groups,
        materials.global_shares,
        published={(str(i["importer"]), str(i["material"])) for i in published},
    )
    items = sorted(
        published + [_validated(ImporterDependency, i) for i in trade.items],
        key=lambda i: (i["importer"], i["material"]),
    )
    eu_published = {
        str(i["material"]): {
            Stage(stage): {str(s["country"]): float(s["share"]) for s in shares}
            for stage, shares in i["sourcing"].items()
        }
        for i in eu.items
    }
    document: dict[str, object] = {
        "source": f"{BACI_SOURCE} and World Mining Data (every economy); "
        + EU_CRM_SOURCE
        + " (EU); USGS MCS 2025, JOGMEC via data/sources/rare_earths_facts.md (JP, US rare earths)",
        "licence": f"{BACI_LICENCE}; {WMD_LICENCE}; {EU_CRM_LICENCE}; {USGS_LICENCE}; "
        "JOGMEC figures cited as facts with attribution",
        "year": 2025,
        "notes": [
            "Published, material-specific tables win over figures derived from HS trade codes: the EU keeps the "
            "EU CRM 2023 sourcing where it has it, JP and US keep the JOGMEC/USGS rare-earth figures; every "
            "other pair with usable trade data is derived from bilateral trade.",
            *trade.notes,
            *eu.notes,
            *ree_notes,
        ],
        "share_sum_report": eu.share_sum_report,
        "default_importers": trade.default_importers,
        "eu_agreement": eu_agreement(eu_published, trade.derived),
        "items": items,
    }
    partners = eu.partners | set(US_PROCESSING_SOURCES) | {"CN", "JP", "US"} | trade.partners
    partners |= {str(i["importer"]) for i in trade.items if i["importer"] != EU}
    return document, partners


# ----------------------------------------------------------------------------------------------------------
# governance.json


def build_governance(sources: Path, countries: set[str]) -> dict[str, object]:
    wgi = read_wgi(sources / WGI_CSV)
    median = round(statistics.median(governance_risk(v) for v in wgi.values()), DECIMALS)
    items = [
        _validated(
            CountryGovernance,
            {
                "country": code,
                "governance_risk": governance_risk(wgi[code]),
                "year": 2022,
                "source": "World Bank WGI 2022 (mean of the six estimates, normalised 0..1); "
                "governance_risk = 10 * (1 - value)",
                "version": 1,
            },
        )
        for code in sorted(countries)
        if code in wgi
    ]
    missing = sorted(countries - wgi.keys())
    return {
        "source": WGI_SOURCE,
        "licence": WGI_LICENCE,
        "year": 2022,
        "notes": [
            "One item per country producing anything in either EU CRM 2023 table, plus every importer and "
            "sourcing partner used in dependencies.json.",
            "governance_risk = 10 * (1 - normalised WGI 2022), 0..10 with 10 = worst, as in the EU CRM method.",
            f"median_governance_risk is the median over all {len(wgi)} WGI rows; the scoring model uses it "
            "for countries listed in missing (no value is invented for them).",
            "missing: " + (", ".join(missing) if missing else "none") + ".",
        ],
        "median_governance_risk": median,
        "missing": missing,
        "items": items,
    }


# ----------------------------------------------------------------------------------------------------------
# signals.json


def signal_materials(names: list[str], known: set[str]) -> tuple[list[str], list[str], tuple[Stage, ...] | None]:
    """(modelled ids, names not modelled, the stage an alias forces or None) for a row's material names."""
    modelled: set[str] = set()
    others: set[str] = set()
    alias_stages: set[Stage] = set()
    for name in names:
        alias = alias_of(name)
        if alias is not None:
            mid, stage = alias
            modelled.add(mid)
            alias_stages.add(stage)
            continue
        mid = material_id(name)
        (modelled if mid in known else others).add(mid)
    if len(alias_stages) > 1:
        raise SeedDataError(f"aliases force different stages: {names!r}")
    return sorted(modelled), sorted(others), (tuple(alias_stages) if alias_stages else None)


def production_mean(sources: Path, commodity: str, country: str) -> tuple[float, list[int]]:
    """Mean yearly World Mining Data production of one commodity and country, and the years it spans."""
    by_year = {
        int(row["year"]): float(row["tonnes"])
        for row in _read_csv(sources / PRODUCTION_CSV)
        if row["commodity"] == commodity and row["country"] == country and row["tonnes"]
    }
    if not by_year:
        raise SeedDataError(f"{PRODUCTION_CSV}: no production for {commodity}/{country}")
    return round(statistics.fmean(by_year.values()), 0), sorted(by_year)


def _read_signal_rows(sources: Path) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for name in SIGNAL_CSVS:
        for row in _read_csv(sources / name):
            if name == NON_CN_SIGNALS_CSV and row["id"] not in SIGNAL_STAGES:
                raise SeedDataError(f"{name}: {row['id']}: no entry in SIGNAL_STAGES (say which stages it covers)")
            rows.append({**row, "file": name})
    ids = [r["id"] for r in rows]
    if len(set(ids)) != len(ids):
        raise SeedDataError(f"signal ids listed twice: {sorted({i for i in ids if ids.count(i) > 1})}")
    return sorted(rows, key=lambda r: (r["announced"], r["id"]))


def build_signals(sources: Path, materials: Materials) -> dict[str, object]:
    rows = _read_signal_rows(sources)
    known = set(materials.groups) | {g for gs in materials.groups.values() for g in gs}
    items: list[dict[str, Any]] = []
    unmodelled: dict[str, list[str]] = {}
    not_scored: list[str] = []
    quota_references: dict[str, str] = {}
    for row in rows:
        named = [m.strip() for m in row["materials"].split(";") if m.strip()]
        if ALL_DUAL_USE in named:
            # The dual-use list = what the issuer put under licensing or banned up to this announcement.
            named.remove(ALL_DUAL_USE)
            for other in rows:
                if (
                    other["id"] != row["id"]
                    and other["issuer"] == row["issuer"]
                    and other["measure"] in DUAL_USE_SOURCE_MEASURES
                    and other["announced"] <= row["announced"]
                ):
                    named += [m.strip() for m in other["materials"].split(";") if m.strip() not in ("", ALL_DUAL_USE)]
        modelled, others, alias_stages = signal_materials(named, known)
        if others:
            unmodelled[row["id"]] = others
        if not modelled:
            not_scored.append(row["id"])
            continue
        stages = SIGNAL_STAGES[row["id"]][0] if row["id"] in SIGNAL_STAGES else ()
        if alias_stages is not None and stages != alias_stages:
            raise SeedDataError(
                f"{row['file']}: {row['id']}: stages {stages!r} differ from the alias stage {alias_stages!r}"
            )
        measure = row["measure"]
        if measure not in {m.value for m in SEVERITY_BY_MEASURE}:
            raise SeedDataError(f"{row['file']}: no severity for measure {measure!r} ({row['id']})")
        status = SignalStatus(row["status"])
        until = row["status_until"] or None
        if until is not None and status not in (SignalStatus.SUSPENDED, SignalStatus.LIFTED):
            raise SeedDataError(f"{row['file']}: {row['id']}: status_until given for status {status.value}")
        severity = SEVERITY_BY_MEASURE[Measure(measure)]
        quota_tonnes = reference_tonnes = None
        if row["id"] in QUOTA_VOLUMES:
            quota_tonnes, (commodity, country) = QUOTA_VOLUMES[row["id"]]
            reference_tonnes, years = production_mean(sources, commodity, country)
            severity = QUOTA_WITH_VOLUMES_SEVERITY
            quota_references[row["id"]] = (
                f"quota {quota_tonnes:,.0f} t/yr against {reference_tonnes:,.0f} t/yr, the mean {commodity} "
                f"production of {country} {years[0]}-{years[-1]} ({WMD_SOURCE}, {PRODUCTION_CSV})"
            )
        items.append(
            _validated(
                PolicySignal,
                {
                    "id": row["id"],
                    "issuer": row["issuer"],
                    "measure": measure,
                    "materials": modelled,
                    "targets": sorted(t.strip() for t in row["targets"].split(";") if t.strip()),
                    "severity": severity,
                    "announced": date.fromisoformat(row["announced"]),
                    "effective": date.fromisoformat(row["effective"]) if row["effective"] else None,
                    "status": status,
                    "suspended_until": until if status is SignalStatus.SUSPENDED else None,
                    "lifted_at": until if status is SignalStatus.LIFTED else None,
                    "source": row["source"],
                    "confidence": default_confidence(row["instrument"]),
                    "title": row["instrument"],
                    "stages": list(stages),
                    "quota_tonnes": quota_tonnes,
                    "reference_tonnes": reference_tonnes,
                    "state_measure": row["id"] not in NON_STATE_SIGNALS,
                    "version": 1,
                },
            )
        )
    items.sort(key=lambda i: str(i["id"]))
    return {
        "source": (
            f"Timeline of Chinese export-control measures 2023-2026 ({SIGNALS_CSV}) and of other issuers' export "
            f"restrictions and reported disruptions 2019-2026 ({NON_CN_SIGNALS_CSV}), from public reporting (URL "
            "per row)"
        ),
        "licence": "facts from public reporting, cited per row (source field); no text reproduced",
        "year": 2026,
        "notes": [
            "severity by measure (severity_by_measure): export_ban 1.0, informal_embargo 0.9, "
            "licence_slowdown 0.7, quota and export_quota 0.6, end_user_ban 0.5, licensing 0.4, technology_ban 0.2.",
            f"a quota with volumes (quota_references) has severity {QUOTA_WITH_VOLUMES_SEVERITY:g}: the model "
            "scales it by its bindingness, 1 - quota_tonnes / reference_tonnes.",
            f"confidence {LOW_CONFIDENCE} when the instrument text says 'partly confirmed', 'secondary' or "
            "'reported', else 1.0.",
            "ALL_DUAL_USE expands to every material named by the issuer's other licensing/export_ban signals "
            "announced on or before the signal (whatever their current status: the row does not say which "
            "items were suspended at the time, so the wider reading is kept).",
            "stages: an explicit table per row of the non-Chinese file (SIGNAL_STAGES in scripts/build_seed.py, "
            "reasons in stage_reasons), read from the instrument text: ore, raw and concentrate bans cover the "
            "extraction stage; rows that name no form, and the Chinese rows, cover every stage (stages empty).",
            "material aliases (material_aliases): a name outside the catalogue maps to a material and the stage "
            "it is (bauxite -> aluminium, extraction); the signal's stages must be that stage.",
            "Items that are neither one of the 85 materials, nor an alias, nor one of their groups are left out "
            "of materials and listed in unmodelled_items; a signal left with no material is listed in "
            "not_scored and omitted.",
            f"state_measure false for reported disruptions that are not state measures "
            f"({', '.join(sorted(NON_STATE_SIGNALS))}); the issuer is the country of supply.",
            "suspended_until / lifted_at come from the status_until column; a lifted or superseded row stays "
            "(DR Congo's suspension replaced by quotas, Zimbabwe's 2022 order repealed by the 2023 one) and "
            "counts with the model's lifted residual; title is the instrument.",
        ],
        "severity_by_measure": {m.value: v for m, v in SEVERITY_BY_MEASURE.items()},
        "material_aliases": {k: {"material": m, "stage": st.value} for k, (m, st) in SIGNAL_MATERIAL_ALIASES.items()},
        "stage_reasons": {k: v[1] for k, v in sorted(SIGNAL_STAGES.items())},
        "quota_references": quota_references,
        "unmodelled_items": unmodelled,
        "not_scored": sorted(not_scored),
        "items": items,
    }


# ----------------------------------------------------------------------------------------------------------


def build_all(reference_dir: Path = DEFAULT_SOURCES_DIR) -> dict[str, object]:
    """Every seed file's JSON content, keyed by file name."""
    materials = build_materials(reference_dir)
    dependencies, partners = build_dependencies(reference_dir, materials)
    governance = build_governance(reference_dir, set(materials.producers) | partners)
    signals = build_signals(reference_dir, materials)
    return {
        MATERIALS_JSON: materials.document,
        GOVERNANCE_JSON: governance,
        DEPENDENCIES_JSON: dependencies,
        SIGNALS_JSON: signals,
    }


def render(content: object) -> str:
    """The exact text of a seed file (stable across runs and machines)."""
    return json.dumps(content, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    DEFAULT_SEED_DIR.mkdir(parents=True, exist_ok=True)
    for name, content in build_all(DEFAULT_SOURCES_DIR).items():
        (DEFAULT_SEED_DIR / name).write_text(render(content), encoding="utf-8")
        print(f"wrote {DEFAULT_SEED_DIR / name}")


if __name__ == "__main__":
    main()
