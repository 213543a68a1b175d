"""A country's reference data for readers: its governance (WGI-based risk), as the scoring uses it."""

from __future__ import annotations

from shared.domain.countries import canonical_code, is_country_code
from shared.domain.errors import NotFoundError
from shared.domain.models import CountryGovernance
from shared.ports import ReferenceDataReader


def get_governance(store: ReferenceDataReader, country: str) -> CountryGovernance:
    """The stored governance of `country` (any case). An unknown code, or a country without governance, is a 404."""
    code = canonical_code(country)
    if not is_country_code(code):
        raise NotFoundError(f"unknown country {country!r}: use an ISO 3166-1 alpha-2 code", field="country")
    governance = store.get_governance(code)
    if governance is None:
        raise NotFoundError(f"no governance stored for {code}: PUT /v1/countries/{code}/governance", field="country")
    return governance
