"""dependencies.json: the importers' dependencies (EU CRM for the EU, JOGMEC/USGS rare earths, bilateral trade)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from scripts.seed.common import (
    DECIMALS,
    EU_CRM_LICENCE,
    EU_CRM_SOURCE,
    EU_SOURCING_CSV,
    USGS_LICENCE,
    SeedDataError,
    shares_json,
    validated,
)
from scripts.seed.materials import Materials
from scripts.seed.shares import ShareRow, by_material_stage, fit_stage_sums, read_share_table
from scripts.seed.tables import REE_IMPORTER_SOURCING
from scripts.seed.trade import (
    BACI_LICENCE,
    BACI_SOURCE,
    WMD_LICENCE,
    TradeDependencies,
    build_trade_dependencies,
    eu_agreement,
)
from shared.domain.countries import EU, EU_MEMBER_STATES
from shared.domain.models import ImporterDependency, Stage

#: EU sourcing rows that describe a group rather than one material: applied to every material of the group.
EU_GROUP_ROWS: Mapping[str, str] = {"heavy rare earths elements": "hree"}


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
    by_material = by_material_stage(fitted, EU_SOURCING_CSV)

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
            validated(
                ImporterDependency,
                {
                    "importer": EU,
                    "material": mid,
                    "import_reliance": round(min(1.0, max(0.0, reliance)), DECIMALS),
                    "sourcing": {st.value: shares_json(stages[st]) for st in sorted(stages)},
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
    """The published rare-earth dependencies (data/sources/rare_earths_importer_sourcing.csv), one item per
    importer and rare_earths material."""
    items: list[dict[str, Any]] = []
    importers = sorted({entry.importer for entry in REE_IMPORTER_SOURCING})
    for mid in sorted(m for m, g in materials.groups.items() if "rare_earths" in g):
        for importer in importers:
            entries = [e for e in REE_IMPORTER_SOURCING if e.importer == importer and e.covers(materials.groups[mid])]
            if len(entries) != 1:
                raise SeedDataError(f"rare-earth sourcing of {importer}: {len(entries)} rows apply to {mid}, not 1")
            entry = entries[0]
            shares = {c: (s, _global_t(materials, mid, Stage.PROCESSING, c)) for c, s in entry.partners.items()}
            items.append(
                validated(
                    ImporterDependency,
                    {
                        "importer": importer,
                        "material": mid,
                        "import_reliance": entry.import_reliance,
                        "sourcing": {Stage.PROCESSING.value: shares_json(shares)},
                        "source": entry.source,
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
        published + [validated(ImporterDependency, i) for i in trade.items],
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
    partners = eu.partners | trade.partners
    partners |= {c for entry in REE_IMPORTER_SOURCING for c in (entry.importer, *entry.partners)}
    partners |= {str(i["importer"]) for i in trade.items if i["importer"] != EU}
    return document, partners
