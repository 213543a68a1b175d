"""The mapping and fact tables of data/sources/ that the build reads, and the name lookups over them.

They are data, not code: each file has its source, year and licence in data/sources/README.md, and a judgement
call says why in its `note` or `reason` column. They are read once, from the repository's data/sources/, when
this module is imported (the raw files are read from the directory given to `build_all`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from scripts.seed.common import DEFAULT_SOURCES_DIR, SeedDataError, read_csv
from shared.domain.models import Stage

COUNTRY_NAMES_CSV = "country_names_iso2.csv"
MATERIAL_ALIASES_CSV = "material_name_aliases.csv"
NON_CN_MODELLING_CSV = "export_restrictions_non_cn_modelling.csv"
MINING_SITES_CSV = "mining_sites.csv"
REE_IMPORTER_SOURCING_CSV = "rare_earths_importer_sourcing.csv"


def _unique(path: Path, key: str) -> list[dict[str, str]]:
    rows = list(read_csv(path))
    keys = [row[key] for row in rows]
    if len(set(keys)) != len(keys):
        raise SeedDataError(f"{path.name}: {key} listed twice: {sorted({k for k in keys if keys.count(k) > 1})}")
    return rows


def read_country_names(sources: Path) -> dict[str, str]:
    """Country spelling of the EU CRM tables and the WGI file -> ISO 3166-1 alpha-2 (XK for Kosovo)."""
    return {row["name"]: row["iso2"] for row in _unique(sources / COUNTRY_NAMES_CSV, "name")}


def read_material_aliases(sources: Path) -> dict[str, str]:
    """Spellings whose id is not simply the lower_snake_case of the name (typos and plurals in the files)."""
    return {row["name"]: row["material"] for row in _unique(sources / MATERIAL_ALIASES_CSV, "name")}


@dataclass(frozen=True)
class SignalModelling:
    """How the build models one row of the non-Chinese timeline (the Chinese rows cover every stage)."""

    #: the stages the row covers, read by judgement from its instrument text; () = every stage
    stages: tuple[Stage, ...]
    reason: str
    #: False for a reported disruption that is not a state measure (the issuer is still the country of supply)
    state_measure: bool
    #: (tonnes a year, (World Mining Data commodity, country) whose mean production is the reference volume)
    quota: tuple[float, tuple[str, str]] | None


def read_signal_modelling(sources: Path) -> dict[str, SignalModelling]:
    out: dict[str, SignalModelling] = {}
    for row in _unique(sources / NON_CN_MODELLING_CSV, "id"):
        if row["state_measure"] not in ("true", "false"):
            raise SeedDataError(f"{NON_CN_MODELLING_CSV}: {row['id']}: state_measure must be true or false")
        quota_columns = (row["quota_tonnes_per_year"], row["quota_reference_commodity"], row["quota_reference_country"])
        if any(quota_columns) and not all(quota_columns):
            raise SeedDataError(f"{NON_CN_MODELLING_CSV}: {row['id']}: a quota needs its tonnes and reference")
        out[row["id"]] = SignalModelling(
            stages=tuple(Stage(s) for s in row["stages"].split(";") if s),
            reason=row["stage_reason"],
            state_measure=row["state_measure"] == "true",
            quota=(float(quota_columns[0]), (quota_columns[1], quota_columns[2])) if all(quota_columns) else None,
        )
    return out


@dataclass(frozen=True)
class MiningSite:
    """A single site attached to every material of `group` (its share of the group's supply at `stage`)."""

    name: str
    country: str
    stage: Stage
    share: float
    group: str
    source: str

    def item(self) -> dict[str, object]:
        return {
            "name": self.name,
            "country": self.country,
            "stage": self.stage.value,
            "share": self.share,
            "source": self.source,
        }


def read_mining_sites(sources: Path) -> tuple[MiningSite, ...]:
    return tuple(
        MiningSite(row["name"], row["country"], Stage(row["stage"]), float(row["share"]), row["group"], row["source"])
        for row in _unique(sources / MINING_SITES_CSV, "name")
    )


#: which rare-earth materials a row of the importer sourcing table covers
REE_APPLIES_TO = ("all", "hree", "not_hree")


@dataclass(frozen=True)
class ImporterSourcing:
    """A published import dependency for the rare-earth materials `applies_to` selects."""

    importer: str
    applies_to: str
    import_reliance: float
    #: partner -> share of the importer's supply (recorded as the processing stage)
    partners: dict[str, float]
    source: str

    def covers(self, groups: tuple[str, ...]) -> bool:
        return self.applies_to == "all" or (self.applies_to == "hree") == ("hree" in groups)


def read_ree_importer_sourcing(sources: Path) -> tuple[ImporterSourcing, ...]:
    """One entry per (importer, applies_to); its rows must agree on import_reliance and source."""
    out: dict[tuple[str, str], ImporterSourcing] = {}
    for row in read_csv(sources / REE_IMPORTER_SOURCING_CSV):
        key = (row["importer"], row["applies_to"])
        if key[1] not in REE_APPLIES_TO:
            raise SeedDataError(f"{REE_IMPORTER_SOURCING_CSV}: applies_to must be one of {REE_APPLIES_TO}: {row!r}")
        entry = out.setdefault(key, ImporterSourcing(*key, float(row["import_reliance"]), {}, row["source"]))
        if (entry.import_reliance, entry.source) != (float(row["import_reliance"]), row["source"]):
            raise SeedDataError(f"{REE_IMPORTER_SOURCING_CSV}: {key}: rows disagree on import_reliance or source")
        if row["partner"] in entry.partners:
            raise SeedDataError(f"{REE_IMPORTER_SOURCING_CSV}: {key}: partner {row['partner']} listed twice")
        entry.partners[row["partner"]] = float(row["share"])
    return tuple(out.values())


COUNTRY_NAME_TO_ISO2: Mapping[str, str] = read_country_names(DEFAULT_SOURCES_DIR)
MATERIAL_NAME_ALIASES: Mapping[str, str] = read_material_aliases(DEFAULT_SOURCES_DIR)
NON_CN_SIGNAL_MODELLING: Mapping[str, SignalModelling] = read_signal_modelling(DEFAULT_SOURCES_DIR)
#: row id -> (stages, reason); every row of the non-Chinese timeline must have one (the build says so otherwise)
SIGNAL_STAGES: Mapping[str, tuple[tuple[Stage, ...], str]] = {
    sid: (m.stages, m.reason) for sid, m in NON_CN_SIGNAL_MODELLING.items()
}
QUOTA_VOLUMES: Mapping[str, tuple[float, tuple[str, str]]] = {
    sid: m.quota for sid, m in NON_CN_SIGNAL_MODELLING.items() if m.quota is not None
}
NON_STATE_SIGNALS = frozenset(sid for sid, m in NON_CN_SIGNAL_MODELLING.items() if not m.state_measure)
MINING_SITES = read_mining_sites(DEFAULT_SOURCES_DIR)
REE_IMPORTER_SOURCING = read_ree_importer_sourcing(DEFAULT_SOURCES_DIR)


class UnmappedCountryError(SeedDataError):
    """A country spelling that the country table does not cover (never dropped silently)."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"unmapped country name {name!r}: add it to data/sources/{COUNTRY_NAMES_CSV}",
            field="country",
        )
        self.name = name


def country_to_iso2(name: str) -> str:
    """Map a country spelling from the raw files to ISO 3166-1 alpha-2 (XK for Kosovo)."""
    try:
        return COUNTRY_NAME_TO_ISO2[name.strip()]
    except KeyError:
        raise UnmappedCountryError(name) from None


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
