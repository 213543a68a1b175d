"""The EU CRM share tables (global supply, EU sourcing), the material groupings and the WGI file, read and checked."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from scripts.seed.common import DECIMALS, EU_SOURCING_CSV, SeedDataError, read_csv
from scripts.seed.tables import country_to_iso2, group_id, material_id
from shared.domain.models import SHARE_SUM_TOLERANCE, Stage

#: "<0.1%" means "below the table's resolution": half of the bound keeps the country without overstating it.
BELOW_BOUND_FACTOR = 0.5

STAGE_CODES: Mapping[str, Stage] = {"E": Stage.EXTRACTION, "P": Stage.PROCESSING}

#: Materials of the supply table that the groupings file does not list (group chosen by judgement).
GROUPS_NOT_IN_FILE: Mapping[str, tuple[str, ...]] = {"iron_ore": ("iron_and_ferro_alloy_metals",)}

#: Known defects of the raw files, corrected here (the raw files stay verbatim):
#: (file, material, stage, country) -> (raw value, corrected value, why).
SHARE_CORRECTIONS: Mapping[tuple[str, str, str, str], tuple[str, str, str]] = {
    (EU_SOURCING_CSV, "Silicon metal", "P", "Germany"): (
        "6",
        "6%",
        "the only share without '%'; read as 6% (the stage then sums to 96%, like its neighbours)",
    ),
}

#: A stage summing below this is reported as incomplete (rows missing from the dataset extraction).
INCOMPLETE_STAGE_SUM = 0.95


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


def read_share_table(path: Path, notes: list[str]) -> list[ShareRow]:
    rows: list[ShareRow] = []
    for raw in read_csv(path):
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


def by_material_stage(rows: list[ShareRow], table: str) -> dict[str, StageShares]:
    """material -> stage -> country -> (share, t); a country twice in one stage is an error, not a merge."""
    out: dict[str, StageShares] = defaultdict(lambda: defaultdict(dict))
    for row in rows:
        stage = out[row.material][row.stage]
        if row.country in stage:
            raise SeedDataError(f"{table}: {row.material}/{row.stage.value}: country {row.country} listed twice")
        stage[row.country] = (row.share, row.trade_restriction)
    return out


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
    for raw in read_csv(path):
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
    for raw in read_csv(path):
        code = country_to_iso2(raw["Country/Territory"])
        if code in out:
            raise SeedDataError(f"{path.name}: {code} listed twice")
        out[code] = float(raw["2022"])
    return out


def governance_risk(wgi: float) -> float:
    return round(10.0 * (1.0 - wgi), DECIMALS)
