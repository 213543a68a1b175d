"""Company-specific sourcing on portfolio lines (issue 15): the line model, HS codes and company-mode scoring."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from shared.domain.errors import InvalidInputError
from shared.domain.models import ImporterDependency, Stage
from shared.domain.portfolio import PortfolioItem
from shared.domain.scoring import (
    BASIS_COMPANY,
    BASIS_WORLD,
    COMPONENT_IMPORT_RELIANCE,
    COMPONENT_POLICY,
    CompanySourcing,
    ScoringInputs,
    compute_company_score,
    compute_score,
)
from tests.unit.fixtures import dysprosium, governance, shares, signal

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]
GOV = governance(CN=5.667, MM=8.9, AU=1.6, DE=1.2, FI=0.9)


def inputs(importer: str = "DE", dependency: ImporterDependency | None = None, **kw: Any) -> ScoringInputs:
    material = kw.pop("material", dysprosium())
    return ScoringInputs(
        importer=importer,
        material=material,
        dependency=dependency,
        governance=GOV,
        signals=kw.pop("signals", (signal(),)),
        as_of=date(2026, 5, 1),
    )


def national_dependency() -> ImporterDependency:
    return ImporterDependency(
        importer="DE",
        material="dysprosium",
        import_reliance=1.0,
        sourcing={Stage.PROCESSING: shares(("CN", 0.9), ("MM", 0.1))},
        source="fixture trade",
    )


def item(**fields: Any) -> PortfolioItem:
    return PortfolioItem.parse({"importer": "DE", "annual_spend": 1000.0, **fields})


# --- the three cases the issue names ------------------------------------------------------------------------------


def test_a_line_all_from_a_country_without_a_signal_has_no_policy_pressure_from_others_signals() -> None:
    # every stage of the material bought 100% from Australia: China's licensing exposes it to nothing
    line = item(
        material="dysprosium",
        sourcing={"extraction": [{"country": "AU", "share": 1.0}], "processing": [{"country": "AU", "share": 1.0}]},
    )
    base = inputs(dependency=national_dependency())
    sourcing = line.company_sourcing(base.material)
    assert sourcing is not None
    company = compute_company_score(base, sourcing, NOW)
    national = compute_score(base, NOW)

    assert national.components.policy_pressure > 0.3
    assert company.score.components.policy_pressure == 0.0
    assert company.score.signal_ids == ()
    assert not [d for d in company.score.drivers if d.component == COMPONENT_POLICY]
    assert company.score.score < national.score


def test_the_unknown_remainder_keeps_the_national_exposure_in_proportion() -> None:
    # 60% Australia, 40% unknown: at the processing stage China's exposure is 0.4 x its national 0.9
    line = item(material="dysprosium", stage="processing", sourcing=[{"country": "AU", "share": 0.6}])
    signals = (signal(stages=(Stage.PROCESSING,)),)
    base = inputs(dependency=national_dependency(), signals=signals)
    sourcing = line.company_sourcing(base.material)
    assert sourcing is not None
    company = compute_company_score(base, sourcing, NOW)
    policy = [d for d in company.score.drivers if d.component == COMPONENT_POLICY]
    assert len(policy) == 1 and "exposure of this line to China 36%" in policy[0].text
    assert company.unknown_share == pytest.approx(0.4)


def test_a_line_with_no_sourcing_equals_the_national_score_exactly() -> None:
    line = item(material="dysprosium")
    base = inputs(dependency=national_dependency())
    assert line.company_sourcing(base.material) is None
    # the service scores such a line with compute_score itself: the same object the national path returns
    assert compute_score(base, NOW).model_dump_json() == compute_score(base, NOW).model_dump_json()


@pytest.mark.parametrize(
    ("sourcing", "message"),
    [
        ([{"country": "CD", "share": 0.7}, {"country": "FI", "share": 0.4}], "above 1"),
        ([{"country": "CD", "share": 1.2}], "less than or equal to 1"),
        ([{"country": "ZZ", "share": 0.5}], "unknown country code"),
        ([{"country": "CD", "share": 0.5}, {"country": "CD", "share": 0.2}], "listed twice"),
        ({"processing": [{"country": "CN", "share": 0.6}, {"country": "AU", "share": 0.6}]}, "above 1"),
    ],
)
def test_shares_above_1_or_unknown_countries_are_rejected(sourcing: Any, message: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        item(material="cobalt", sourcing=sourcing)
    assert message in str(caught.value.details)


# --- the rest of the line model ----------------------------------------------------------------------------------


def test_an_hs_code_maps_to_the_material_and_the_stage_it_buys() -> None:
    line = item(hs_code="282200")
    assert (line.material, line.stage) == ("cobalt", Stage.PROCESSING)


def test_an_unmapped_hs_code_is_a_422_naming_the_field() -> None:
    with pytest.raises(InvalidInputError) as caught:
        item(hs_code="252400")
    assert "HS code 252400 is not mapped" in str(caught.value)
    assert "asbestos" in str(caught.value)


def test_an_hs_code_for_two_materials_needs_the_material() -> None:
    with pytest.raises(InvalidInputError, match="titanium or titanium_metal"):
        item(hs_code="261400")
    assert item(hs_code="261400", material="titanium_metal").material == "titanium_metal"
    with pytest.raises(InvalidInputError, match="not to material"):
        item(hs_code="282200", material="nickel")


def test_a_supplier_country_is_one_country_at_100_percent() -> None:
    one = item(material="dysprosium", supplier="Refiner Oy", supplier_country="FI")
    material = dysprosium()
    assert one.company_sourcing(material) == CompanySourcing({Stage.PROCESSING: (("FI", 1.0),)}, Stage.PROCESSING)
    with pytest.raises(InvalidInputError, match="either sourcing or supplier_country"):
        item(material="dysprosium", supplier_country="FI", sourcing=[{"country": "FI", "share": 1.0}])


def test_a_line_from_the_plants_own_country_is_domestic() -> None:
    base = inputs(dependency=national_dependency())
    company = compute_company_score(base, CompanySourcing({Stage.PROCESSING: (("DE", 1.0),)}, Stage.PROCESSING), NOW)
    assert company.import_share == 0.0
    assert company.score.components.import_reliance == 0.0
    reliance = next(d for d in company.score.drivers if d.component == COMPONENT_IMPORT_RELIANCE)
    assert reliance.text.startswith("This line imports 0% of its dysprosium processing")


def test_for_the_eu_a_member_state_source_is_domestic() -> None:
    base = inputs(importer="EU")
    company = compute_company_score(
        base,
        CompanySourcing(
            {
                Stage.PROCESSING: (("FI", 0.3), ("CN", 0.7)),
            },
            Stage.PROCESSING,
        ),
        NOW,
    )
    assert company.import_share == pytest.approx(0.7)


def test_company_drivers_say_what_is_company_and_what_world() -> None:
    base = inputs(dependency=national_dependency())
    company = compute_company_score(base, CompanySourcing({Stage.PROCESSING: (("AU", 1.0),)}, Stage.PROCESSING), NOW)
    basis = dict(zip((d.component for d in company.score.drivers), company.driver_basis, strict=True))
    assert basis[COMPONENT_IMPORT_RELIANCE] == BASIS_COMPANY
    assert basis["site_concentration"] == BASIS_WORLD
    assert company.score.model_version == compute_score(base, NOW).model_version
    assert company.score.inputs_hash != compute_score(base, NOW).inputs_hash


def test_the_hs_table_is_generated_from_the_csv() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate_hs_table.py"), "--check"], capture_output=True, check=False
    )
    assert result.returncode == 0, result.stderr.decode()
