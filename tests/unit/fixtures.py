"""Literal fixtures the unit tests share (a dysprosium profile like the EU CRM 2023 one)."""

from __future__ import annotations

from datetime import date
from typing import Any

from shared.domain.models import (
    ALL_TARGETS,
    CountryGovernance,
    MaterialProfile,
    Measure,
    PolicySignal,
    ProducerShare,
    SignalStatus,
    Site,
    Stage,
)


def shares(*pairs: tuple[str, float]) -> tuple[ProducerShare, ...]:
    return tuple(ProducerShare(country=c, share=s) for c, s in pairs)


def dysprosium(**overrides: Any) -> MaterialProfile:
    fields: dict[str, Any] = {
        "id": "dysprosium",
        "name": "Dysprosium",
        "groups": ("rare_earths", "hree"),
        "stages": {
            Stage.EXTRACTION: shares(("CN", 0.844), ("MM", 0.093)),
            Stage.PROCESSING: shares(("CN", 1.0)),
        },
        "sites": (Site(name="Bayan Obo", country="CN", stage=Stage.EXTRACTION, share=0.4, source="fixture"),),
        "recycling_input_rate": 0.0,
        "substitution_index": 1.0,
        "source": "fixture",
    }
    fields.update(overrides)
    return MaterialProfile(**fields)


def signal(**overrides: Any) -> PolicySignal:
    """China's April 2025 licensing on dysprosium, for every importer (severity 0.8 unless overridden)."""
    fields: dict[str, Any] = {
        "id": "cn-2025-04-licensing",
        "issuer": "CN",
        "measure": Measure.LICENSING,
        "materials": ("dysprosium",),
        "targets": (ALL_TARGETS,),
        "severity": 0.8,
        "announced": date(2025, 4, 4),
        "status": SignalStatus.IN_FORCE,
        "source": "fixture",
    }
    fields.update(overrides)
    return PolicySignal(**fields)


def governance(**risk_by_country: float) -> dict[str, CountryGovernance]:
    """Governance entries keyed by country, e.g. governance(CN=5.667, AU=1.6) (WGI-scale risks, 0..10)."""
    return {
        country: CountryGovernance(country=country, governance_risk=risk, year=2022, source="WGI 2022 (fixture)")
        for country, risk in risk_by_country.items()
    }
