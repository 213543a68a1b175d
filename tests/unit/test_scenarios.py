"""What-if changes (shared/domain/scenarios.py) on small literal fixtures, alone and fed to the scoring model."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.errors import InvalidInputError
from shared.domain.models import (
    ImporterDependency,
    MaterialProfile,
    Measure,
    PolicySignal,
    ProducerShare,
    RiskScore,
    SignalStatus,
    Stage,
)
from shared.domain.scenarios import (
    AddSignalChange,
    LiftSignalChange,
    ScenarioChange,
    SetSupplyShareChange,
    apply_to_material,
    apply_to_signals,
    rescale_shares,
)
from shared.domain.scoring import DEFAULT_PARAMETERS, ScoringInputs, compute_score, signal_status_factor
from tests.unit import fixtures
from tests.unit.fixtures import dysprosium, governance, shares

AS_OF = date(2026, 5, 1)
COMPUTED_AT = datetime(2026, 5, 1, 12, 0, 0)

GOVERNANCE = governance(CN=5.667, MM=8.5, VN=6.0, AU=1.6, US=2.2, JP=1.5, MY=3.9)


def as_pairs(result: tuple[ProducerShare, ...]) -> list[tuple[str, Any]]:
    return [(s.country, s.share) for s in result]


def neodymium() -> MaterialProfile:
    return MaterialProfile(
        id="neodymium",
        name="Neodymium",
        groups=("rare_earths", "lree"),
        stages={
            Stage.EXTRACTION: shares(("CN", 0.683), ("AU", 0.099), ("US", 0.092), ("MM", 0.075)),
            Stage.PROCESSING: shares(("CN", 0.849), ("MY", 0.105)),
        },
        recycling_input_rate=0.01,
        substitution_index=0.9,
        source="fixture",
    )


def dependency(importer: str, material: str, **overrides: Any) -> ImporterDependency:
    fields: dict[str, Any] = {
        "importer": importer,
        "material": material,
        "import_reliance": 1.0,
        "sourcing": {Stage.PROCESSING: shares(("CN", 0.9), ("VN", 0.1))},
        "source": "fixture",
    }
    fields.update(overrides)
    return ImporterDependency(**fields)


def signal(**overrides: Any) -> PolicySignal:
    return fixtures.signal(**{"severity": 0.4, **overrides})


SIGNALS = (
    signal(),
    signal(
        id="cn-jp-slowdown",
        measure=Measure.LICENCE_SLOWDOWN,
        materials=("dysprosium", "terbium"),
        targets=("JP",),
        severity=0.7,
        status=SignalStatus.REPORTED,
    ),
    signal(id="cn-2010-jp-embargo", materials=("rare_earths",), targets=("JP",), severity=0.9,
           announced=date(2010, 9, 21), status=SignalStatus.LIFTED, lifted_at=date(2010, 11, 30)),
    signal(id="cn-us-ban-suspended", measure=Measure.EXPORT_BAN, materials=("hree",), targets=("US",), severity=1.0,
           announced=date(2024, 12, 3), status=SignalStatus.SUSPENDED),
)  # fmt: skip


def export_ban(**overrides: Any) -> PolicySignal:
    return signal(
        **{"id": "what-if-0", "measure": Measure.EXPORT_BAN, "severity": 1.0, "announced": AS_OF, **overrides}
    )


def score(
    importer: str,
    material: MaterialProfile,
    dependency_: ImporterDependency | None,
    signals: tuple[PolicySignal, ...] | list[PolicySignal] = SIGNALS,
) -> RiskScore:
    inputs = ScoringInputs(
        importer=importer,
        material=material,
        dependency=dependency_,
        governance=GOVERNANCE,
        signals=tuple(signals),
        as_of=AS_OF,
    )
    return compute_score(inputs, COMPUTED_AT)


def scenario_score(
    importer: str,
    material: MaterialProfile,
    dependency_: ImporterDependency | None,
    changes: list[ScenarioChange],
    signals: tuple[PolicySignal, ...] = SIGNALS,
) -> RiskScore:
    return score(importer, apply_to_material(material, changes), dependency_, apply_to_signals(signals, changes, AS_OF))


# --- rescale_shares -----------------------------------------------------------------------------------------


def test_rescale_keeps_the_stage_total():
    result = rescale_shares(shares(("CN", 0.6), ("MM", 0.3), ("VN", 0.1)), "CN", 0.3)
    # the others (0.4) are scaled to fill 0.7: x 1.75
    assert [c for c, _ in as_pairs(result)] == ["MM", "CN", "VN"]
    assert [s for _, s in as_pairs(result)] == pytest.approx([0.525, 0.3, 0.175])
    assert sum(s.share for s in result) == pytest.approx(1.0)


def test_rescale_keeps_a_total_below_one():
    result = rescale_shares(shares(("CN", 0.6), ("MM", 0.2)), "MM", 0.4)
    assert as_pairs(result) == [("MM", 0.4), ("CN", pytest.approx(0.4))]
    assert sum(s.share for s in result) == pytest.approx(0.8)


def test_rescale_adds_a_new_country_and_shrinks_the_others():
    result = rescale_shares(shares(("CN", 0.9), ("MM", 0.1)), "AU", 0.5)
    assert as_pairs(result) == [("AU", 0.5), ("CN", pytest.approx(0.45)), ("MM", pytest.approx(0.05))]
    assert result[0].trade_restriction == 1.0


def test_rescale_keeps_the_country_trade_restriction():
    before = (ProducerShare(country="CN", share=0.8, trade_restriction=1.5), *shares(("MM", 0.2)))
    result = rescale_shares(before, "CN", 0.5)
    cn = next(s for s in result if s.country == "CN")
    assert (cn.share, cn.trade_restriction) == (0.5, 1.5)


def test_a_share_above_the_stage_total_pushes_everyone_else_out():
    result = rescale_shares(shares(("CN", 0.6), ("MM", 0.2)), "AU", 0.95)
    assert as_pairs(result) == [("AU", 0.95)]
    assert as_pairs(rescale_shares(shares(("CN", 0.9), ("MM", 0.1)), "MM", 1.0)) == [("MM", 1.0)]


def test_when_there_are_no_others_the_total_cannot_be_kept():
    # a single producer: nobody to scale up, so the freed share is simply unattributed
    assert as_pairs(rescale_shares(shares(("CN", 1.0)), "CN", 0.4)) == [("CN", 0.4)]
    # no producers at all: the new country is the only one
    assert as_pairs(rescale_shares((), "AU", 0.3)) == [("AU", 0.3)]


def test_a_zero_share_removes_the_country():
    result = rescale_shares(shares(("CN", 0.8), ("MM", 0.2)), "CN", 0.0)
    assert as_pairs(result) == [("MM", pytest.approx(1.0))]


def test_setting_the_same_share_changes_nothing():
    before = shares(("CN", 0.7), ("MM", 0.2), ("VN", 0.1))
    assert as_pairs(rescale_shares(before, "MM", 0.2)) == [("CN", 0.7), ("MM", 0.2), ("VN", 0.1)]


share_lists = st.dictionaries(
    st.sampled_from(["CN", "MM", "AU", "US", "VN", "MY"]), st.floats(0.01, 1.0), min_size=0, max_size=6
).map(lambda d: {c: s / max(1.0, sum(d.values())) for c, s in d.items()})


@given(before=share_lists, country=st.sampled_from(["CN", "AU", "BR"]), share=st.floats(0.0, 1.0))
def test_rescale_properties(before, country, share):
    original = shares(*before.items())
    result = rescale_shares(original, country, share)
    total = sum(before.values())
    others = total - before.get(country, 0.0)
    assert len({s.country for s in result}) == len(result)
    assert all(0 < s.share <= 1.0 + 1e-9 for s in result)
    assert next((s.share for s in result if s.country == country), 0.0) == share
    new_total = sum(s.share for s in result)
    if others > 0:
        assert new_total == pytest.approx(max(total, share), abs=1e-9)
    assert new_total <= max(total, share) + 1e-9
    assert [s.share for s in result] == sorted((s.share for s in result), reverse=True)


# --- apply_to_material --------------------------------------------------------------------------------------


def test_apply_to_material_touches_only_its_material():
    dy, nd = dysprosium(), neodymium()
    changes: list[ScenarioChange] = [
        SetSupplyShareChange(type="set_supply_share", material="dysprosium", stage=Stage.PROCESSING, country="AU",
                             share=0.8),
    ]  # fmt: skip
    assert apply_to_material(nd, changes) is nd
    changed = apply_to_material(dy, changes)
    assert as_pairs(changed.stages[Stage.PROCESSING]) == [("AU", 0.8), ("CN", pytest.approx(0.2))]
    assert changed.stages[Stage.EXTRACTION] == dy.stages[Stage.EXTRACTION]
    assert changed.model_dump(exclude={"stages"}) == dy.model_dump(exclude={"stages"})
    assert dy.stages[Stage.PROCESSING] == shares(("CN", 1.0))  # the input is not modified


def test_apply_to_material_applies_changes_in_order_and_can_add_a_stage():
    lithium = MaterialProfile(
        id="lithium", name="Lithium", stages={Stage.EXTRACTION: shares(("AU", 0.5))}, source="fixture"
    )
    changes: list[ScenarioChange] = [
        SetSupplyShareChange(type="set_supply_share", material="lithium", stage=Stage.PROCESSING, country="CN",
                             share=0.6),
        SetSupplyShareChange(type="set_supply_share", material="lithium", stage=Stage.PROCESSING, country="US",
                             share=0.4),
    ]  # fmt: skip
    changed = apply_to_material(lithium, changes)
    # the first change creates the stage (total 0.6); the second keeps that total: CN is scaled to 0.2
    assert as_pairs(changed.stages[Stage.PROCESSING]) == [("US", 0.4), ("CN", pytest.approx(0.2))]
    assert changed.stages[Stage.EXTRACTION] == lithium.stages[Stage.EXTRACTION]


def test_signal_changes_leave_materials_alone():
    dy = dysprosium()
    assert apply_to_material(dy, [AddSignalChange(type="add_signal", signal=export_ban())]) is dy
    assert apply_to_material(dy, []) is dy


# --- apply_to_signals ---------------------------------------------------------------------------------------


def test_add_signal_adds_or_replaces_by_id():
    ban = export_ban()
    result = apply_to_signals(SIGNALS, [AddSignalChange(type="add_signal", signal=ban)], AS_OF)
    assert result == [*SIGNALS, ban]
    stronger = signal(severity=0.9)
    replaced = apply_to_signals(SIGNALS, [AddSignalChange(type="add_signal", signal=stronger)], AS_OF)
    assert replaced == [stronger, *SIGNALS[1:]]


def test_lift_without_days_removes_the_signal():
    result = apply_to_signals(SIGNALS, [LiftSignalChange(type="lift_signal", signal_id="cn-jp-slowdown")], AS_OF)
    assert [s.id for s in result] == ["cn-2025-04-licensing", "cn-2010-jp-embargo", "cn-us-ban-suspended"]
    assert len(SIGNALS) == 4  # the input is not modified


def test_lift_with_days_marks_it_lifted_and_it_decays():
    change = LiftSignalChange(type="lift_signal", signal_id="cn-2025-04-licensing", days_since_lifted=90)
    lifted = apply_to_signals(SIGNALS, [change], AS_OF)[0]
    assert (lifted.status, lifted.lifted_at) == (SignalStatus.LIFTED, AS_OF - timedelta(days=90))
    assert lifted.model_dump(exclude={"status", "lifted_at"}) == SIGNALS[0].model_dump(exclude={"status", "lifted_at"})
    # one half-life after lifting, half the residual is left
    residual = DEFAULT_PARAMETERS.status_lifted_residual
    assert signal_status_factor(lifted, AS_OF, DEFAULT_PARAMETERS) == pytest.approx(residual / 2)


def test_lift_before_the_announcement_is_clamped_to_the_announcement():
    change = LiftSignalChange(type="lift_signal", signal_id="cn-2025-04-licensing", days_since_lifted=10_000)
    lifted = apply_to_signals(SIGNALS, [change], AS_OF)[0]
    assert lifted.lifted_at == SIGNALS[0].announced


@pytest.mark.parametrize("days", [0, 30])
@pytest.mark.parametrize("signal_id", ["cn-us-ban-suspended", "cn-2010-jp-embargo"])
def test_a_lift_never_makes_a_signal_bind_harder(signal_id, days):
    """A suspended signal (0.1) or one lifted long ago (~0) would bind at the lifted residual (0.5) if "lifted"
    recently: it stays as it is instead."""
    change = LiftSignalChange(type="lift_signal", signal_id=signal_id, days_since_lifted=days)
    assert apply_to_signals(SIGNALS, [change], AS_OF) == list(SIGNALS)


def test_a_suspended_signal_lifted_long_enough_ago_decays_below_its_suspended_strength():
    change = LiftSignalChange(type="lift_signal", signal_id="cn-us-ban-suspended", days_since_lifted=365)
    lifted = next(s for s in apply_to_signals(SIGNALS, [change], AS_OF) if s.id == "cn-us-ban-suspended")
    assert lifted.status is SignalStatus.LIFTED
    assert signal_status_factor(lifted, AS_OF, DEFAULT_PARAMETERS) < DEFAULT_PARAMETERS.status_suspended


def test_a_reported_signal_lifted_today_drops_to_the_residual():
    change = LiftSignalChange(type="lift_signal", signal_id="cn-jp-slowdown", days_since_lifted=0)
    lifted = next(s for s in apply_to_signals(SIGNALS, [change], AS_OF) if s.id == "cn-jp-slowdown")
    assert (lifted.status, lifted.lifted_at) == (SignalStatus.LIFTED, AS_OF)
    assert signal_status_factor(lifted, AS_OF, DEFAULT_PARAMETERS) == DEFAULT_PARAMETERS.status_lifted_residual


def test_lifting_an_unknown_signal_is_an_error():
    with pytest.raises(InvalidInputError) as err:
        apply_to_signals(SIGNALS, [LiftSignalChange(type="lift_signal", signal_id="nope")], AS_OF)
    assert err.value.field == "signal_id"
    assert "nope" in err.value.message


def test_a_signal_added_by_the_scenario_can_then_be_lifted():
    changes: list[ScenarioChange] = [
        AddSignalChange(type="add_signal", signal=export_ban()),
        LiftSignalChange(type="lift_signal", signal_id="what-if-0"),
    ]
    assert apply_to_signals(SIGNALS, changes, AS_OF) == list(SIGNALS)


# --- with the scoring model ---------------------------------------------------------------------------------

PAIRS = [
    ("JP", dysprosium(), dependency("JP", "dysprosium")),
    ("JP", dysprosium(), None),
    ("US", dysprosium(), dependency("US", "dysprosium", import_reliance=0.8)),
    ("EU", neodymium(), dependency("EU", "neodymium", sourcing={Stage.EXTRACTION: shares(("AU", 0.6), ("CN", 0.4))})),
    ("JP", neodymium(), None),
    ("CN", dysprosium(), None),  # the issuer itself: its own controls never count against it
]


@pytest.mark.parametrize(("importer", "material", "dep"), PAIRS)
def test_no_changes_is_exactly_the_baseline(importer, material, dep):
    baseline = score(importer, material, dep)
    what_if = scenario_score(importer, material, dep, [])
    assert what_if == baseline
    assert what_if.inputs_hash == baseline.inputs_hash


@pytest.mark.parametrize(("importer", "material", "dep"), PAIRS)
@pytest.mark.parametrize("targets", [("ALL",), ("JP",), ("US", "EU")])
def test_a_full_export_ban_from_the_dominant_supplier_never_lowers_a_score(importer, material, dep, targets):
    baseline = score(importer, material, dep)
    ban = export_ban(materials=("rare_earths",), targets=targets)
    what_if = scenario_score(importer, material, dep, [AddSignalChange(type="add_signal", signal=ban)])
    assert what_if.score >= baseline.score
    assert what_if.components.policy_pressure >= baseline.components.policy_pressure


def test_an_export_ban_to_japan_raises_japanese_dysprosium():
    dep = dependency("JP", "dysprosium")
    baseline = score("JP", dysprosium(), dep)
    ban = export_ban(targets=("JP",))
    what_if = scenario_score("JP", dysprosium(), dep, [AddSignalChange(type="add_signal", signal=ban)])
    assert what_if.score > baseline.score
    assert "what-if-0" in what_if.signal_ids
    assert what_if.inputs_hash != baseline.inputs_hash
    # severity 1 x JP's exposure to CN on top of the existing pressure. The exposure is the larger of its stages:
    # processing 0.9 (its sourcing), extraction estimated through its suppliers (model 1.1): CN refines ore for
    # min(1, 0.844 / 1.0) of what it sells, the rest of JP's supply is at world extraction shares (CN 0.844).
    own_ore = 0.9 * 0.844
    exposure = own_ore + (1 - own_ore) * 0.844
    expected = 1 - (1 - baseline.components.policy_pressure) * (1 - exposure)
    assert what_if.components.policy_pressure == pytest.approx(expected, abs=1e-6)
    assert any("[what-if-0]" in d.text for d in what_if.drivers)
    # the issuer's own pair is untouched
    us = dependency("US", "dysprosium")
    assert scenario_score("US", dysprosium(), us, [AddSignalChange(type="add_signal", signal=ban)]) == score(
        "US", dysprosium(), us
    )


def test_lifting_a_signal_lowers_the_scores_it_touched():
    dep = dependency("US", "dysprosium", import_reliance=0.8)
    baseline = score("US", dysprosium(), dep)
    gone = scenario_score(
        "US", dysprosium(), dep, [LiftSignalChange(type="lift_signal", signal_id="cn-2025-04-licensing")]
    )
    decaying = scenario_score(
        "US",
        dysprosium(),
        dep,
        [LiftSignalChange(type="lift_signal", signal_id="cn-2025-04-licensing", days_since_lifted=90)],
    )
    assert gone.score < decaying.score < baseline.score
    assert "cn-2025-04-licensing" in baseline.signal_ids
    assert gone.signal_ids == ("cn-us-ban-suspended",)  # only the suspended ban is left
    # exposure: the estimated extraction share of CN (0.9 * 0.844 + (1 - 0.9 * 0.844) * 0.844), above the 0.9
    exposure = 0.9 * 0.844 + (1 - 0.9 * 0.844) * 0.844
    assert gone.components.policy_pressure == pytest.approx(
        1.0 * exposure * DEFAULT_PARAMETERS.status_suspended, abs=1e-6
    )


@pytest.mark.parametrize(("importer", "material", "dep"), PAIRS)
@pytest.mark.parametrize("signal_id", [s.id for s in SIGNALS])
@pytest.mark.parametrize("days", [None, 0, 1, 30, 90, 365, 10_000])
def test_a_lift_never_raises_a_score(importer, material, dep, signal_id, days):
    baseline = score(importer, material, dep)
    change = LiftSignalChange(type="lift_signal", signal_id=signal_id, days_since_lifted=days)
    assert scenario_score(importer, material, dep, [change]).score <= baseline.score


def test_moving_processing_away_from_the_dominant_supplier_lowers_a_world_share_score():
    # no sourcing data: the importer is scored on world shares, so the change reaches it
    baseline = score("JP", dysprosium(), None)
    move = SetSupplyShareChange(
        type="set_supply_share", material="dysprosium", stage=Stage.PROCESSING, country="AU", share=0.8
    )
    what_if = scenario_score("JP", dysprosium(), None, [move])
    assert what_if.score < baseline.score
    assert what_if.components.concentration <= baseline.components.concentration
