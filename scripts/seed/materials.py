"""materials.json: one MaterialProfile per material of the EU CRM 2023 global supply table."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.seed.common import (
    EU_CRM_LICENCE,
    EU_CRM_SOURCE,
    GLOBAL_SUPPLY_CSV,
    GROUPINGS_CSV,
    USGS_LICENCE,
    SeedDataError,
    shares_json,
    validated,
)
from scripts.seed.shares import StageShares, by_material_stage, fit_stage_sums, read_groupings, read_share_table
from scripts.seed.tables import MINING_SITES, material_name
from scripts.seed.trade import recycling_rates
from shared.domain.models import SHARE_SUM_TOLERANCE, MaterialProfile


@dataclass(frozen=True)
class Materials:
    document: dict[str, object]
    groups: dict[str, tuple[str, ...]]
    global_shares: dict[str, StageShares]
    producers: frozenset[str]


def build_materials(sources: Path) -> Materials:
    notes: list[str] = []
    rows, sum_report = fit_stage_sums(read_share_table(sources / GLOBAL_SUPPLY_CSV, notes), GLOBAL_SUPPLY_CSV)
    by_material = by_material_stage(rows, GLOBAL_SUPPLY_CSV)
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
            "stages": {stage.value: shares_json(by_material[mid][stage]) for stage in sorted(by_material[mid])},
            "sites": [site.item() for site in MINING_SITES if site.group in groups[mid]],
            "recycling_input_rate": rate,
            "substitution_index": None,
            "source": f"EU CRM study 2023, global supply shares by stage and the trade-restriction t "
            f"(row name {raw_names[mid]!r}); groups from the EU CRM 2023 material groupings"
            + (f"; end-of-life recycling input rate: {rate_source}" if rate_source else ""),
            "version": 1,
        }
        items.append(validated(MaterialProfile, item))

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
        "Country names map to ISO 3166-1 alpha-2 through data/sources/country_names_iso2.csv "
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
