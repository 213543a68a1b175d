"""Example-based tests of the scoring model v1 (docs/scoring-model.md), on small literal fixtures.

Known cases on the real seed data (data/seed) are added separately; nothing here reads it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from shared.domain.errors import InvalidInputError
from shared.domain.models import (
    Band,
    CountryGovernance,
    ImporterDependency,
    MaterialProfile,
    Measure,
    PolicySignal,
    ProducerShare,
    RiskScore,
    SignalStatus,
    Stage,
)
from shared.domain.scoring import (
    COMPONENT_IMPORT_RELIANCE,
    COMPONENT_POLICY,
    COMPONENT_SITE,
    COMPONENT_SUPPLY_RISK,
    DEFAULT_PARAMETERS,
    MODEL_VERSION,
    ScoringInputs,
    ScoringParameters,
    band_for,
    combine_pressures,
    compute_score,
    governance_weighted_hhi,
    herfindahl_index,
    inputs_hash,
    signal_applies,
    signal_status_factor,
)
from tests.unit.fixtures import dysprosium, governance, shares, signal

AS_OF = date(2026, 5, 1)
COMPUTED_AT = datetime(2026, 5, 1, 12, 0, 0)
P = DEFAULT_PARAMETERS

GOVERNANCE = governance(CN=5.667, MM=8.5, VN=6.0, AU=1.6, US=2.2, JP=1.5)


def jp_dependency(**overrides: Any) -> ImporterDependency:
    fields: dict[str, Any] = {
        "importer": "JP",
        "material": "dysprosium",
        "import_reliance": 1.0,
        "sourcing": {
            Stage.EXTRACTION: shares(("CN", 0.7), ("MM", 0.3)),
            Stage.PROCESSING: shares(("CN", 0.9), ("VN", 0.1)),
        },
        "source": "fixture",
    }
    fields.update(overrides)
    return ImporterDependency(**fields)


def score_of(
    importer: str = "JP",
    material: MaterialProfile | None = None,
    dependency: ImporterDependency | None = None,
    signals: tuple[PolicySignal, ...] = (),
    as_of: date = AS_OF,
    governance: dict[str, CountryGovernance] | None = None,
    params: ScoringParameters = P,
) -> RiskScore:
    inputs = ScoringInputs(
        importer=importer,
        material=material or dysprosium(),
        dependency=dependency,
        governance=GOVERNANCE if governance is None else governance,
        signals=signals,
        as_of=as_of,
    )
    return compute_score(inputs, COMPUTED_AT, params)


# --- building blocks --------------------------------------------------------------------------------------


def test_herfindahl_index():
    assert herfindahl_index([]) == 0.0
    assert herfindahl_index([1.0]) == 1.0
    assert herfindahl_index([0.5, 0.5]) == pytest.approx(0.5)
    assert herfindahl_index([0.25] * 4) == pytest.approx(0.25)
    assert herfindahl_index([0.844, 0.093]) == pytest.approx(0.844**2 + 0.093**2)  # 0.720985


def test_governance_weighted_hhi_hand_computed():
    extraction = shares(("CN", 0.844), ("MM", 0.093))
    # 0.844^2 * 5.667 + 0.093^2 * 8.5 = 0.712336 * 5.667 + 0.008649 * 8.5 = 4.036808112 + 0.0735165
    assert governance_weighted_hhi(extraction, GOVERNANCE, 5.09) == pytest.approx(4.110324612)
    assert governance_weighted_hhi(shares(("CN", 1.0)), GOVERNANCE, 5.09) == pytest.approx(5.667)
    assert governance_weighted_hhi((), GOVERNANCE, 5.09) == 0.0


def test_governance_weighted_hhi_applies_trade_restriction_and_default_governance():
    restricted = (
        ProducerShare(country="CN", share=0.844, trade_restriction=1.5),
        ProducerShare(country="MM", share=0.093),
    )
    assert governance_weighted_hhi(restricted, GOVERNANCE, 5.09) == pytest.approx(
        0.712336 * 5.667 * 1.5 + 0.008649 * 8.5
    )
    # ZA has no governance entry: the default stands in for it.
    assert governance_weighted_hhi(shares(("ZA", 0.5)), GOVERNANCE, 5.09) == pytest.approx(0.25 * 5.09)


# --- signal status factor ---------------------------------------------------------------------------------


def test_status_in_force():
    assert signal_status_factor(signal(), AS_OF, P) == 1.0


def test_status_in_force_but_not_yet_effective():
    pending = signal(effective=date(2026, 12, 1))
    assert signal_status_factor(pending, date(2026, 11, 30), P) == 0.5
    assert signal_status_factor(pending, date(2026, 12, 1), P) == 1.0  # effective that day
    assert signal_status_factor(pending, date(2027, 1, 1), P) == 1.0


def test_status_reported():
    assert signal_status_factor(signal(status=SignalStatus.REPORTED), AS_OF, P) == 0.6


def test_status_suspended_and_lapsed_suspension():
    suspended = signal(status=SignalStatus.SUSPENDED, suspended_until=date(2026, 11, 10))
    assert signal_status_factor(suspended, AS_OF, P) == 0.1
    assert signal_status_factor(suspended, date(2026, 11, 10), P) == 0.1  # last day of the suspension
    assert signal_status_factor(suspended, date(2026, 11, 11), P) == 0.6  # past suspended_until: unconfirmed
    open_ended = signal(status=SignalStatus.SUSPENDED)
    assert signal_status_factor(open_ended, date(2030, 1, 1), P) == 0.1


def test_status_lifted_decays_with_a_half_life():
    lifted_at = date(2025, 11, 10)
    lifted = signal(status=SignalStatus.LIFTED, lifted_at=lifted_at)
    assert P.lifted_half_life_days == 90
    assert signal_status_factor(lifted, lifted_at - timedelta(days=1), P) == 1.0
    assert signal_status_factor(lifted, lifted_at, P) == 0.5  # the residual right after the lift
    assert signal_status_factor(lifted, lifted_at + timedelta(days=90), P) == pytest.approx(0.25)
    assert signal_status_factor(lifted, lifted_at + timedelta(days=180), P) == pytest.approx(0.125)
    assert signal_status_factor(lifted, lifted_at + timedelta(days=45), P) == pytest.approx(0.5 * 2**-0.5)


def test_lifting_never_raises_the_pressure_of_an_in_force_or_reported_signal():
    lifted_at = date(2025, 11, 10)
    for status in (SignalStatus.IN_FORCE, SignalStatus.REPORTED):
        before = signal_status_factor(signal(status=status), lifted_at, P)
        after = signal_status_factor(signal(status=SignalStatus.LIFTED, lifted_at=lifted_at), lifted_at, P)
        assert after < before


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"effective": date(2025, 6, 1)},
        {"status": SignalStatus.REPORTED},
        {"status": SignalStatus.SUSPENDED},
        {"status": SignalStatus.SUSPENDED, "suspended_until": date(2025, 4, 5)},
        {"status": SignalStatus.LIFTED, "lifted_at": date(2025, 4, 4)},
    ],
)
def test_status_factor_is_zero_before_the_announcement(overrides):
    s = signal(**overrides)
    assert signal_status_factor(s, s.announced - timedelta(days=1), P) == 0.0
    assert signal_status_factor(s, s.announced, P) > 0.0


# --- combination and bands --------------------------------------------------------------------------------


def test_combine_pressures():
    assert combine_pressures([]) == 0.0
    assert combine_pressures([0.3]) == pytest.approx(0.3)
    assert combine_pressures([0.5, 0.5]) == pytest.approx(0.75)
    assert combine_pressures([1.0, 0.2]) == 1.0
    assert combine_pressures([0.0, 0.0]) == 0.0


@pytest.mark.parametrize("pressures", [[0.9] * 50, [0.99] * 1000, [1.0] * 3, [0.6, 0.7, 0.8, 0.9, 1.0]])
def test_combine_pressures_never_exceeds_one(pressures):
    combined = combine_pressures(pressures)
    assert max(pressures) <= combined <= 1.0


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (0.0, Band.LOW),
        (24.9999, Band.LOW),
        (25.0, Band.MODERATE),
        (49.9999, Band.MODERATE),
        (50.0, Band.HIGH),
        (74.9999, Band.HIGH),
        (75.0, Band.CRITICAL),
        (100.0, Band.CRITICAL),
    ],
)
def test_band_thresholds(value, band):
    assert band_for(value) is band


def test_import_reliance_weight_keeps_the_composite_monotone():
    """docs/scoring-model.md, Monotonicity: w_IR >= 0.78 * w_SR (15.6 / 2 / 10 per unit of IR)."""
    max_hhi = 1.02**2 * 10 * 1.5
    assert P.weight_import_reliance >= max_hhi / 2 / P.supply_risk_saturation * P.weight_supply_risk
    assert P.weight_supply_risk + P.weight_import_reliance + P.weight_site == pytest.approx(1.0)


# --- the composite on a hand-computed case ----------------------------------------------------------------


def test_full_score_hand_computed():
    result = score_of(
        dependency=jp_dependency(
            sourcing={Stage.PROCESSING: shares(("CN", 0.9), ("VN", 0.1))}  # no extraction sourcing
        ),
        signals=(signal(),),
    )
    # processing: global 1.0^2 * 5.667 = 5.667; JP's sourcing 0.81 * 5.667 + 0.01 * 6.0 = 4.65027
    # SR = (5.667 * 1/2 + 4.65027 * (1 - 1/2)) * (1 - 0) * 1 = 5.158635 (extraction: 4.110324612)
    assert result.bottleneck_stage is Stage.PROCESSING
    assert result.components.concentration == pytest.approx(5.667)
    assert result.components.supply_risk == pytest.approx(5.158635)
    # S = 0.44 * 0.5158635 + 0.36 * 1.0 + 0.20 * 0.4 = 0.6669799
    # extraction sourcing estimated through JP's processing suppliers: CN refines its own ore for
    # min(1, 0.844 / 1.0) of what it sells, VN mines none; the rest (0.9 * 0.156 + 0.1 = 0.2404) is at world
    # extraction shares: CN 0.9 * 0.844 + 0.2404 * 0.844 = 0.9624976 (its extraction SR, ~4.68, stays below 5.16)
    # exposure to CN = max(extraction 0.9624976, processing 0.9); P = 0.8 * 0.9624976 * 1 * 1 = 0.76999808
    assert result.components.policy_pressure == pytest.approx(0.769998)
    # score = 100 * (0.6669799 + (1 - 0.6669799) * 0.76999808) = 92.34053
    assert result.score == pytest.approx(92.3405, abs=1e-9)
    assert result.contributions == pytest.approx(
        {
            COMPONENT_SUPPLY_RISK: 22.698,
            COMPONENT_IMPORT_RELIANCE: 36.0,
            COMPONENT_SITE: 8.0,
            COMPONENT_POLICY: 25.6425,
        },
        abs=1e-9,
    )
    assert sum(result.contributions.values()) == pytest.approx(result.score, abs=1e-9)
    assert result.band is Band.CRITICAL
    assert result.signal_ids == ("cn-2025-04-licensing",)
    assert result.model_version == MODEL_VERSION
    assert result.confidence == pytest.approx(0.9)  # partial sourcing only
    assert result.fallbacks == (
        "no extraction sourcing data for JP: estimated from its processing suppliers' share of world mining "
        "(the rest at world extraction shares)",
    )


def test_supply_risk_term_saturates_at_the_eu_scale_top():
    material = dysprosium(stages={Stage.PROCESSING: (ProducerShare(country="MM", share=1.0, trade_restriction=1.5),)})
    result = score_of(material=material, dependency=jp_dependency(sourcing={}))
    assert result.components.supply_risk == pytest.approx(12.75)  # 8.5 * 1.5, above the 0..10 scale
    assert result.contributions[COMPONENT_SUPPLY_RISK] == pytest.approx(44.0)


def test_lifting_a_signal_brings_the_score_down_over_its_half_life():
    lifted_at = date(2026, 1, 1)
    in_force = score_of(dependency=jp_dependency(), signals=(signal(),), as_of=lifted_at)
    lifted = [
        score_of(
            dependency=jp_dependency(),
            signals=(signal(status=SignalStatus.LIFTED, lifted_at=lifted_at),),
            as_of=lifted_at + timedelta(days=days),
        )
        for days in (0, 90, 180, 720)
    ]
    assert lifted[0].score < in_force.score
    assert [r.score for r in lifted] == sorted((r.score for r in lifted), reverse=True)
    # one signal: its pressure is severity x exposure x status, and the status halves every half-life
    assert lifted[1].components.policy_pressure == pytest.approx(lifted[0].components.policy_pressure / 2, abs=1e-6)
    assert lifted[2].components.policy_pressure == pytest.approx(lifted[0].components.policy_pressure / 4, abs=1e-6)
    no_signal = score_of(dependency=jp_dependency(), as_of=lifted_at)
    assert lifted[3].score == pytest.approx(no_signal.score, abs=0.5)


# --- which signals apply ----------------------------------------------------------------------------------


def test_a_signal_never_counts_against_its_issuer():
    cn_dependency = ImporterDependency(importer="CN", material="dysprosium", import_reliance=0.0, source="fixture")
    result = score_of(importer="CN", dependency=cn_dependency, signals=(signal(severity=1.0),))
    assert not signal_applies(signal(), "CN", dysprosium())
    assert result.components.policy_pressure == 0.0
    assert result.contributions[COMPONENT_POLICY] == 0.0
    assert result.signal_ids == ()
    assert result.score == score_of(importer="CN", dependency=cn_dependency).score


def test_a_signal_applies_only_to_its_targets():
    jp_only = signal(targets=("JP",))
    us_dependency = ImporterDependency(importer="US", material="dysprosium", import_reliance=1.0, source="fixture")
    us = score_of(importer="US", dependency=us_dependency, signals=(jp_only,))
    assert not signal_applies(jp_only, "US", dysprosium())
    assert us.components.policy_pressure == 0.0
    assert us.signal_ids == ()
    jp = score_of(dependency=jp_dependency(), signals=(jp_only,))
    assert jp.components.policy_pressure > 0.0
    assert jp.signal_ids == (jp_only.id,)
    assert signal_applies(signal(targets=("EU",)), "EU", dysprosium())
    assert not signal_applies(signal(targets=("EU",)), "DE", dysprosium())


def test_a_signal_on_a_group_touches_the_materials_of_that_group():
    on_group = signal(id="cn-rare-earths", materials=("rare_earths",))
    assert signal_applies(on_group, "JP", dysprosium())
    assert not signal_applies(on_group, "JP", dysprosium(groups=()))
    assert not signal_applies(signal(materials=("gallium",)), "JP", dysprosium())
    result = score_of(dependency=jp_dependency(), signals=(on_group,))
    assert result.signal_ids == ("cn-rare-earths",)
    assert result.components.policy_pressure == pytest.approx(0.8 * 0.9)


def test_issuer_exposure_falls_back_to_world_share_without_sourcing():
    mm = signal(id="mm-border", issuer="MM", measure=Measure.INFORMAL_EMBARGO, severity=0.5)
    # no sourcing: MM's world share, max over stages = max(0.093, 0)
    assert score_of(importer="US", signals=(mm,)).components.policy_pressure == pytest.approx(0.5 * 0.093)
    # full sourcing: JP's share from MM, max over stages = max(0.3, 0)
    assert score_of(dependency=jp_dependency(), signals=(mm,)).components.policy_pressure == pytest.approx(0.5 * 0.3)
    # sourcing for processing only: extraction is estimated through the processing suppliers, and MM mines for
    # the part bought at world extraction shares (0.9 * (1 - 0.844) + 0.1 = 0.2404, see the hand-computed case)
    partial = jp_dependency(sourcing={Stage.PROCESSING: shares(("CN", 0.9), ("VN", 0.1))})
    assert score_of(dependency=partial, signals=(mm,)).components.policy_pressure == pytest.approx(
        0.5 * 0.2404 * 0.093, abs=1e-6
    )


def test_signal_pressure_scales_with_status_and_confidence():
    base = score_of(dependency=jp_dependency(), signals=(signal(),)).components.policy_pressure
    reported = signal(status=SignalStatus.REPORTED, confidence=0.5)
    weaker = score_of(dependency=jp_dependency(), signals=(reported,)).components.policy_pressure
    assert weaker == pytest.approx(base * 0.6 * 0.5)


def test_several_signals_combine_without_exceeding_one():
    signals = (signal(id="a", severity=1.0), signal(id="b", severity=1.0), signal(id="c", issuer="VN"))
    result = score_of(dependency=jp_dependency(), signals=signals)
    assert result.components.policy_pressure == pytest.approx(1 - (1 - 0.9) * (1 - 0.9) * (1 - 0.8 * 0.1))
    assert result.components.policy_pressure <= 1.0
    assert result.score <= 100.0


# --- fallbacks and confidence -----------------------------------------------------------------------------


def test_full_data_has_full_confidence_and_no_fallbacks():
    result = score_of(dependency=jp_dependency())
    assert result.confidence == 1.0
    assert result.fallbacks == ()


def test_missing_dependency_lowers_confidence_and_names_the_fallbacks():
    result = score_of(importer="US")
    assert result.confidence == pytest.approx(1.0 - P.penalty_default_import_reliance - P.penalty_no_sourcing)
    assert result.confidence == pytest.approx(0.6)
    assert len(result.fallbacks) == 2
    assert result.fallbacks[0].startswith("no import reliance for US: assumed 1 - its share of world extraction (100%)")
    assert result.fallbacks[1] == "no sourcing data for US: world supply shares used instead"
    assert result.components.import_reliance == 1.0
    # With no sourcing the importer's concentration is the world's.
    assert result.components.supply_risk == pytest.approx(5.667)


def test_missing_import_reliance_falls_back_to_one_minus_the_importers_world_share():
    material = dysprosium(
        stages={
            Stage.EXTRACTION: shares(("CN", 0.6), ("MM", 0.1), ("US", 0.3)),
            Stage.PROCESSING: shares(("CN", 1.0)),
        }
    )
    result = score_of(importer="US", material=material, dependency=None)
    # its share of world extraction, the first stage (refining imported feed is not self-sufficiency)
    assert result.components.import_reliance == pytest.approx(0.7)
    assert any(f.startswith("no import reliance for US") for f in result.fallbacks)


def test_missing_import_reliance_only():
    result = score_of(dependency=jp_dependency(import_reliance=None))
    assert result.confidence == pytest.approx(0.8)
    assert result.fallbacks == ("no import reliance for JP: assumed 1 - its share of world extraction (100%)",)


def test_missing_recycling_substitution_and_governance_are_named():
    material = dysprosium(
        recycling_input_rate=None,
        substitution_index=None,
        stages={
            Stage.EXTRACTION: shares(("CN", 0.844), ("MM", 0.093), ("ZA", 0.05), ("BR", 0.005)),
            Stage.PROCESSING: shares(("CN", 1.0)),
        },
    )
    result = score_of(material=material, dependency=jp_dependency())
    assert result.fallbacks == (
        "no end-of-life recycling input rate: assumed 0%",
        "no substitution index: assumed 1 (no substitute)",
        # BR is below 1 % and not named
        "no governance data for ZA: WGI median 5.09 used",
    )
    assert result.confidence == pytest.approx(0.85)
    # the defaults are the conservative values 0 and 1 the fixture already uses
    assert result.score == score_of(material=dysprosium(stages=material.stages), dependency=jp_dependency()).score


def test_confidence_never_drops_below_the_floor():
    params = ScoringParameters(penalty_no_sourcing=0.95)
    assert score_of(importer="US", params=params).confidence == pytest.approx(P.min_confidence)


# --- bad input ----------------------------------------------------------------------------------------------


def test_a_dependency_for_another_material_is_rejected():
    wrong = ImporterDependency(importer="JP", material="terbium", import_reliance=1.0, source="fixture")
    with pytest.raises(InvalidInputError) as exc:
        score_of(dependency=wrong)
    assert exc.value.field == "material"
    assert "terbium" in exc.value.message


def test_a_dependency_for_another_importer_is_rejected():
    with pytest.raises(InvalidInputError) as exc:
        score_of(importer="US", dependency=jp_dependency())
    assert exc.value.field == "importer"


def _profile_data(**stages: Any) -> dict[str, Any]:
    return {"id": "dysprosium", "name": "Dysprosium", "stages": stages, "source": "fixture"}


def test_parse_rejects_shares_adding_up_above_tolerance():
    MaterialProfile.parse(_profile_data(extraction=[{"country": "CN", "share": 0.9}, {"country": "MM", "share": 0.12}]))
    with pytest.raises(InvalidInputError) as exc:
        MaterialProfile.parse(
            _profile_data(extraction=[{"country": "CN", "share": 0.9}, {"country": "MM", "share": 0.121}])
        )
    assert "stages.extraction" in exc.value.message
    assert "1.0210" in exc.value.message


def test_parse_rejects_sourcing_shares_adding_up_above_tolerance():
    with pytest.raises(InvalidInputError) as exc:
        ImporterDependency.parse(
            {
                "importer": "JP",
                "material": "dysprosium",
                "sourcing": {"processing": [{"country": "CN", "share": 0.9}, {"country": "VN", "share": 0.2}]},
                "source": "fixture",
            }
        )
    assert "sourcing.processing" in exc.value.message


def test_parse_rejects_a_negative_share():
    with pytest.raises(InvalidInputError) as exc:
        MaterialProfile.parse(_profile_data(extraction=[{"country": "CN", "share": -0.1}]))
    assert exc.value.field == "stages.extraction.0.share"
    assert "stages.extraction.0.share" in exc.value.message


def test_parse_rejects_an_unknown_stage():
    with pytest.raises(InvalidInputError) as exc:
        MaterialProfile.parse(_profile_data(mining=[{"country": "CN", "share": 0.5}]))
    assert exc.value.field is not None
    assert exc.value.field.startswith("stages.mining")


def test_parse_rejects_an_unknown_country_code():
    with pytest.raises(InvalidInputError) as exc:
        MaterialProfile.parse(_profile_data(extraction=[{"country": "XX", "share": 0.5}]))
    assert exc.value.field == "stages.extraction.0.country"
    assert "XX" in exc.value.message


def test_parse_rejects_lifted_without_lifted_at():
    data = signal().model_dump(mode="json") | {"status": "lifted"}
    with pytest.raises(InvalidInputError) as exc:
        PolicySignal.parse(data)
    assert "lifted_at" in exc.value.message
    PolicySignal.parse(data | {"lifted_at": "2025-11-10"})


# --- hash -------------------------------------------------------------------------------------------------


def test_inputs_hash_ignores_signals_that_do_not_apply_but_not_ones_that_do():
    def hash_with(*signals: PolicySignal) -> str:
        return inputs_hash(ScoringInputs("JP", dysprosium(), jp_dependency(), GOVERNANCE, signals, AS_OF))

    base = hash_with()
    assert hash_with(signal(materials=("gallium",))) == base
    assert hash_with(signal(targets=("US",))) == base
    assert hash_with(signal()) != base
    assert hash_with(signal(), signal(id="other", materials=("gallium",))) == hash_with(signal())
