"""Model 1.2 signal semantics on literal fixtures: stage-specific exposure, quota bindingness, announced status and
non-state disruptions (docs/scoring-model.md section 6)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from shared.domain.models import (
    ImporterDependency,
    Measure,
    PolicySignal,
    RiskScore,
    SignalStatus,
    Stage,
)
from shared.domain.scoring import (
    COMPONENT_POLICY,
    DEFAULT_PARAMETERS,
    ScoringInputs,
    compute_score,
    effective_severity,
    quota_bindingness,
    signal_exposure,
    signal_status_factor,
)
from shared.domain.signal_rows import QUOTA_WITH_VOLUMES_SEVERITY, signal_fields_from_row
from tests.unit.fixtures import dysprosium, governance, shares, signal

AS_OF = date(2026, 5, 1)
P = DEFAULT_PARAMETERS
GOVERNANCE = governance(CN=5.667, MM=8.5, VN=6.0, AU=1.6, JP=1.5)


def _jp(**sourcing: tuple[tuple[str, float], ...]) -> ImporterDependency:
    return ImporterDependency(
        importer="JP",
        material="dysprosium",
        import_reliance=1.0,
        sourcing={Stage(k): shares(*v) for k, v in sourcing.items()},
        source="fixture",
    )


def _score(*signals: PolicySignal, dependency: ImporterDependency | None = None, as_of: date = AS_OF) -> RiskScore:
    inputs = ScoringInputs(
        importer="JP",
        material=dysprosium(),
        dependency=dependency,
        governance=GOVERNANCE,
        signals=signals,
        as_of=as_of,
    )
    return compute_score(inputs, datetime(2026, 5, 1, 12), P)


def _policy_texts(result: RiskScore) -> list[str]:
    return [d.text for d in result.drivers if d.component == COMPONENT_POLICY]


# --- stage-specific exposure --------------------------------------------------------------------------------

#: JP buys its dysprosium ore 30% from Myanmar, its processed dysprosium from China and Vietnam only
JP = _jp(extraction=(("CN", 0.7), ("MM", 0.3)), processing=(("CN", 0.9), ("VN", 0.1)))


def test_exposure_is_the_max_over_the_signals_stages_only():
    material = dysprosium()
    sourcing = JP.sourcing
    ore_ban = signal(issuer="MM", stages=(Stage.EXTRACTION,))
    refined_ban = signal(issuer="MM", stages=(Stage.PROCESSING,))
    every_stage = signal(issuer="MM")
    assert signal_exposure(ore_ban, material, sourcing) == pytest.approx(0.3)
    assert signal_exposure(refined_ban, material, sourcing) == 0.0  # JP buys no processed dysprosium from MM
    assert signal_exposure(every_stage, material, sourcing) == pytest.approx(0.3)
    assert signal_exposure(signal(issuer="VN", stages=(Stage.EXTRACTION,)), material, sourcing) == 0.0
    assert signal_exposure(signal(issuer="VN", stages=(Stage.PROCESSING,)), material, sourcing) == pytest.approx(0.1)


def test_stage_exposure_falls_back_to_the_world_share_at_that_stage():
    # no sourcing: the world shares (CN 84.4% of extraction, 100% of processing)
    material = dysprosium()
    assert signal_exposure(signal(stages=(Stage.EXTRACTION,)), material, {}) == pytest.approx(0.844)
    assert signal_exposure(signal(stages=(Stage.PROCESSING,)), material, {}) == pytest.approx(1.0)


def test_a_stage_the_material_does_not_have_gives_no_exposure():
    processing_only = dysprosium(stages={Stage.PROCESSING: shares(("CN", 1.0))}, sites=())
    assert signal_exposure(signal(stages=(Stage.EXTRACTION,)), processing_only, {}) == 0.0


def test_an_ore_only_ban_scores_below_the_same_ban_on_every_stage():
    ore = _score(
        signal(issuer="VN", measure=Measure.EXPORT_BAN, severity=1.0, stages=(Stage.EXTRACTION,)), dependency=JP
    )
    refined = _score(signal(issuer="VN", measure=Measure.EXPORT_BAN, severity=1.0), dependency=JP)
    assert ore.components.policy_pressure == 0.0  # JP buys no Vietnamese ore
    assert refined.components.policy_pressure == pytest.approx(0.1)
    assert ore.score < refined.score


def test_stage_exposure_uses_the_estimated_extraction_sourcing():
    # processing sourcing only: the model estimates the ore mix (CN refines mostly its own ore)
    processing_only = _jp(processing=(("CN", 1.0),))
    result = _score(signal(issuer="MM", stages=(Stage.EXTRACTION,), severity=1.0), dependency=processing_only)
    # CN's own ore: min(1, 0.844 / 1.0) of its refining; the rest (15.6%) at world extraction shares: MM 9.3%
    assert result.components.policy_pressure == pytest.approx(0.156 * 0.093, abs=1e-6)
    assert "on extraction of dysprosium" in _policy_texts(result)[0]


# --- quotas -------------------------------------------------------------------------------------------------


def _quota(quota: float | None, reference: float | None, severity: float = 1.0) -> PolicySignal:
    return signal(
        id="cd-quota",
        measure=Measure.EXPORT_QUOTA,
        severity=severity,
        quota_tonnes=quota,
        reference_tonnes=reference,
    )


def test_quota_bindingness_and_severity():
    assert quota_bindingness(_quota(96_600, 151_915)) == pytest.approx(1 - 96_600 / 151_915)
    assert effective_severity(_quota(96_600, 151_915)) == pytest.approx(1 - 96_600 / 151_915)
    assert effective_severity(_quota(0, 100_000)) == 1.0  # a zero quota is a ban
    assert effective_severity(_quota(120_000, 100_000)) == 0.0  # not binding
    assert effective_severity(_quota(50_000, 100_000, severity=0.8)) == pytest.approx(0.4)


def test_a_quota_without_both_volumes_keeps_its_severity():
    assert quota_bindingness(_quota(None, None, severity=0.6)) is None
    assert effective_severity(_quota(None, None, severity=0.6)) == 0.6
    assert effective_severity(_quota(96_600, None, severity=0.6)) == 0.6
    assert effective_severity(signal(measure=Measure.QUOTA, severity=0.6)) == 0.6


def test_a_lower_quota_scores_higher():
    scores = [_score(_quota(q, 100_000)).score for q in (100_000, 75_000, 50_000, 0)]
    assert scores == sorted(scores)
    assert scores[0] < scores[-1]


def test_quota_driver_states_the_reasoning():
    (text,) = _policy_texts(_score(_quota(96_600, 100_000)))
    assert "quota 96,600 t/yr vs 100,000 t/yr reference: binding 3%" in text
    assert "severity 0.03" in text


# --- announced, not yet effective ---------------------------------------------------------------------------


def test_announced_factor_is_lower_the_further_away_and_below_in_force():
    ban = signal(status=SignalStatus.ANNOUNCED, announced=date(2025, 5, 30), effective=date(2029, 1, 1))
    in_force = signal(announced=date(2025, 5, 30))
    factors = [signal_status_factor(ban, d, P) for d in (date(2025, 6, 1), date(2026, 5, 1), date(2028, 12, 31))]
    assert factors == sorted(factors)
    assert factors[-1] == pytest.approx(P.status_announced)  # the day before it takes effect
    assert all(f < signal_status_factor(in_force, d, P) for f, d in zip(factors, (AS_OF,) * 3, strict=True))
    # about 2.7 years ahead on 2026-05-01: 0.5 * 0.5 ** (975 / 365)
    assert signal_status_factor(ban, AS_OF, P) == pytest.approx(0.5 * 0.5 ** (975 / 365))


def test_announced_without_a_date_and_overdue():
    undated = signal(status=SignalStatus.ANNOUNCED, announced=date(2023, 7, 27))
    assert signal_status_factor(undated, AS_OF, P) == P.status_announced_undated < P.status_in_force
    overdue = signal(status=SignalStatus.ANNOUNCED, announced=date(2025, 1, 1), effective=date(2026, 1, 1))
    assert signal_status_factor(overdue, AS_OF, P) == P.status_announced_overdue < P.status_in_force


def test_an_announced_ban_weighs_less_than_the_same_ban_in_force():
    announced = signal(status=SignalStatus.ANNOUNCED, effective=date(2029, 1, 1), measure=Measure.EXPORT_BAN)
    in_force = signal(measure=Measure.EXPORT_BAN)
    assert 0 < _score(announced).score < _score(in_force).score
    (text,) = _policy_texts(_score(announced))
    assert "(announced) from 2029-01-01" in text


# --- non-state disruptions ----------------------------------------------------------------------------------


def test_a_non_state_disruption_counts_and_says_so():
    kachin = signal(
        issuer="MM", measure=Measure.INFORMAL_EMBARGO, status=SignalStatus.REPORTED, state_measure=False, severity=0.9
    )
    state = signal(issuer="MM", measure=Measure.INFORMAL_EMBARGO, status=SignalStatus.REPORTED, severity=0.9)
    result = _score(kachin, dependency=JP)
    assert result.components.policy_pressure == _score(state, dependency=JP).components.policy_pressure > 0
    (text,) = _policy_texts(result)
    assert text.startswith("Myanmar (country of supply; reported, not a state measure) informal embargo")
    assert "not a state measure" not in _policy_texts(_score(state, dependency=JP))[0]


# --- row defaults (shared with the admin bulk load) ---------------------------------------------------------


def test_a_quota_row_with_volumes_defaults_to_severity_one():
    row = {
        "id": "CD-2025-COBALT-QUOTA",
        "announced": "2025-09-20",
        "effective": "2025-10-16",
        "issuer": "CD",
        "measure": "export_quota",
        "instrument": "quota",
        "materials": "cobalt",
        "targets": "ALL",
        "status": "in_force",
        "source": "https://example.org/q",
    }
    assert signal_fields_from_row(row)[1]["severity"] == 0.6  # no volumes: the quota default
    with_volumes = {**row, "quota_tonnes": "96600", "reference_tonnes": "151915"}
    assert signal_fields_from_row(with_volumes)[1]["severity"] == QUOTA_WITH_VOLUMES_SEVERITY == 1.0
    assert signal_fields_from_row({**with_volumes, "severity": "0.8"})[1]["severity"] == 0.8  # given: kept
