"""Property tests of the scoring model's invariants (DESIGN.md section 4, docs/scoring-model.md).

The strategies build only valid domain values: shares per stage add up to at most 1, trade restrictions in
0.5..1.5, governance risk in 0..10, signals with consistent dates. Every monotonicity property compares two
scores that differ in exactly one input.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from shared.domain.models import (
    ALL_TARGETS,
    CountryGovernance,
    ImporterDependency,
    MaterialProfile,
    Measure,
    PolicySignal,
    ProducerShare,
    RiskScore,
    SignalStatus,
    Site,
    Stage,
)
from shared.domain.scoring import (
    COMPONENT_IMPORT_RELIANCE,
    COMPONENT_POLICY,
    COMPONENT_SITE,
    COMPONENT_SUPPLY_RISK,
    DEFAULT_PARAMETERS,
    ScoringInputs,
    band_for,
    compute_score,
    inputs_hash,
)

EPS = 1e-9
COMPUTED_AT = datetime(2026, 5, 1, 12, 0, 0)
MATERIAL_ID = "dysprosium"
GROUP_IDS = ("rare_earths", "hree")
#: producers; the importers JP, US, DE, CN and IN are among them on purpose (own production, own signals).
COUNTRIES = ("CN", "MM", "AU", "US", "JP", "DE", "ZA", "CD", "RU", "IN", "VN", "MY")
IMPORTERS = ("JP", "US", "EU", "DE", "CN", "IN")
P = DEFAULT_PARAMETERS

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None)
MUTATION_SETTINGS = settings(max_examples=100, deadline=None)

# --- strategies -------------------------------------------------------------------------------------------

fractions = st.floats(min_value=0.0, max_value=1.0, allow_nan=False, allow_infinity=False, allow_subnormal=False)
governance_risks = st.floats(min_value=0.0, max_value=10.0, allow_nan=False, allow_subnormal=False)
trade_restrictions = st.one_of(
    st.just(1.0), st.floats(min_value=0.5, max_value=1.5, allow_nan=False, allow_subnormal=False)
)
dates = st.dates(min_value=date(2023, 1, 1), max_value=date(2027, 12, 31))


producer_lists = st.lists(st.sampled_from(COUNTRIES), max_size=5, unique=True)
nonempty_producer_lists = st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=5, unique=True)
stage_sets = st.sets(st.sampled_from(list(Stage)), min_size=1)
maybe_stage_sets = st.sets(st.sampled_from(list(Stage)))
group_sets = st.sets(st.sampled_from(GROUP_IDS))
optional_fractions = st.none() | fractions
countries = st.sampled_from(COUNTRIES)
importers = st.sampled_from(IMPORTERS)
measures = st.sampled_from(list(Measure))
statuses = st.sampled_from(list(SignalStatus))
signal_materials = st.lists(st.sampled_from((MATERIAL_ID, *GROUP_IDS, "gallium")), min_size=1, max_size=3, unique=True)
signal_targets = st.just((ALL_TARGETS,)) | st.lists(st.sampled_from(IMPORTERS), min_size=1, max_size=3, unique=True)
day_offsets = st.integers(min_value=0, max_value=400)
optional_day_offsets = st.none() | day_offsets
site_counts = st.integers(min_value=0, max_value=3)
stage_indices = st.integers(min_value=0, max_value=1)
country_sets = st.sets(countries)
signal_counts = st.integers(min_value=0, max_value=4)


@st.composite
def stage_shares(draw: st.DrawFn, min_size: int = 0) -> tuple[ProducerShare, ...]:
    """Producer shares of one stage adding up to at most 1 (a total in 0..1 split by random weights)."""
    producers = draw(nonempty_producer_lists if min_size else producer_lists)
    total = draw(fractions)
    weights = [draw(fractions) for _ in producers]
    weight_sum = sum(weights)
    shares = [total * w / weight_sum if weight_sum > 0 else 0.0 for w in weights]
    return tuple(
        ProducerShare(country=c, share=min(s, 1.0), trade_restriction=draw(trade_restrictions))
        for c, s in zip(producers, shares, strict=True)
    )


any_stage_shares = stage_shares()
nonempty_stage_shares = stage_shares(min_size=1)


@st.composite
def material_profiles(draw: st.DrawFn, with_sites: bool = False) -> MaterialProfile:
    stage_set = sorted(draw(stage_sets))
    stages = {stage: draw(any_stage_shares) for stage in stage_set}
    sites = tuple(
        Site(
            name=f"site-{i}",
            country=draw(countries),
            stage=stage_set[draw(stage_indices) % len(stage_set)],
            share=draw(fractions),
            source="test fixture",
        )
        for i in range(max(draw(site_counts), int(with_sites)))
    )
    return MaterialProfile(
        id=MATERIAL_ID,
        name="Dysprosium",
        groups=tuple(sorted(draw(group_sets))),
        stages=stages,
        sites=sites,
        recycling_input_rate=draw(optional_fractions),
        substitution_index=draw(optional_fractions),
        source="test fixture",
    )


def dependency_for(draw: st.DrawFn, importer: str, with_sourcing: bool) -> ImporterDependency | None:
    # no dependency data at all, a quarter of the time
    if not with_sourcing and draw(st.booleans()) and draw(st.booleans()):
        return None
    return ImporterDependency(
        importer=importer,
        material=MATERIAL_ID,
        import_reliance=draw(optional_fractions),
        sourcing={
            stage: draw(nonempty_stage_shares)
            for stage in sorted(draw(stage_sets if with_sourcing else maybe_stage_sets))
        },
        source="test fixture",
    )


@st.composite
def governance_tables(draw: st.DrawFn) -> dict[str, CountryGovernance]:
    return {
        c: CountryGovernance(country=c, governance_risk=draw(governance_risks), year=2022, source="WGI test")
        for c in sorted(draw(country_sets))
    }


def signal_from(draw: st.DrawFn, signal_id: str) -> PolicySignal:
    announced = draw(dates)
    status = draw(statuses)

    def after(offset: int | None) -> date | None:
        return None if offset is None else announced + timedelta(days=offset)

    return PolicySignal(
        id=signal_id,
        issuer=draw(countries),
        measure=draw(measures),
        materials=tuple(draw(signal_materials)),
        targets=tuple(draw(signal_targets)),
        severity=draw(fractions),
        announced=announced,
        effective=after(draw(optional_day_offsets)),
        status=status,
        suspended_until=after(draw(optional_day_offsets)),
        lifted_at=after(draw(day_offsets)) if status is SignalStatus.LIFTED else None,
        source="test fixture",
        confidence=draw(fractions),
    )


@st.composite
def policy_signals(draw: st.DrawFn, signal_id: str) -> PolicySignal:
    return signal_from(draw, signal_id)


governance_table_strategy = governance_tables()
material_profile_strategies = {False: material_profiles(), True: material_profiles(with_sites=True)}


@st.composite
def scoring_inputs(
    draw: st.DrawFn, with_sourcing: bool = False, with_sites: bool = False, with_signal: bool = False
) -> ScoringInputs:
    """Valid inputs; the flags guarantee some sourcing data, a site, or a signal that applies to the pair."""
    importer = draw(importers)
    signals = [signal_from(draw, f"sig-{i}") for i in range(max(draw(signal_counts), int(with_signal)))]
    if with_signal:
        issuer = draw(countries.filter(lambda c: c != importer))
        signals[0] = rebuild(signals[0], issuer=issuer, materials=(MATERIAL_ID,), targets=(ALL_TARGETS,))
    return ScoringInputs(
        importer=importer,
        material=draw(material_profile_strategies[with_sites]),
        dependency=dependency_for(draw, importer, with_sourcing),
        governance=draw(governance_table_strategy),
        signals=tuple(signals),
        as_of=draw(dates),
    )


# --- helpers ----------------------------------------------------------------------------------------------


def score(inputs: ScoringInputs) -> RiskScore:
    return compute_score(inputs, COMPUTED_AT)


def rebuild(model: Any, **changes: Any) -> Any:
    """A validated copy of a domain model with some fields changed (validators run again)."""
    return type(model).model_validate({**model.model_dump(), **changes})


def replace_inputs(inputs: ScoringInputs, **changes: Any) -> ScoringInputs:
    return dataclasses.replace(inputs, **changes)


def share_of(shares: tuple[ProducerShare, ...], country: str) -> float:
    return next((s.share for s in shares if s.country == country), 0.0)


def effective_import_reliance(inputs: ScoringInputs) -> float:
    if inputs.dependency is not None and inputs.dependency.import_reliance is not None:
        return inputs.dependency.import_reliance
    stages = inputs.material.stages
    first = Stage.EXTRACTION if Stage.EXTRACTION in stages else Stage.PROCESSING
    return 1.0 - min(share_of(stages[first], inputs.importer), 1.0)


def with_share(
    shares: tuple[ProducerShare, ...], country: str, share: float | None = None, t: float | None = None
) -> tuple[ProducerShare, ...]:
    """`shares` with `country`'s share and/or t replaced (the country is appended when absent)."""
    out = []
    found = False
    for s in shares:
        if s.country == country:
            found = True
            s = rebuild(s, **({"share": share} if share is not None else {}), **({"trade_restriction": t} if t else {}))
        out.append(s)
    if not found:
        out.append(ProducerShare(country=country, share=share or 0.0, trade_restriction=t or 1.0))
    return tuple(out)


def raised_share(shares: tuple[ProducerShare, ...], data: st.DataObject) -> tuple[ProducerShare, ...]:
    """One producer's share raised (a new producer may enter), the stage total staying <= 1."""
    headroom = 1.0 - sum(s.share for s in shares)
    assume(headroom > 0)
    country = data.draw(st.sampled_from(COUNTRIES), label="producer")
    current = share_of(shares, country)
    return with_share(shares, country, share=raised(data, current, min(current + headroom, 1.0), "share"))


#: step sizes: any step, or a tiny one (tiny steps probe float noise and rounding at the 4th decimal)
steps = st.one_of(
    st.floats(min_value=0.0, max_value=1.0, allow_subnormal=False),
    st.floats(min_value=0.0, max_value=1e-5, allow_subnormal=False),
)


def raised(data: st.DataObject, current: float, upper: float, label: str) -> float:
    """A value in [current, upper]: current plus a fraction of the room left, or a tiny step."""
    step = data.draw(steps, label=f"{label} step")
    room = max(upper - current, 0.0)
    return min(current + (step * room if step > 1e-5 else min(step, room)), upper)


def lowered(data: st.DataObject, current: float, lower: float, label: str) -> float:
    """A value in [lower, current]."""
    step = data.draw(steps, label=f"{label} step")
    room = max(current - lower, 0.0)
    return max(current - (step * room if step > 1e-5 else min(step, room)), lower)


def dependency_or_empty(inputs: ScoringInputs) -> ImporterDependency:
    return inputs.dependency or ImporterDependency(
        importer=inputs.importer, material=MATERIAL_ID, source="test fixture"
    )


# --- general invariants -----------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(scoring_inputs())
def test_score_and_components_are_bounded(inputs):
    result = score(inputs)
    assert 0.0 <= result.score <= 100.0
    c = result.components
    max_hhi = 1.0 * 10.0 * 1.5  # shares add up to <= 1, governance <= 10, t <= 1.5
    assert -EPS <= c.concentration <= max_hhi + 1e-6
    assert -EPS <= c.supply_risk <= max_hhi + 1e-6
    assert 0.0 <= c.import_reliance <= 1.0
    assert 0.0 <= c.site_concentration <= 1.0
    assert 0.0 <= c.policy_pressure <= 1.0
    assert P.min_confidence <= result.confidence <= 1.0
    assert result.contributions[COMPONENT_SUPPLY_RISK] <= 100 * P.weight_supply_risk + 1e-6
    assert result.contributions[COMPONENT_IMPORT_RELIANCE] <= 100 * P.weight_import_reliance + 1e-6
    assert result.contributions[COMPONENT_SITE] <= 100 * P.weight_site + 1e-6
    assert result.contributions[COMPONENT_POLICY] <= 100.0


@PROPERTY_SETTINGS
@given(scoring_inputs())
def test_contributions_are_non_negative_and_add_up_to_the_score(inputs):
    result = score(inputs)
    assert set(result.contributions) == {
        COMPONENT_SUPPLY_RISK,
        COMPONENT_IMPORT_RELIANCE,
        COMPONENT_SITE,
        COMPONENT_POLICY,
    }
    assert all(v >= 0.0 for v in result.contributions.values()), result.contributions
    assert sum(result.contributions.values()) == pytest.approx(result.score, abs=1e-6)


@PROPERTY_SETTINGS
@given(scoring_inputs())
def test_band_matches_the_thresholds(inputs):
    result = score(inputs)
    assert result.band == band_for(result.score)


@PROPERTY_SETTINGS
@given(scoring_inputs(), st.randoms(use_true_random=False))
def test_deterministic_for_the_same_inputs(inputs, rnd: random.Random):
    first = score(inputs)
    assert score(inputs) == first
    # Equal inputs rebuilt from JSON (as a stored score would be recomputed), with signals and governance
    # in another order, give the identical score and hash.
    signals = [PolicySignal.model_validate_json(s.model_dump_json()) for s in inputs.signals]
    rnd.shuffle(signals)
    governance_items = list(inputs.governance.items())
    rnd.shuffle(governance_items)
    rebuilt = ScoringInputs(
        importer=inputs.importer,
        material=MaterialProfile.model_validate_json(inputs.material.model_dump_json()),
        dependency=(
            ImporterDependency.model_validate_json(inputs.dependency.model_dump_json())
            if inputs.dependency is not None
            else None
        ),
        governance={c: CountryGovernance.model_validate_json(g.model_dump_json()) for c, g in governance_items},
        signals=tuple(signals),
        as_of=inputs.as_of,
    )
    assert score(rebuilt) == first


@PROPERTY_SETTINGS
@given(scoring_inputs())
def test_inputs_hash_is_stable_and_recorded(inputs):
    h = inputs_hash(inputs)
    assert h == inputs_hash(inputs)
    assert len(h) == 64
    assert all(ch in "0123456789abcdef" for ch in h)
    assert score(inputs).inputs_hash == h


@PROPERTY_SETTINGS
@given(scoring_inputs(), policy_signals("sig-unrelated"), governance_risks)
def test_inputs_that_do_not_touch_the_pair_change_neither_score_nor_hash(inputs, signal, risk):
    """A signal that does not apply, and governance of an uninvolved country, are not inputs of the score."""
    unrelated_signal = rebuild(signal, materials=("gallium",))
    involved = {
        s.country
        for shares in (
            *inputs.material.stages.values(),
            *(inputs.dependency.sourcing.values() if inputs.dependency else ()),
        )
        for s in shares
    }
    outsider = next(c for c in ("NO", "CL", "PE", "MX") if c not in involved)
    changed = replace_inputs(
        inputs,
        signals=(*inputs.signals, unrelated_signal),
        governance={
            **inputs.governance,
            outsider: CountryGovernance(country=outsider, governance_risk=risk, year=2022, source="WGI test"),
        },
    )
    assert inputs_hash(changed) == inputs_hash(inputs)
    assert score(changed) == score(inputs)


# --- the inputs hash changes when any input value changes -------------------------------------------------

Mutation = Callable[[ScoringInputs, st.DataObject], ScoringInputs]


def _different(data: st.DataObject, strategy: st.SearchStrategy[Any], old: Any, label: str) -> Any:
    new = data.draw(strategy, label=label)
    assume(new != old)
    return new


def change_world_share(inputs: ScoringInputs, data: st.DataObject) -> ScoringInputs:
    material = inputs.material
    stage = data.draw(st.sampled_from(sorted(material.stages)), label="stage")
    shares = material.stages[stage]
    assume(shares)
    producer = data.draw(st.sampled_from(shares), label="producer")
    others = sum(s.share for s in shares) - producer.share
    new = _different(data, st.floats(0.0, max(0.0, 1.0 - others)), producer.share, "share")
    stages = {**material.stages, stage: with_share(shares, producer.country, share=new)}
    return replace_inputs(inputs, material=rebuild(material, stages=stages))


def change_sourcing_share(inputs: ScoringInputs, data: st.DataObject) -> ScoringInputs:
    dependency = inputs.dependency
    assume(dependency is not None and dependency.sourcing)
    assert dependency is not None
    stage = data.draw(st.sampled_from(sorted(dependency.sourcing)), label="stage")
    shares = dependency.sourcing[stage]
    producer = data.draw(st.sampled_from(shares), label="producer")
    others = sum(s.share for s in shares) - producer.share
    new = _different(data, st.floats(0.0, max(0.0, 1.0 - others)), producer.share, "share")
    sourcing = {**dependency.sourcing, stage: with_share(shares, producer.country, share=new)}
    return replace_inputs(inputs, dependency=rebuild(dependency, sourcing=sourcing))


def change_governance(inputs: ScoringInputs, data: st.DataObject) -> ScoringInputs:
    involved = sorted(
        {
            s.country
            for shares in (
                *inputs.material.stages.values(),
                *(inputs.dependency.sourcing.values() if inputs.dependency else ()),
            )
            for s in shares
        }
    )
    assume(involved)
    country = data.draw(st.sampled_from(involved), label="country")
    entry = inputs.governance.get(country)
    new = _different(data, governance_risks, entry.governance_risk if entry else None, "governance_risk")
    governance = {
        **inputs.governance,
        country: CountryGovernance(country=country, governance_risk=new, year=2022, source="WGI test"),
    }
    return replace_inputs(inputs, governance=governance)


def change_trade_restriction(inputs: ScoringInputs, data: st.DataObject) -> ScoringInputs:
    material = inputs.material
    stage = data.draw(st.sampled_from(sorted(material.stages)), label="stage")
    shares = material.stages[stage]
    assume(shares)
    producer = data.draw(st.sampled_from(shares), label="producer")
    new = _different(data, st.floats(0.5, 1.5), producer.trade_restriction, "t")
    stages = {**material.stages, stage: with_share(shares, producer.country, t=new)}
    return replace_inputs(inputs, material=rebuild(material, stages=stages))


def change_import_reliance(inputs: ScoringInputs, data: st.DataObject) -> ScoringInputs:
    dependency = dependency_or_empty(inputs)
    new = _different(data, fractions, dependency.import_reliance, "import_reliance")
    return replace_inputs(inputs, dependency=rebuild(dependency, import_reliance=new))


def change_recycling(inputs: ScoringInputs, data: st.DataObject) -> ScoringInputs:
    material = inputs.material
    new = _different(data, st.none() | fractions, material.recycling_input_rate, "recycling_input_rate")
    return replace_inputs(inputs, material=rebuild(material, recycling_input_rate=new))


def change_substitution(inputs: ScoringInputs, data: st.DataObject) -> ScoringInputs:
    material = inputs.material
    new = _different(data, st.none() | fractions, material.substitution_index, "substitution_index")
    return replace_inputs(inputs, material=rebuild(material, substitution_index=new))


def change_site_share(inputs: ScoringInputs, data: st.DataObject) -> ScoringInputs:
    material = inputs.material
    assume(material.sites)
    index = data.draw(st.integers(0, len(material.sites) - 1), label="site")
    site = material.sites[index]
    new = _different(data, fractions, site.share, "site share")
    sites = (*material.sites[:index], rebuild(site, share=new), *material.sites[index + 1 :])
    return replace_inputs(inputs, material=rebuild(material, sites=sites))


def change_signal_field(inputs: ScoringInputs, data: st.DataObject) -> ScoringInputs:
    applicable = [
        i
        for i, s in enumerate(inputs.signals)
        if s.issuer != inputs.importer
        and s.targets_importer(inputs.importer)
        and s.touches_material(inputs.material.id, inputs.material.groups)
    ]
    assume(applicable)
    index = data.draw(st.sampled_from(applicable), label="signal")
    signal = inputs.signals[index]
    field = data.draw(st.sampled_from(("severity", "confidence", "status", "announced", "effective")), label="field")
    changed: PolicySignal
    if field in ("severity", "confidence"):
        changed = rebuild(signal, **{field: _different(data, fractions, getattr(signal, field), field)})
    elif field == "status":
        new_status = _different(
            data,
            st.sampled_from([SignalStatus.IN_FORCE, SignalStatus.REPORTED, SignalStatus.SUSPENDED]),
            signal.status,
            "status",
        )
        changed = rebuild(signal, status=new_status)
    elif field == "announced":
        days = data.draw(st.integers(1, 300), label="days earlier")
        changed = rebuild(signal, announced=signal.announced - timedelta(days=days))
    else:
        new_effective = _different(
            data,
            st.none() | st.integers(0, 400).map(lambda d: signal.announced + timedelta(days=d)),
            signal.effective,
            "effective",
        )
        changed = rebuild(signal, effective=new_effective)
    signals = (*inputs.signals[:index], changed, *inputs.signals[index + 1 :])
    return replace_inputs(inputs, signals=signals)


def add_applicable_signal(inputs: ScoringInputs, data: st.DataObject) -> ScoringInputs:
    signal = data.draw(policy_signals("sig-new"), label="new signal")
    issuer = next(c for c in COUNTRIES if c != inputs.importer)
    signal = rebuild(signal, issuer=issuer, materials=(MATERIAL_ID,), targets=(ALL_TARGETS,))
    return replace_inputs(inputs, signals=(*inputs.signals, signal))


def change_as_of(inputs: ScoringInputs, data: st.DataObject) -> ScoringInputs:
    return replace_inputs(inputs, as_of=_different(data, dates, inputs.as_of, "as_of"))


HASH_MUTATIONS: dict[str, Mutation] = {
    "world share": change_world_share,
    "sourcing share": change_sourcing_share,
    "governance risk": change_governance,
    "trade restriction": change_trade_restriction,
    "import reliance": change_import_reliance,
    "recycling input rate": change_recycling,
    "substitution index": change_substitution,
    "site share": change_site_share,
    "signal field": change_signal_field,
    "new applicable signal": add_applicable_signal,
    "as_of": change_as_of,
}


any_inputs = scoring_inputs()
inputs_with_sourcing = scoring_inputs(with_sourcing=True)
inputs_with_sites = scoring_inputs(with_sites=True)
inputs_with_signal = scoring_inputs(with_signal=True)
#: mutations that need a particular input to act on draw from inputs that have it (no filtering)
INPUTS_FOR: dict[Mutation, st.SearchStrategy[ScoringInputs]] = {
    change_sourcing_share: inputs_with_sourcing,
    change_site_share: inputs_with_sites,
    change_signal_field: inputs_with_signal,
}


def draw_inputs(data: st.DataObject, mutation: Mutation) -> ScoringInputs:
    return data.draw(INPUTS_FOR.get(mutation, any_inputs), label="inputs")


@pytest.mark.parametrize("kind", sorted(HASH_MUTATIONS))
@MUTATION_SETTINGS
@given(data=st.data())
def test_inputs_hash_changes_when_any_input_changes(kind, data):
    inputs = draw_inputs(data, HASH_MUTATIONS[kind])
    changed = HASH_MUTATIONS[kind](inputs, data)
    assert inputs_hash(changed) != inputs_hash(inputs)
    assert score(changed).inputs_hash == inputs_hash(changed)


# --- monotonicity -----------------------------------------------------------------------------------------


def _own_share(shares: tuple[ProducerShare, ...], importer: str) -> float:
    return next((s.share for s in shares if s.country == importer), 0.0)


def raise_world_share(inputs: ScoringInputs, data: st.DataObject) -> ScoringInputs:
    """A producer's world share rises. Excluded by design: the importer's OWN share while its import reliance is
    unknown, because the fallback then reads domestic production as lower import reliance (docs/scoring-model.md,
    "Monotonicity"; pinned by test_domestic_production_lowers_the_fallback_import_reliance)."""
    material = inputs.material
    stage = data.draw(st.sampled_from(sorted(material.stages)), label="stage")
    raised_shares = raised_share(material.stages[stage], data)
    # the estimated extraction mix is built from the world shares: the documented exception
    assume(not _estimates_extraction(inputs))
    fallback_in_use = inputs.dependency is None or inputs.dependency.import_reliance is None
    first = Stage.EXTRACTION if Stage.EXTRACTION in material.stages else Stage.PROCESSING
    if fallback_in_use and stage is first:
        assume(_own_share(raised_shares, inputs.importer) == _own_share(material.stages[stage], inputs.importer))
    stages = {**material.stages, stage: raised_shares}
    return replace_inputs(inputs, material=rebuild(material, stages=stages))


ShareChange = Callable[[tuple[ProducerShare, ...], st.DataObject], tuple[ProducerShare, ...]]


def _estimates_extraction(inputs: ScoringInputs) -> bool:
    """Processing sourcing only, on a material with an extraction stage: the model estimates the extraction
    sourcing from the processing suppliers and the world shares of both stages, so a processing share or a world
    share also moves the rest of that mix (the documented exception to (a), pinned by
    test_buying_from_a_miner_moves_the_estimated_extraction_mix)."""
    dependency = inputs.dependency
    return (
        dependency is not None
        and bool(dependency.sourcing.get(Stage.PROCESSING))
        and not dependency.sourcing.get(Stage.EXTRACTION)
        and bool(inputs.material.stages.get(Stage.EXTRACTION))
    )


def _change_a_sourcing_stage(inputs: ScoringInputs, data: st.DataObject, change: ShareChange) -> ScoringInputs:
    dependency = inputs.dependency
    assume(dependency is not None and dependency.sourcing)
    assert dependency is not None
    assume(not _estimates_extraction(inputs))
    stage = data.draw(st.sampled_from(sorted(dependency.sourcing)), label="stage")
    sourcing = {**dependency.sourcing, stage: change(dependency.sourcing[stage], data)}
    return replace_inputs(inputs, dependency=rebuild(dependency, sourcing=sourcing))


def raise_sourcing_share(inputs: ScoringInputs, data: st.DataObject) -> ScoringInputs:
    return _change_a_sourcing_stage(inputs, data, raised_share)


def raise_governance_risk(inputs: ScoringInputs, data: st.DataObject) -> ScoringInputs:
    country = data.draw(st.sampled_from(COUNTRIES), label="country")
    entry = inputs.governance.get(country)
    current = entry.governance_risk if entry is not None else P.default_governance_risk
    new = raised(data, current, 10.0, "governance_risk")
    governance = {
        **inputs.governance,
        country: CountryGovernance(country=country, governance_risk=new, year=2022, source="WGI test"),
    }
    return replace_inputs(inputs, governance=governance)


def _raise_t(shares: tuple[ProducerShare, ...], data: st.DataObject) -> tuple[ProducerShare, ...]:
    assume(shares)
    producer = data.draw(st.sampled_from(shares), label="producer")
    new = raised(data, producer.trade_restriction, 1.5, "t")
    return with_share(shares, producer.country, t=new)


def raise_world_trade_restriction(inputs: ScoringInputs, data: st.DataObject) -> ScoringInputs:
    material = inputs.material
    stage = data.draw(st.sampled_from(sorted(material.stages)), label="stage")
    stages = {**material.stages, stage: _raise_t(material.stages[stage], data)}
    return replace_inputs(inputs, material=rebuild(material, stages=stages))


def raise_sourcing_trade_restriction(inputs: ScoringInputs, data: st.DataObject) -> ScoringInputs:
    return _change_a_sourcing_stage(inputs, data, _raise_t)


def raise_import_reliance(inputs: ScoringInputs, data: st.DataObject) -> ScoringInputs:
    """A higher import-reliance figure than the one in force (the importer's own, else the fallback)."""
    new = raised(data, effective_import_reliance(inputs), 1.0, "import_reliance")
    return replace_inputs(inputs, dependency=rebuild(dependency_or_empty(inputs), import_reliance=new))


def add_signal(inputs: ScoringInputs, data: st.DataObject) -> ScoringInputs:
    signal = data.draw(policy_signals("sig-new"), label="new signal")
    return replace_inputs(inputs, signals=(*inputs.signals, signal))


def raise_signal_severity(inputs: ScoringInputs, data: st.DataObject) -> ScoringInputs:
    assume(inputs.signals)
    index = data.draw(st.integers(0, len(inputs.signals) - 1), label="signal")
    signal = inputs.signals[index]
    new = raised(data, signal.severity, 1.0, "severity")
    signals = (*inputs.signals[:index], rebuild(signal, severity=new), *inputs.signals[index + 1 :])
    return replace_inputs(inputs, signals=signals)


def raise_site_share(inputs: ScoringInputs, data: st.DataObject) -> ScoringInputs:
    """One site's share raised, or a new site added."""
    material = inputs.material
    index = data.draw(st.integers(0, len(material.sites)), label="site")
    if index == len(material.sites):
        site = Site(
            name="new site",
            country=data.draw(st.sampled_from(COUNTRIES), label="site country"),
            stage=data.draw(st.sampled_from(sorted(material.stages)), label="site stage"),
            share=data.draw(fractions, label="site share"),
            source="test fixture",
        )
        sites = (*material.sites, site)
    else:
        old = material.sites[index]
        new = raised(data, old.share, 1.0, "site share")
        sites = (*material.sites[:index], rebuild(old, share=new), *material.sites[index + 1 :])
    return replace_inputs(inputs, material=rebuild(material, sites=sites))


def raise_recycling(inputs: ScoringInputs, data: st.DataObject) -> ScoringInputs:
    material = inputs.material
    current = material.recycling_input_rate
    if current is None:
        current = P.default_recycling_input_rate
    new = raised(data, current, 1.0, "recycling_input_rate")
    return replace_inputs(inputs, material=rebuild(material, recycling_input_rate=new))


def lower_substitution_index(inputs: ScoringInputs, data: st.DataObject) -> ScoringInputs:
    """A lower substitution index = more substitutable (EU SI: 1 = no substitute)."""
    material = inputs.material
    current = material.substitution_index
    if current is None:
        current = P.default_substitution_index
    new = lowered(data, current, 0.0, "substitution_index")
    return replace_inputs(inputs, material=rebuild(material, substitution_index=new))


#: changes that must never lower the score
RAISING: dict[str, Mutation] = {
    "(a) raise a world producer share": raise_world_share,
    "(a) raise a sourcing share": raise_sourcing_share,
    "(b) raise a governance risk": raise_governance_risk,
    "(c) raise a world t": raise_world_trade_restriction,
    "(c) raise a sourcing t": raise_sourcing_trade_restriction,
    "(d) raise import reliance": raise_import_reliance,
    "(e) add a signal": add_signal,
    "(e) raise a signal severity": raise_signal_severity,
    "(f) raise a site share": raise_site_share,
}

#: changes that must never raise the score
LOWERING: dict[str, Mutation] = {
    "raise the recycling input rate": raise_recycling,
    "lower the substitution index": lower_substitution_index,
}

INPUTS_FOR.update(
    {
        raise_sourcing_share: inputs_with_sourcing,
        raise_sourcing_trade_restriction: inputs_with_sourcing,
        raise_signal_severity: inputs_with_signal,
    }
)


@pytest.mark.parametrize("kind", sorted(RAISING))
@MUTATION_SETTINGS
@given(data=st.data())
def test_score_never_decreases(kind, data):
    inputs = draw_inputs(data, RAISING[kind])
    before = score(inputs)
    after = score(RAISING[kind](inputs, data))
    assert after.score >= before.score - EPS, (before.score, after.score, before.components, after.components)


@pytest.mark.parametrize("kind", sorted(LOWERING))
@MUTATION_SETTINGS
@given(data=st.data())
def test_score_never_increases(kind, data):
    inputs = draw_inputs(data, LOWERING[kind])
    before = score(inputs)
    after = score(LOWERING[kind](inputs, data))
    assert after.score <= before.score + EPS, (before.score, after.score, before.components, after.components)


# --- pinned counterexamples (deterministic, so they fail every run until the model changes) ---------------


def _dysprosium(extraction: tuple[ProducerShare, ...], site_share: float | None = None) -> MaterialProfile:
    sites = (
        (Site(name="Bayan Obo", country="CN", stage=Stage.EXTRACTION, share=site_share, source="fixture"),)
        if site_share is not None
        else ()
    )
    return MaterialProfile(
        id=MATERIAL_ID,
        name="Dysprosium",
        stages={
            Stage.EXTRACTION: extraction,
            Stage.PROCESSING: (ProducerShare(country="CN", share=1.0),),
        },
        sites=sites,
        recycling_input_rate=0.0,
        substitution_index=1.0,
        source="fixture",
    )


_GOVERNANCE = {
    c: CountryGovernance(country=c, governance_risk=g, year=2022, source="fixture")
    for c, g in {"CN": 5.667, "MM": 8.5, "US": 2.2, "AU": 1.6}.items()
}


def test_domestic_production_lowers_the_fallback_import_reliance():
    """The one documented exception to (a): without an import-reliance figure, the importer's own world share
    stands for domestic supply (IR = 1 - own share), so its own production lowers its score. With a figure,
    the same change never lowers the score."""
    before_shares = (ProducerShare(country="CN", share=0.6), ProducerShare(country="MM", share=0.1))
    after_shares = (*before_shares, ProducerShare(country="US", share=0.3))
    fallback = [
        score(ScoringInputs("US", _dysprosium(shares), None, _GOVERNANCE, (), date(2026, 5, 1)))
        for shares in (before_shares, after_shares)
    ]
    assert fallback[0].components.import_reliance == 1.0
    assert fallback[1].components.import_reliance == pytest.approx(0.7)
    assert fallback[1].score < fallback[0].score
    known = ImporterDependency(importer="US", material=MATERIAL_ID, import_reliance=0.8, source="fixture")
    explicit = [
        score(ScoringInputs("US", _dysprosium(shares), known, _GOVERNANCE, (), date(2026, 5, 1)))
        for shares in (before_shares, after_shares)
    ]
    assert explicit[1].score >= explicit[0].score - EPS


def test_buying_from_a_miner_moves_the_estimated_extraction_mix():
    """The documented exception to (a) for processing-only sourcing (docs/scoring-model.md, "Monotonicity"): the
    extraction sourcing is estimated from the processing suppliers, so buying processed material from a supplier
    that mines its own ore (AU here) moves the ore mix towards it and away from the world mix (CN 60%), while the
    same share from a supplier that mines nothing (VN, same governance) leaves the ore at world shares."""
    material = MaterialProfile(
        id=MATERIAL_ID,
        name="Dysprosium",
        stages={
            Stage.EXTRACTION: (
                ProducerShare(country="CN", share=0.6),
                ProducerShare(country="MM", share=0.1),
                ProducerShare(country="AU", share=0.3),
            ),
            Stage.PROCESSING: (ProducerShare(country="CN", share=0.9), ProducerShare(country="AU", share=0.1)),
        },
        source="fixture",
    )
    governance = {
        **_GOVERNANCE,
        "VN": CountryGovernance(country="VN", governance_risk=1.6, year=2022, source="fixture"),
    }
    cn_ban = PolicySignal(
        id="cn-ban",
        issuer="CN",
        measure=Measure.EXPORT_BAN,
        materials=(MATERIAL_ID,),
        targets=(ALL_TARGETS,),
        severity=1.0,
        announced=date(2025, 1, 1),
        status=SignalStatus.IN_FORCE,
        source="fixture",
    )

    def scored(*sourcing: tuple[str, float]) -> RiskScore:
        dependency = ImporterDependency(
            importer="JP",
            material=MATERIAL_ID,
            import_reliance=1.0,
            sourcing={Stage.PROCESSING: tuple(ProducerShare(country=c, share=v) for c, v in sourcing)},
            source="fixture",
        )
        return score(ScoringInputs("JP", material, dependency, governance, (cn_ban,), date(2026, 5, 1)))

    from_a_miner = scored(("CN", 0.5), ("AU", 0.5))
    from_a_non_miner = scored(("CN", 0.5), ("VN", 0.5))
    # the same processing concentration; CN's estimated ore share 0.5 * 0.6/0.9 + 1/6 * 0.6 = 0.433 (below its
    # processing share 0.5, which then decides the exposure) vs 0.5 * 0.6/0.9 + (0.5 + 1/6) * 0.6 = 0.733
    assert from_a_miner.components.policy_pressure == pytest.approx(0.5, abs=1e-6)
    assert from_a_non_miner.components.policy_pressure == pytest.approx(
        0.5 * 0.6 / 0.9 + (0.5 + 0.5 / 3) * 0.6, abs=1e-6
    )
    assert from_a_miner.score < from_a_non_miner.score
    # more from CN itself (a refiner that mines part of its feed) never lowers the score
    assert scored(("CN", 0.9), ("VN", 0.1)).score >= from_a_non_miner.score - EPS


def test_a_tiny_site_raise_never_lowers_the_score_through_rounding():
    """Regression: rounding each contribution before adding them lowered the score by 1e-4 here."""
    signal = PolicySignal(
        id="cn-licensing",
        issuer="CN",
        measure=Measure.LICENSING,
        materials=(MATERIAL_ID,),
        targets=(ALL_TARGETS,),
        severity=0.7,
        announced=date(2025, 1, 1),
        status=SignalStatus.IN_FORCE,
        source="fixture",
    )
    dependency = ImporterDependency(importer="JP", material=MATERIAL_ID, import_reliance=1.0, source="fixture")
    extraction = (ProducerShare(country="CN", share=0.7),)
    before, after = (
        score(ScoringInputs("JP", _dysprosium(extraction, site), dependency, _GOVERNANCE, (signal,), date(2026, 1, 1)))
        for site in (0.763774618976614, 0.7637771696668714)
    )
    assert after.score >= before.score - EPS
    assert sum(after.contributions.values()) == pytest.approx(after.score, abs=1e-6)
