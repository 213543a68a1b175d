"""What-if changes applied to scoring inputs. Pure: a scenario is computed, never stored."""

# No `from __future__ import annotations` in this module: pydantic would compile every field's annotation
# string at class creation, a cost every cold start pays (docs/decisions.md 86).

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Annotated, Literal

from pydantic import Field

from shared.domain.errors import InvalidInputError
from shared.domain.models import (
    CountryCode,
    DomainModel,
    MaterialId,
    MaterialProfile,
    PolicySignal,
    ProducerShare,
    SignalStatus,
    Stage,
)
from shared.domain.parameters import DEFAULT_PARAMETERS, signal_status_factor

MAX_SCENARIO_CHANGES = 50


class AddSignalChange(DomainModel):
    type: Literal["add_signal"]
    signal: PolicySignal


class LiftSignalChange(DomainModel):
    type: Literal["lift_signal"]
    signal_id: str = Field(min_length=1, max_length=100)
    #: None: the long-run effect (the signal is gone); N: the signal was lifted N days ago (it decays).
    days_since_lifted: int | None = Field(default=None, ge=0, le=36500)


class SetSupplyShareChange(DomainModel):
    type: Literal["set_supply_share"]
    material: MaterialId
    stage: Stage
    country: CountryCode
    share: float = Field(ge=0, le=1, allow_inf_nan=False)


ScenarioChange = Annotated[AddSignalChange | LiftSignalChange | SetSupplyShareChange, Field(discriminator="type")]


def rescale_shares(shares: Sequence[ProducerShare], country: str, share: float) -> tuple[ProducerShare, ...]:
    """Sets one country's share; the others are scaled so the stage keeps its total where that is possible."""
    total = sum(s.share for s in shares)
    old = next((s.share for s in shares if s.country == country), 0.0)
    others = total - old
    target_others = max(total, share) - share
    factor = target_others / others if others > 0 else 0.0
    rescaled = [s.model_copy(update={"share": s.share * factor}) for s in shares if s.country != country]
    template = next((s for s in shares if s.country == country), ProducerShare(country=country, share=0.0))
    rescaled.append(template.model_copy(update={"share": share}))
    return tuple(sorted((s for s in rescaled if s.share > 0), key=lambda s: (-s.share, s.country)))


def apply_to_material(material: MaterialProfile, changes: Sequence[ScenarioChange]) -> MaterialProfile:
    stages = dict(material.stages)
    for change in changes:
        if isinstance(change, SetSupplyShareChange) and change.material == material.id:
            stages[change.stage] = rescale_shares(stages.get(change.stage, ()), change.country, change.share)
    return material if stages == material.stages else material.model_copy(update={"stages": stages})


def apply_to_signals(
    signals: Sequence[PolicySignal], changes: Sequence[ScenarioChange], as_of: date
) -> list[PolicySignal]:
    by_id = {s.id: s for s in signals}
    for change in changes:
        if isinstance(change, AddSignalChange):
            by_id[change.signal.id] = change.signal
        elif isinstance(change, LiftSignalChange):
            if change.signal_id not in by_id:
                raise InvalidInputError(f"lift_signal: unknown signal {change.signal_id!r}", field="signal_id")
            if change.days_since_lifted is None:
                del by_id[change.signal_id]
            else:
                lifted_at = as_of - timedelta(days=change.days_since_lifted)
                signal = by_id[change.signal_id]
                lifted = signal.model_copy(
                    update={"status": SignalStatus.LIFTED, "lifted_at": max(lifted_at, signal.announced)}
                )
                # A lifted signal decays from a fixed residual, so one that binds less than that now (suspended, or
                # lifted earlier) would bind harder once "lifted". A lift never adds pressure: such a signal stays as
                # it is until the decay falls below it.
                if signal_status_factor(lifted, as_of, DEFAULT_PARAMETERS) <= signal_status_factor(
                    signal, as_of, DEFAULT_PARAMETERS
                ):
                    by_id[change.signal_id] = lifted
    return list(by_id.values())
