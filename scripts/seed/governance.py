"""governance.json: CountryGovernance per producing country, importer and sourcing partner, from the WGI 2022."""

from __future__ import annotations

import statistics
from pathlib import Path

from scripts.seed.common import DECIMALS, WGI_CSV, WGI_LICENCE, WGI_SOURCE, validated
from scripts.seed.shares import governance_risk, read_wgi
from shared.domain.models import CountryGovernance


def build_governance(sources: Path, countries: set[str]) -> dict[str, object]:
    wgi = read_wgi(sources / WGI_CSV)
    median = round(statistics.median(governance_risk(v) for v in wgi.values()), DECIMALS)
    items = [
        validated(
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
