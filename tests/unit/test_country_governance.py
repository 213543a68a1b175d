"""shared/services/countries.get_governance on the in-memory fake: what GET /v1/countries/{c}/governance returns."""

from __future__ import annotations

import pytest

from shared.domain.errors import NotFoundError
from shared.domain.models import CountryGovernance
from shared.services import admin, countries
from tests.fakes import InMemoryRiskStore


def store_with(*items: CountryGovernance) -> InMemoryRiskStore:
    store = InMemoryRiskStore()
    for item in items:
        store.put_reference_item(item, None)
    return store


CN = CountryGovernance(country="CN", governance_risk=6.5, year=2023, source="WGI 2023 (test)")


def test_the_stored_governance_in_any_case() -> None:
    store = store_with(CN)
    assert countries.get_governance(store, "cn") == CN
    assert countries.get_governance(store, " CN ") == CN


@pytest.mark.parametrize("code", ["ZZ", "1!", ""])
def test_an_unknown_code_is_not_found_naming_the_field(code: str) -> None:
    with pytest.raises(NotFoundError) as raised:
        countries.get_governance(store_with(CN), code)
    assert raised.value.field == "country"


def test_a_known_country_without_governance_is_not_found() -> None:
    with pytest.raises(NotFoundError, match="no governance stored for AU"):
        countries.get_governance(store_with(CN), "AU")


def test_it_reads_what_the_admin_upsert_wrote() -> None:
    store = store_with(CN)
    admin.upsert_governance(store, "cn", {"governance_risk": 7.0, "year": 2024, "source": "WGI 2024 (test)"}, 1)
    read = countries.get_governance(store, "CN")
    assert (read.governance_risk, read.year, read.version) == (7.0, 2024, 2)
