"""The scoring model's version and tunable numbers, and how binding a signal is on a date.

Split from shared.domain.scoring (which re-exports all of it) so that a reader of stored scores and signals (the
read API) does not import the scoring engine: its dataclasses and code are a cost every cold start would pay
(docs/decisions.md 86).
"""

# No `from __future__ import annotations` in this module: pydantic would compile every field's annotation
# string at class creation, a cost every cold start pays.

import math
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from shared.domain.errors import InvalidInputError
from shared.domain.models import PolicySignal, SignalStatus

MODEL_VERSION = "1.2.2"

#: A signal whose status factor is below this is no longer listed as active on a material.
ACTIVE_STATUS_FACTOR = 0.01


class ScoringParameters(BaseModel):
    """Every tunable number of the model, in one place (documented in docs/scoring-model.md)."""

    model_config = ConfigDict(frozen=True)

    # Structural weights. weight_import_reliance >= 0.78 * weight_supply_risk keeps the composite monotone in
    # import reliance although the EU SR form itself is not (see docs/scoring-model.md, "Monotonicity").
    weight_supply_risk: float = 0.44
    weight_import_reliance: float = 0.36
    weight_site: float = 0.20
    #: SR at which the structural supply-risk term saturates (the EU scale's top for t = 1).
    supply_risk_saturation: float = 10.0

    # Band thresholds on the 0..100 composite: [0, 25) low, [25, 50) moderate, [50, 75) high, [75, 100] critical.
    moderate_from: float = 25.0
    high_from: float = 50.0
    critical_from: float = 75.0

    # Signal status factors.
    status_in_force: float = 1.0
    #: adopted or announced, effective date still ahead: this factor the day before it takes effect, halving for
    #: every announced_half_life_days further ahead (a 2029 ban weighs less in 2026 than one due next month);
    #: always below status_in_force
    status_announced: float = 0.5
    announced_half_life_days: float = 365.0
    #: announced with no effective date (a policy without its implementing rules): a fixed low factor
    status_announced_undated: float = 0.2
    #: announced, its effective date passed and the status never updated to in force: unconfirmed
    status_announced_overdue: float = 0.6
    status_reported: float = 0.6  # reported practice, no formal instrument
    status_suspended: float = 0.1  # latent: the instrument exists and can be switched back on
    status_lapsed_suspension: float = 0.6  # suspended_until has passed with no update: unconfirmed
    #: right after a lift the residual disruption (backlogs, re-qualification) counts as half an in-force
    #: measure, then halves every half-life: lifting never raises the pressure of an in-force or reported signal
    status_lifted_residual: float = 0.5
    lifted_half_life_days: float = 90.0

    # Defaults for inputs the data does not have, each named in the explanation.
    default_recycling_input_rate: float = 0.0  # conservative: no credit for recycling
    default_substitution_index: float = 1.0  # conservative: no substitute
    #: Median of 10 * (1 - WGI 2022) over the 213 economies of the WGI file.
    default_governance_risk: float = Field(default=5.09, ge=0.0, le=10.0)

    # Confidence penalties per fallback used.
    penalty_no_sourcing: float = 0.2
    penalty_partial_sourcing: float = 0.1
    penalty_default_import_reliance: float = 0.2
    penalty_default_recycling: float = 0.05
    penalty_default_substitution: float = 0.05
    penalty_default_governance: float = 0.05
    min_confidence: float = 0.1


DEFAULT_PARAMETERS = ScoringParameters()


def _pending_factor(days_ahead: int, params: ScoringParameters) -> float:
    """Pressure today from a measure that takes effect in `days_ahead` days (> 0): below the in-force factor."""
    return params.status_announced * math.pow(0.5, (days_ahead - 1) / params.announced_half_life_days)


def signal_status_factor(signal: PolicySignal, as_of: date, params: ScoringParameters) -> float:
    """How binding a signal is on `as_of` (0..1)."""
    if as_of < signal.announced:
        return 0.0
    match signal.status:
        case SignalStatus.IN_FORCE:
            if signal.effective is not None and as_of < signal.effective:
                return _pending_factor((signal.effective - as_of).days, params)
            return params.status_in_force
        case SignalStatus.ANNOUNCED:
            if signal.effective is None:
                return params.status_announced_undated
            if as_of < signal.effective:
                return _pending_factor((signal.effective - as_of).days, params)
            return params.status_announced_overdue
        case SignalStatus.REPORTED:
            return params.status_reported
        case SignalStatus.SUSPENDED:
            if signal.suspended_until is not None and as_of > signal.suspended_until:
                return params.status_lapsed_suspension
            return params.status_suspended
        case SignalStatus.LIFTED:
            if signal.lifted_at is None:  # PolicySignal's validator forbids this; never guess a date
                raise InvalidInputError("lifted_at: required when status is lifted", field="lifted_at")
            if as_of < signal.lifted_at:
                return params.status_in_force
            days = (as_of - signal.lifted_at).days
            return params.status_lifted_residual * math.pow(0.5, days / params.lifted_half_life_days)
