"""signals.json: PolicySignal per row of the Chinese and the other issuers' export-restriction timelines."""

from __future__ import annotations

import statistics
from datetime import date
from pathlib import Path
from typing import Any

from scripts.seed.common import NON_CN_SIGNALS_CSV, SIGNAL_CSVS, SIGNALS_CSV, SeedDataError, read_csv, validated
from scripts.seed.materials import Materials
from scripts.seed.tables import NON_CN_MODELLING_CSV, NON_STATE_SIGNALS, QUOTA_VOLUMES, SIGNAL_STAGES, material_id
from scripts.seed.trade import PRODUCTION_CSV, WMD_SOURCE
from shared.domain.models import Measure, PolicySignal, SignalStatus, Stage
from shared.domain.signal_rows import (
    LOW_CONFIDENCE,
    QUOTA_WITH_VOLUMES_SEVERITY,
    SEVERITY_BY_MEASURE,
    SIGNAL_MATERIAL_ALIASES,
    alias_of,
    default_confidence,
)

#: Signal material placeholder for "everything on the issuer's dual-use control list".
ALL_DUAL_USE = "ALL_DUAL_USE"
DUAL_USE_SOURCE_MEASURES = frozenset({"licensing", "export_ban"})


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
        for row in read_csv(sources / PRODUCTION_CSV)
        if row["commodity"] == commodity and row["country"] == country and row["tonnes"]
    }
    if not by_year:
        raise SeedDataError(f"{PRODUCTION_CSV}: no production for {commodity}/{country}")
    return round(statistics.fmean(by_year.values()), 0), sorted(by_year)


def _read_signal_rows(sources: Path) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for name in SIGNAL_CSVS:
        for row in read_csv(sources / name):
            if name == NON_CN_SIGNALS_CSV and row["id"] not in SIGNAL_STAGES:
                raise SeedDataError(
                    f"{name}: {row['id']}: no row in data/sources/{NON_CN_MODELLING_CSV} (say which stages it covers)"
                )
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
            validated(
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
            "stages: an explicit table per row of the non-Chinese file "
            "(data/sources/export_restrictions_non_cn_modelling.csv, "
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
