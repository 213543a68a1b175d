"""Scoring model v1: pure functions from (material, importer dependency, governance, signals) to a RiskScore.

docs/scoring-model.md explains every formula, default and weight here; keep the two in step and bump
MODEL_VERSION (shared/domain/parameters.py, with the parameters) whenever a number or formula changes (stored
scores name the version that made them).
"""

# No `from __future__ import annotations` in this module: pydantic would compile every field's annotation
# string at class creation, a cost every cold start pays (docs/decisions.md 86).

import hashlib
import math
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cache
from typing import Any, Protocol, TypedDict, TypeVar

from pydantic import BaseModel, TypeAdapter

from shared.domain.countries import EU, EU_MEMBER_STATES, country_name
from shared.domain.errors import InvalidInputError
from shared.domain.models import (
    Band,
    CountryGovernance,
    Driver,
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
from shared.domain.parameters import (
    ACTIVE_STATUS_FACTOR as ACTIVE_STATUS_FACTOR,
)
from shared.domain.parameters import (
    DEFAULT_PARAMETERS as DEFAULT_PARAMETERS,
)
from shared.domain.parameters import (
    MODEL_VERSION as MODEL_VERSION,
)
from shared.domain.parameters import (
    ScoringParameters as ScoringParameters,
)
from shared.domain.parameters import (
    signal_status_factor as signal_status_factor,
)

_T = TypeVar("_T")


#: A signal whose pressure on a pair is below this is not named as a driver (e.g. an embargo lifted years ago).
NEGLIGIBLE_PRESSURE = 1e-3

COMPONENT_SUPPLY_RISK = "supply_risk"
COMPONENT_IMPORT_RELIANCE = "import_reliance"
COMPONENT_SITE = "site_concentration"
COMPONENT_POLICY = "policy_pressure"


@dataclass(frozen=True, slots=True)
class ScoringInputs:
    """Everything one (importer, material) score depends on."""

    importer: str
    material: MaterialProfile
    dependency: ImporterDependency | None
    governance: Mapping[str, CountryGovernance]
    signals: Sequence[PolicySignal]
    as_of: date


# --- building blocks --------------------------------------------------------------------------------------


def herfindahl_index(shares: Iterable[float]) -> float:
    """Plain HHI on fractions: sum of squared shares (0..1)."""
    return sum(s * s for s in shares)


def governance_risk_of(country: str, governance: Mapping[str, CountryGovernance], default: float) -> float:
    entry = governance.get(country)
    return entry.governance_risk if entry is not None else default


class ShareLike(Protocol):
    """A producer share as the formulas read it: ProducerShare, or a share the model derives."""

    @property
    def country(self) -> str: ...
    @property
    def share(self) -> float: ...
    @property
    def trade_restriction(self) -> float: ...


def governance_weighted_hhi(
    shares: Iterable[ShareLike], governance: Mapping[str, CountryGovernance], default_governance: float
) -> float:
    """EU CRM HHI_WGI,t = sum_k share_k^2 * g_k * t_k (0..10 for t = 1)."""
    get = governance.get  # governance_risk_of inlined: the same numbers in the same order, one call less per share
    return sum(
        s.share
        * s.share
        * (default_governance if (entry := get(s.country)) is None else entry.governance_risk)
        * s.trade_restriction
        for s in shares
    )


_QUOTA_MEASURES = frozenset({Measure.QUOTA, Measure.EXPORT_QUOTA})


def quota_bindingness(signal: PolicySignal) -> float | None:
    """clip(1 - quota / reference, 0, 1) for a quota with both volumes, else None (the default severity applies)."""
    if signal.measure not in _QUOTA_MEASURES or signal.quota_tonnes is None or signal.reference_tonnes is None:
        return None
    return min(max(1.0 - signal.quota_tonnes / signal.reference_tonnes, 0.0), 1.0)


def effective_severity(signal: PolicySignal) -> float:
    """The severity the model uses: a quota with volumes withholds `bindingness` of the issuer's reference exports,
    so its severity is severity x bindingness (severity is then the part of the cut that bites: 1.0 in the seed);
    every other signal: its severity."""
    bindingness = quota_bindingness(signal)
    return signal.severity if bindingness is None else signal.severity * bindingness


def signal_exposure(
    signal: PolicySignal, material: MaterialProfile, sourcing: Mapping[Stage, Sequence[ShareLike]]
) -> float:
    """Max over the signal's stages (all the material's stages when it names none) of the importer's sourcing share
    from the issuer at that stage, else the issuer's world share there. 0 when the material has none of them."""
    stages = signal.stages or material.stages
    return max(
        (
            _share_of(sourcing.get(stage) or material.stages[stage], signal.issuer)
            for stage in stages
            if stage in material.stages
        ),
        default=0.0,
    )


def combine_pressures(pressures: Iterable[float]) -> float:
    """1 - prod(1 - x): several signals add up but never exceed 1."""
    remaining = 1.0
    for x in pressures:
        remaining *= 1.0 - x
    return 1.0 - remaining


def band_for(score: float, params: ScoringParameters = DEFAULT_PARAMETERS) -> Band:
    if score >= params.critical_from:
        return Band.CRITICAL
    if score >= params.high_from:
        return Band.HIGH
    if score >= params.moderate_from:
        return Band.MODERATE
    return Band.LOW


def signal_applies(signal: PolicySignal, importer: str, material: MaterialProfile) -> bool:
    """A signal touches a pair when it names the material (or one of its groups) and targets the importer.

    An issuer's own controls never count against itself.
    """
    return (
        signal.issuer != importer
        and signal.targets_importer(importer)
        and signal.touches_material(material.id, material.groups)
    )


# --- the model ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _StageRisk:
    stage: Stage
    global_hhi: float
    importer_hhi: float
    supply_risk: float


@dataclass(frozen=True, slots=True)
class _SignalPressure:
    signal: PolicySignal
    exposure: float
    status_factor: float
    severity: float
    pressure: float


def _validate_pair(inputs: ScoringInputs) -> None:
    dependency = inputs.dependency
    if dependency is None:
        return
    if dependency.material != inputs.material.id:
        raise InvalidInputError(
            f"dependency is for material {dependency.material!r}, not {inputs.material.id!r}", field="material"
        )
    if dependency.importer != inputs.importer:
        raise InvalidInputError(
            f"dependency is for importer {dependency.importer!r}, not {inputs.importer!r}", field="importer"
        )


_POINT_STEPS = 10_000  # the score and its contributions are kept to 4 decimals


def _apportion(raw: Mapping[str, float], total: float) -> dict[str, float]:
    """Largest-remainder rounding: non-negative parts in 1e-4 steps that add up exactly to `total`."""
    scaled = {k: max(v, 0.0) * _POINT_STEPS for k, v in raw.items()}
    units = {k: math.floor(v) for k, v in scaled.items()}
    left = round(total * _POINT_STEPS) - sum(units.values())
    if left > 0:  # (no sort when nothing is left over: the common case)
        by_remainder = sorted(scaled, key=lambda k: (units[k] - scaled[k], k))  # largest remainder first
        for key in by_remainder[:left]:
            units[key] += 1
    elif left < 0:
        for key in sorted(units, key=lambda k: (-units[k], k))[:-left]:  # float noise only
            units[key] -= 1
    return {k: units[k] / _POINT_STEPS for k in raw}


def _share_of(shares: Sequence[ShareLike], country: str) -> float:
    return next((s.share for s in shares if s.country == country), 0.0)


@dataclass(frozen=True, slots=True)
class _Share:
    """A derived share (not input data): the fields governance_weighted_hhi and the exposure read."""

    country: str
    share: float
    trade_restriction: float


def _upstream_sourcing(
    material: MaterialProfile, sourcing: Mapping[Stage, Sequence[ShareLike]]
) -> tuple[_Share, ...] | None:
    """Extraction-stage sourcing of an importer that has processing sourcing only, estimated from its suppliers.

    A processing supplier p refines its own ore for the part its mines can feed, min(1, world extraction share of p /
    world processing share of p) (all of it for a miner that barely refines, such as the DR Congo's cobalt
    hydroxide), and ore bought at world extraction shares for the rest; the unlisted rest of the importer's
    processing sourcing is at world extraction shares too. None when the material has no extraction stage or the
    importer has extraction sourcing of its own.
    """
    processing = sourcing.get(Stage.PROCESSING)
    world = material.stages.get(Stage.EXTRACTION)
    if not processing or not world or sourcing.get(Stage.EXTRACTION):
        return None
    world_extraction = {s.country: s for s in world}
    world_processing = {s.country: s.share for s in material.stages.get(Stage.PROCESSING, ())}
    mix: dict[str, float] = {}
    at_world_shares = max(0.0, 1.0 - sum(s.share for s in processing))
    for supplier in processing:
        mined = world_extraction[supplier.country].share if supplier.country in world_extraction else 0.0
        refined = world_processing.get(supplier.country, 0.0)
        own = min(1.0, mined / refined) if refined > 0.0 else (1.0 if mined > 0.0 else 0.0)
        mix[supplier.country] = mix.get(supplier.country, 0.0) + supplier.share * own
        at_world_shares += supplier.share * (1.0 - own)
    for producer in world:
        mix[producer.country] = mix.get(producer.country, 0.0) + at_world_shares * producer.share
    return tuple(
        _Share(
            country,
            share,
            world_extraction[country].trade_restriction if country in world_extraction else 1.0,
        )
        for country, share in sorted(mix.items())
        if share > 0.0
    )


@dataclass(frozen=True, slots=True)
class _MaterialTerms:
    """What every pair of one material shares, derived once per (material, governance, signals, parameters)."""

    first_stage: Stage
    world_hhi: dict[Stage, float]
    #: world share by country, per stage
    world_share: dict[Stage, dict[str, float]]
    #: the largest producer per stage (ties: the country code)
    leader: dict[Stage, ProducerShare | None]
    top_site: Site | None
    #: producers with at least 1% at some stage and no governance entry
    ungoverned: frozenset[str]
    #: the signals that name the material or one of its groups, by id
    signals: tuple[PolicySignal, ...]
    #: recycling input rate and substitution index, defaults applied; their fallbacks and penalties, in order
    recycling: float
    substitution: float
    fallbacks: tuple[str, ...]
    penalties: tuple[float, ...]
    #: the fallback for `ungoverned` alone (a pair without sourcing of its own), None when it is empty
    ungoverned_text: str | None
    #: inputs-hash parts shared by the material's pairs: parameters, profile, its producers' governance, signals
    params_digest: str
    material_digest: str
    world_governance_digest: str
    signal_digests: dict[str, str]
    #: the numbers of this material's pairs without a dependency (world shares only), filled as pairs are
    #: scored: by (import reliance, the ids of the signals that apply, as_of) (decision 87)
    bare: "dict[tuple[Hashable, ...], _Core]"
    #: (status factor, effective severity) by (signal id, as_of), filled as pairs are scored
    signal_factors: dict[tuple[str, date], tuple[float, float]]


@dataclass(frozen=True, slots=True)
class _Core:
    """The numbers of one score (everything but its texts and inputs hash)."""

    bottleneck: _StageRisk
    site_concentration: float
    pressures: tuple[_SignalPressure, ...]
    policy_pressure: float
    score: float
    contributions: dict[str, float]
    components: dict[str, float]
    band: Band
    signal_ids: tuple[str, ...]
    #: driver texts (or their parts around the importer's name) that only depend on these numbers and the
    #: material's terms: for the pairs that share the numbers (decision 87)
    texts: dict[Hashable, tuple[str, str]] = field(default_factory=dict)


def _material_terms(
    material: MaterialProfile,
    governance: Mapping[str, CountryGovernance],
    signals: Sequence[PolicySignal],
    params: ScoringParameters,
) -> _MaterialTerms:
    touching = tuple(
        sorted((s for s in signals if s.touches_material(material.id, material.groups)), key=lambda s: s.id)
    )
    fallbacks: list[str] = []
    penalties: list[float] = []
    recycling = material.recycling_input_rate
    if recycling is None:
        recycling = params.default_recycling_input_rate
        fallbacks.append(f"no end-of-life recycling input rate: assumed {recycling:.0%}")
        penalties.append(params.penalty_default_recycling)
    substitution = material.substitution_index
    if substitution is None:
        substitution = params.default_substitution_index
        fallbacks.append(f"no substitution index: assumed {substitution:g} (no substitute)")
        penalties.append(params.penalty_default_substitution)
    ungoverned = frozenset(
        s.country
        for shares in material.stages.values()
        for s in shares
        if s.share >= 0.01 and s.country not in governance
    )
    return _MaterialTerms(
        first_stage=Stage.EXTRACTION if Stage.EXTRACTION in material.stages else Stage.PROCESSING,
        world_hhi={
            stage: governance_weighted_hhi(shares, governance, params.default_governance_risk)
            for stage, shares in material.stages.items()
        },
        world_share={stage: {s.country: s.share for s in shares} for stage, shares in material.stages.items()},
        leader={
            stage: max(shares, key=lambda s: (s.share, s.country), default=None)
            for stage, shares in material.stages.items()
        },
        top_site=max(material.sites, key=lambda s: s.share, default=None),
        ungoverned=ungoverned,
        signals=touching,
        recycling=recycling,
        substitution=substitution,
        fallbacks=tuple(fallbacks),
        penalties=tuple(penalties),
        ungoverned_text=(
            f"no governance data for {', '.join(sorted(ungoverned))}: WGI median {params.default_governance_risk} used"
            if ungoverned
            else None
        ),
        params_digest=_digest(params),
        material_digest=_digest(material),
        world_governance_digest=_governance_part(material.stages, governance),
        signal_digests={s.id: _digest(s) for s in touching},
        bare={},
        signal_factors={},
    )


def _terms_of(inputs: ScoringInputs, params: ScoringParameters) -> _MaterialTerms:
    material, governance, signals = inputs.material, inputs.governance, inputs.signals
    last = _LAST_TERMS[0]
    if last is not None and last[0] is material and last[1] is governance and last[2] is signals and last[3] is params:
        return last[4]  # the material of the pair before: a run scores a material's importers one after another
    terms = _MATERIAL_TERMS.get(
        (material, governance, signals, params), lambda: _material_terms(material, governance, signals, params)
    )
    _LAST_TERMS[0] = (material, governance, signals, params, terms)
    return terms


#: the inputs and terms of the last _terms_of call (one tuple, replaced whole: safe across threads)
_LAST_TERMS: list[tuple[MaterialProfile, object, object, ScoringParameters, _MaterialTerms] | None] = [None]


def _exposure(
    signal: PolicySignal,
    material: MaterialProfile,
    sourcing: Mapping[Stage, Sequence[ShareLike]],
    world_share: Mapping[Stage, Mapping[str, float]],
) -> float:
    """signal_exposure with the world shares looked up in the material's precomputed maps."""
    exposure = 0.0
    for stage in signal.stages or material.stages:
        if stage not in world_share:
            continue
        own = sourcing.get(stage)
        share = _share_of(own, signal.issuer) if own else world_share[stage].get(signal.issuer, 0.0)
        exposure = max(exposure, share)
    return exposure


def compute_score(
    inputs: ScoringInputs,
    computed_at: datetime,
    params: ScoringParameters = DEFAULT_PARAMETERS,
) -> RiskScore:
    """Score one (importer, material) pair. Deterministic for the same inputs and parameters."""
    _validate_pair(inputs)
    return _score(inputs, computed_at, params, one_off=False)


def _score(inputs: ScoringInputs, computed_at: datetime, params: ScoringParameters, *, one_off: bool) -> RiskScore:
    """compute_score. `one_off`: the dependency is built for this one score (a company line's), so what derives
    from it alone is computed, not cached by its identity (no later call has the object; caching it would only push
    the stored dependencies' entries out)."""
    material = inputs.material
    dependency = inputs.dependency
    governance = inputs.governance
    terms = _terms_of(inputs, params)
    sourcing: Mapping[Stage, Sequence[ShareLike]] = dependency.sourcing if dependency is not None else {}
    fallbacks: list[str] = []
    penalty = 0.0

    # Import reliance: the importer's own figure, else 1 - its share of world supply at the first stage the
    # material has (a large miner is assumed mostly self-supplied; a non-producer fully import-reliant). Only the
    # first stage counts: refining imported feed is not self-sufficiency (model 1.1, docs/scoring-model.md).
    if dependency is not None and dependency.import_reliance is not None:
        import_reliance = dependency.import_reliance
    else:
        first_stage = terms.first_stage
        own_share = terms.world_share[first_stage].get(inputs.importer, 0.0)
        import_reliance = 1.0 - min(own_share, 1.0)
        fallbacks.append(
            f"no import reliance for {inputs.importer}: assumed 1 - its share of world {first_stage.value} "
            f"({import_reliance:.0%})"
        )
        penalty += params.penalty_default_import_reliance

    missing_stages = [stage for stage in material.stages if not sourcing.get(stage)]
    if missing_stages and len(missing_stages) == len(material.stages):
        fallbacks.append(f"no sourcing data for {inputs.importer}: world supply shares used instead")
        penalty += params.penalty_no_sourcing
    elif missing_stages:
        upstream = (
            None
            if dependency is None
            else _upstream_sourcing(material, sourcing)
            if one_off
            else _DERIVED.get((material, dependency), lambda: _upstream_sourcing(material, sourcing))
        )
        if upstream:
            # Ore follows the processed material bought: see _upstream_sourcing.
            sourcing = {**sourcing, Stage.EXTRACTION: upstream}
            fallbacks.append(
                f"no extraction sourcing data for {inputs.importer}: estimated from its processing suppliers' "
                "share of world mining (the rest at world extraction shares)"
            )
        else:
            names = ", ".join(s.value for s in missing_stages)
            fallbacks.append(f"no {names} sourcing data for {inputs.importer}: world supply shares used there")
        penalty += params.penalty_partial_sourcing

    # the material's own fallbacks (recycling, substitution), as _material_terms wrote them
    recycling, substitution = terms.recycling, terms.substitution
    fallbacks += terms.fallbacks
    for material_penalty in terms.penalties:  # one at a time: the same float sums as before (decision 87)
        penalty += material_penalty

    if sourcing:
        ungoverned = sorted(
            terms.ungoverned.union(
                s.country
                for shares in sourcing.values()
                for s in shares
                if s.share >= 0.01 and s.country not in governance
            )
        )
        ungoverned_text = (
            f"no governance data for {', '.join(ungoverned)}: WGI median {params.default_governance_risk} used"
            if ungoverned
            else None
        )
    else:
        ungoverned_text = terms.ungoverned_text
    if ungoverned_text is not None:
        fallbacks.append(ungoverned_text)
        penalty += params.penalty_default_governance

    importer = inputs.importer
    # terms.signals name the material and are in id order: what is left of signal_applies is per importer.
    relevant = [s for s in terms.signals if s.issuer != importer and s.targets_importer(importer)]
    if dependency is None:
        # Without a dependency the numbers depend on the importer only through its import reliance and the
        # signals that apply: most importers of a material share them (decision 87).
        key = (import_reliance, *(s.id for s in relevant), inputs.as_of)
        core = terms.bare.get(key)
        if core is None:
            core = terms.bare[key] = _core(
                inputs, terms, sourcing, import_reliance, recycling, substitution, relevant, params
            )
    else:
        core = _core(inputs, terms, sourcing, import_reliance, recycling, substitution, relevant, params)
    bottleneck = core.bottleneck
    score = core.score
    drivers = _drivers(inputs, terms, sourcing, core, import_reliance)
    confidence = round(max(params.min_confidence, 1.0 - penalty), 4)
    return RiskScore(
        importer=inputs.importer,
        material=material.id,
        groups=material.groups,
        score=score,
        band=core.band,
        components=core.components,
        contributions=core.contributions,
        drivers=drivers,
        confidence=confidence,
        fallbacks=tuple(fallbacks),
        bottleneck_stage=bottleneck.stage,
        signal_ids=core.signal_ids,
        model_version=MODEL_VERSION,
        inputs_hash=_inputs_hash(inputs, terms, relevant, one_off=one_off),
        as_of=inputs.as_of,
        computed_at=computed_at,
    )


def _core(
    inputs: ScoringInputs,
    terms: _MaterialTerms,
    sourcing: Mapping[Stage, Sequence[ShareLike]],
    import_reliance: float,
    recycling: float,
    substitution: float,
    relevant: Sequence[PolicySignal],
    params: ScoringParameters,
) -> _Core:
    """_score's numbers for one pair: pure in its arguments (the same arguments give the same numbers)."""
    material = inputs.material
    governance = inputs.governance
    # Structural supply risk per stage (EU form); the bottleneck stage is the one with the higher SR.
    world_hhi = terms.world_hhi
    stage_risks: list[_StageRisk] = []
    for stage in sorted(material.stages):
        importer_shares = sourcing.get(stage)
        global_hhi = world_hhi[stage]
        importer_hhi = (
            governance_weighted_hhi(importer_shares, governance, params.default_governance_risk)
            if importer_shares
            else global_hhi
        )
        supply_risk = (
            (global_hhi * import_reliance / 2 + importer_hhi * (1 - import_reliance / 2))
            * (1 - recycling)
            * substitution
        )
        stage_risks.append(_StageRisk(stage, global_hhi, importer_hhi, supply_risk))
    bottleneck = max(stage_risks, key=lambda r: (r.supply_risk, r.stage == Stage.PROCESSING))

    # Site concentration: the largest single site at any stage (a dominant site at either stage is a single
    # point of failure; taking the max keeps the score monotone when the bottleneck stage switches).
    top_site = terms.top_site
    site_concentration = top_site.share if top_site is not None else 0.0

    # Policy pressure from the signals that touch this pair.
    pressures: list[_SignalPressure] = []
    factors = terms.signal_factors
    for signal in relevant:
        exposure = _exposure(signal, material, sourcing, terms.world_share)
        known = factors.get((signal.id, inputs.as_of))
        if known is None:
            known = factors[(signal.id, inputs.as_of)] = (
                signal_status_factor(signal, inputs.as_of, params),
                effective_severity(signal),
            )
        status_factor, severity = known
        pressure = severity * exposure * status_factor * signal.confidence
        pressures.append(_SignalPressure(signal, exposure, status_factor, severity, pressure))
    policy_pressure = combine_pressures(p.pressure for p in pressures)

    # Composite: a structural base S in 0..1, and policy pressure filling the headroom above it:
    # score = 100 * (S + (1 - S) * P). Both terms are non-negative, so they are the contributions.
    supply_term = params.weight_supply_risk * min(bottleneck.supply_risk / params.supply_risk_saturation, 1.0)
    reliance_term = params.weight_import_reliance * import_reliance
    site_term = params.weight_site * site_concentration
    structural = supply_term + reliance_term + site_term
    policy_term = (1.0 - structural) * policy_pressure
    raw_contributions = {
        COMPONENT_SUPPLY_RISK: 100 * supply_term,
        COMPONENT_IMPORT_RELIANCE: 100 * reliance_term,
        COMPONENT_SITE: 100 * site_term,
        COMPONENT_POLICY: 100 * policy_term,
    }
    # Round the total once (rounding is monotone, so the score keeps the model's monotonicity; rounding each
    # contribution first could lower the sum by 1e-4 when one term rises and another falls), then apportion
    # it in 1e-4 steps so the contributions add up to the score exactly.
    score = round(min(max(sum(raw_contributions.values()), 0.0), 100.0), 4)
    contributions = _apportion(raw_contributions, score)

    components = {  # validated into ScoreComponents with the RiskScore
        "supply_risk": round(bottleneck.supply_risk, 6),
        "concentration": round(bottleneck.global_hhi, 6),
        "import_reliance": round(import_reliance, 6),
        "site_concentration": round(site_concentration, 6),
        "policy_pressure": round(policy_pressure, 6),
    }
    return _Core(
        bottleneck=bottleneck,
        site_concentration=site_concentration,
        pressures=tuple(pressures),
        policy_pressure=policy_pressure,
        score=score,
        contributions=contributions,
        components=components,
        band=band_for(score, params),
        signal_ids=tuple(p.signal.id for p in pressures if p.pressure >= NEGLIGIBLE_PRESSURE),
    )


class _DriverFields(TypedDict):
    component: str
    text: str
    source: str
    points: float


def _driver(component: str, text: str, source: str, points: float) -> _DriverFields:
    # Plain fields: RiskScore's validation builds the Driver models (in pydantic-core, cheaper than one by one).
    return {"component": component, "text": text, "source": source, "points": points}


def _drivers(
    inputs: ScoringInputs,
    terms: _MaterialTerms,
    sourcing: Mapping[Stage, Sequence[ShareLike]],
    core: _Core,
    import_reliance: float,
) -> list[_DriverFields]:
    material = inputs.material
    importer = inputs.importer
    bottleneck, pressures, contributions, texts = core.bottleneck, core.pressures, core.contributions, core.texts
    top_site = terms.top_site
    drivers: list[_DriverFields] = []
    leader = terms.leader[bottleneck.stage]
    if leader is not None:
        own_shares = sourcing.get(bottleneck.stage)
        world_part = texts.get((COMPONENT_SUPPLY_RISK,))
        if world_part is None:
            world_part = texts[(COMPONENT_SUPPLY_RISK,)] = (
                f"{country_name(leader.country)} holds {leader.share:.0%} of {material.name.lower()} "
                f"{bottleneck.stage.value} (bottleneck stage; governance-weighted concentration "
                f"{bottleneck.global_hhi:.2f}/10)",
                "",
            )
        drivers.append(
            _driver(
                component=COMPONENT_SUPPLY_RISK,
                text=(
                    world_part[0] + _own_stage_phrase(inputs.importer, own_shares, bottleneck)
                    if own_shares
                    else world_part[0]
                ),
                source=material.source,
                points=contributions[COMPONENT_SUPPLY_RISK],
            )
        )
    dependency = inputs.dependency
    sourcing_source = dependency.source if dependency is not None else material.source
    importer_name = country_name(importer)
    reliance_part = texts.get((COMPONENT_IMPORT_RELIANCE,))
    if reliance_part is None:  # the import reliance is one of the shared numbers' keys
        reliance_part = texts[(COMPONENT_IMPORT_RELIANCE,)] = (
            f" relies on imports for {import_reliance:.0%} of its {material.name.lower()} supply",
            "",
        )
    drivers.append(
        _driver(
            component=COMPONENT_IMPORT_RELIANCE,
            text=importer_name
            + reliance_part[0]
            + _top_supplier_phrase(importer, material, dependency, bottleneck.stage),
            source=sourcing_source
            if dependency is not None and dependency.import_reliance is not None
            else "model default (see fallbacks)",
            points=contributions[COMPONENT_IMPORT_RELIANCE],
        )
    )
    if top_site is not None:
        site_part = texts.get((COMPONENT_SITE,))
        if site_part is None:
            site_part = texts[(COMPONENT_SITE,)] = (
                f"{top_site.name} ({country_name(top_site.country)}) is about {top_site.share:.0%} of world "
                f"{material.name.lower()} {top_site.stage.value}",
                "",
            )
        drivers.append(
            _driver(
                component=COMPONENT_SITE,
                text=site_part[0],
                source=top_site.source,
                points=contributions[COMPONENT_SITE],
            )
        )
    total_pressure = sum(p.pressure for p in pressures)
    for p in pressures:
        if p.pressure < NEGLIGIBLE_PRESSURE:
            continue
        signal = p.signal
        share = p.pressure / total_pressure if total_pressure > 0 else 0.0
        drivers.append(
            _driver(
                component=COMPONENT_POLICY,
                text=_signal_text(signal, p, importer_name, material, inputs.as_of, texts),
                source=signal.source,
                points=round(contributions[COMPONENT_POLICY] * share, 4),
            )
        )
    drivers.sort(key=lambda d: (-d["points"], d["component"], d["text"]))
    return drivers


def _signal_text(
    signal: PolicySignal,
    p: _SignalPressure,
    importer_name: str,
    material: MaterialProfile,
    as_of: date,
    texts: dict[Hashable, tuple[str, str]],
) -> str:
    """'Indonesia export ban on extraction (in force) since 2020-01-01 [ID-2020-NICKEL-ORE]: severity 1 x ...'.

    `texts`: the pair's _Core.texts, where the parts around the importer's name are kept."""
    parts = texts.get((COMPONENT_POLICY, signal.id))
    if parts is None:
        parts = texts[(COMPONENT_POLICY, signal.id)] = _signal_text_parts(signal, p, material, as_of)
    return parts[0] + importer_name + parts[1]


def _signal_text_parts(
    signal: PolicySignal, p: _SignalPressure, material: MaterialProfile, as_of: date
) -> tuple[str, str]:
    """_signal_text's parts before and after the importer's name."""
    issuer = country_name(signal.issuer)
    since = signal.effective or signal.announced
    who = f"{issuer} (country of supply; reported, not a state measure)" if not signal.state_measure else issuer
    on = (
        f" on {' and '.join(s.value for s in sorted(signal.stages))} of {material.name.lower()}"
        if signal.stages
        else ""
    )
    when = "from" if as_of < since else "since"
    if signal.status is SignalStatus.ANNOUNCED and signal.effective is None:
        dated = f"announced {signal.announced.isoformat()}, no effective date"
    else:
        dated = f"{when} {since.isoformat()}"
    bindingness = quota_bindingness(signal)
    if bindingness is not None and signal.quota_tonnes is not None and signal.reference_tonnes is not None:
        severity = (
            f"severity {p.severity:.2f} (quota {signal.quota_tonnes:,.0f} t/yr vs {signal.reference_tonnes:,.0f} t/yr "
            f"reference: binding {bindingness:.0%}, x {signal.severity:g})"
        )
    else:
        severity = f"severity {p.severity:g}"
    return (
        f"{who} {signal.measure.value.replace('_', ' ')}{on} ({signal.status.value.replace('_', ' ')}) "
        f"{dated} [{signal.id}]: {severity} x exposure of ",
        f" to {issuer} {p.exposure:.0%} x status {p.status_factor:.2f} x confidence {signal.confidence:g}",
    )


def _own_stage_phrase(importer: str, shares: Sequence[ShareLike] | None, stage: _StageRisk) -> str:
    """'; South Korea's own sourcing: DR Congo 77%, concentration 4.90/10' where the importer has one."""
    if not shares:
        return ""
    top = max(shares, key=lambda s: (s.share, s.country))
    how = " (estimated through its processing suppliers)" if isinstance(top, _Share) else ""
    return (
        f"; {country_name(importer)}'s own {stage.stage.value} sourcing{how}: {country_name(top.country)} "
        f"{top.share:.0%}, concentration {stage.importer_hhi:.2f}/10"
    )


_STAGE_WORDS = {Stage.EXTRACTION: "ores and concentrates", Stage.PROCESSING: "processed material"}


def _hs(code: str) -> str:
    return f"{code[:4]}.{code[4:]}"


def _top_supplier_phrase(
    importer: str, material: MaterialProfile, dependency: ImporterDependency | None, bottleneck: Stage
) -> str:
    """'; it buys 38% of its cobalt processed material from DR Congo (BACI 2022-2024, HS 2822.00, 8105.10)'.

    The largest foreign supplier at the bottleneck stage if the importer's sourcing has it, else at its other stage.
    """
    if dependency is None:
        return ""
    stages = [bottleneck, *(s for s in sorted(dependency.sourcing) if s != bottleneck)]
    for stage in stages:
        foreign = [s for s in dependency.sourcing.get(stage, ()) if s.country != importer]
        if not foreign:
            continue
        top = max(foreign, key=lambda s: (s.share, s.country))
        phrase = (
            f"; it buys {top.share:.0%} of its {material.name.lower()} {_STAGE_WORDS[stage]} "
            f"from {country_name(top.country)}"
        )
        trade = dependency.trade.get(stage)
        if trade is not None:
            years = f"{min(trade.years)}-{max(trade.years)}" if len(trade.years) > 1 else str(trade.years[0])
            phrase += f" (BACI {years}, HS {', '.join(_hs(c) for c in trade.hs_codes)})"
        return phrase
    return ""


class _IdentityCache:
    """Values derived from frozen inputs, keyed by the inputs' identity.

    A run scores one material for every importer with the same profile, governance and signal objects, so their
    digests and the material's terms are computed once per run, not once per pair. Each entry keeps its inputs
    alive, so an id cannot be reused by another object while the entry exists. Bounded: past `size` entries the
    oldest goes (a run's entries fit, so what goes is an earlier run's). An OrderedDict, not a dict: dropping a
    dict's first entry again and again leaves holes that `next(iter(...))` walks, which made a full cache's every
    insert cost a scan (decision 83).
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[Hashable, ...], tuple[tuple[object, ...], Any]] = OrderedDict()

    def get(self, objects: tuple[object, ...], compute: Callable[[], _T], values: tuple[Hashable, ...] = ()) -> _T:
        """The value for `objects` (by identity) and `values` (by equality), computed on a miss."""
        key = (*map(id, objects), *values) if values else tuple(map(id, objects))
        entry = self._entries.get(key)
        if entry is not None:
            value: _T = entry[1]
            return value
        computed = compute()
        self._entries[key] = (objects, computed)
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return computed


# Sized for a full run: per dependency item (~4,900 with the trade data) its digest and its partners' governance
# digest, plus the profiles, signals and world terms. Smaller, the LRU evicts what the next material needs again.
_DIGESTS = _IdentityCache(32768)
_MATERIAL_TERMS = _IdentityCache(1024)
_DERIVED = _IdentityCache(16384)
# A governance mapping's part for a set of partner countries: by value of the set, so the dependencies a request
# builds for company lines (new objects, few distinct partner sets) share it (decision 83).
_PARTNERS = _IdentityCache(4096)
# A governance mapping's "code:digest" piece per country, filled as partners are seen (decision 87)
_GOVERNANCE_PIECES = _IdentityCache(64)


#: fields no score depends on: bookkeeping, and a dependency's trade evidence (provenance behind its shares)
_NOT_HASHED = {"version", "trade"}


def _digest(model: BaseModel) -> str:
    """sha256 of the model's values (bookkeeping and provenance-only fields left out), computed once per object."""

    def compute() -> str:
        # pydantic's own JSON: fields in declaration order and per-stage maps in stage order (models.py), so
        # equal values give equal bytes without a key sort in Python.
        return _one_off_digest(model)

    return _DIGESTS.get((model,), compute)


def _governance_part(shares_by_stage: Mapping[Stage, Sequence[ProducerShare]], governance: Mapping[str, Any]) -> str:
    countries = tuple(sorted({s.country for shares in shares_by_stage.values() for s in shares}))

    def compute() -> str:
        # each country's "code:digest" piece written once per governance mapping, not once per partner set
        pieces: dict[str, str] = _GOVERNANCE_PIECES.get((governance,), dict)
        parts: list[str] = []
        for c in countries:
            piece = pieces.get(c)
            if piece is None:
                if c not in governance:
                    continue
                piece = pieces[c] = f"{c}:{_digest(governance[c])}"
            parts.append(piece)
        return ",".join(parts)

    return _PARTNERS.get((governance,), compute, countries)


def _one_off_digest(model: BaseModel) -> str:
    """_digest of an object no later call has (not cached)."""
    return hashlib.sha256(model.model_dump_json(exclude=_NOT_HASHED).encode()).hexdigest()


def _inputs_hash(
    inputs: ScoringInputs, terms: _MaterialTerms, relevant: Sequence[PolicySignal], *, one_off: bool = False
) -> str:
    """`relevant`: the signals that apply to the pair, in id order. `one_off`: see _score."""
    dependency = inputs.dependency
    governance = inputs.governance
    # A dependency's digest and its partners' governance, together (once per dependency and run).
    dependency_digest, partners = (
        ("-", "-")
        if dependency is None
        else (_one_off_digest(dependency), _governance_part(dependency.sourcing, governance))
        if one_off
        else _DIGESTS.get(
            (dependency, governance), lambda: (_digest(dependency), _governance_part(dependency.sourcing, governance))
        )
    )
    parts = (
        MODEL_VERSION,
        terms.params_digest,
        inputs.importer,
        inputs.as_of.isoformat(),
        terms.material_digest,
        dependency_digest,
        terms.world_governance_digest,
        partners,
        ",".join(terms.signal_digests[s.id] for s in relevant),
    )
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def inputs_hash(inputs: ScoringInputs, params: ScoringParameters = DEFAULT_PARAMETERS) -> str:
    """sha256 over exactly what the score depends on: a stored score can be recomputed and checked.

    It combines a digest of each input (model version, parameters, importer, as_of, the profile, the dependency,
    the governance of every country involved, the signals that apply), so a change to any of them changes it.
    """
    terms = _terms_of(inputs, params)
    relevant = [s for s in terms.signals if signal_applies(s, inputs.importer, inputs.material)]
    return _inputs_hash(inputs, terms, relevant)


# --- company mode: a portfolio line's own sourcing in place of the importer's national sourcing ------------------

#: what a driver of a company-mode score rests on
BASIS_COMPANY = "company"
BASIS_NATIONAL = "national"
BASIS_MIXED = "company+national"
BASIS_WORLD = "world"

#: the dependency source a company-mode score names
COMPANY_SOURCE = "company sourcing (portfolio line)"


@dataclass(frozen=True, slots=True)
class CompanySourcing:
    """A portfolio line's own supply mix: (country, share) per stage, shares summing to at most 1 (the rest is
    unknown), and the stage the line buys (its import share is taken there)."""

    by_stage: Mapping[Stage, Sequence[tuple[str, float]]]
    bought_stage: Stage


@dataclass(frozen=True, slots=True)
class CompanyScore:
    """A company-mode score: the RiskScore of the same model with the line's mix, and each driver's basis."""

    score: RiskScore
    #: BASIS_* per driver, in the score's driver order
    driver_basis: tuple[str, ...]
    #: the stages the company's own mix replaced
    company_stages: tuple[Stage, ...]
    #: the line's import share (replaces national import reliance)
    import_share: float
    #: the part of the bought stage's mix that is unknown (taken at the national mix)
    unknown_share: float


def _is_domestic(country: str, importer: str) -> bool:
    return country == importer or (importer == EU and country in EU_MEMBER_STATES)


def _national_import_reliance(inputs: ScoringInputs, terms: _MaterialTerms) -> float:
    """The importer's import reliance as compute_score takes it (its figure, else 1 - its world share)."""
    dependency = inputs.dependency
    if dependency is not None and dependency.import_reliance is not None:
        return dependency.import_reliance
    own_share = terms.world_share[terms.first_stage].get(inputs.importer, 0.0)
    return 1.0 - min(own_share, 1.0)


def _blend(
    company: Sequence[tuple[str, float]],
    national: Sequence[ShareLike],
) -> tuple[ProducerShare, ...]:
    """The company's shares, plus the unknown rest at the national (or world) mix of the stage."""
    rest = max(0.0, 1.0 - sum(share for _, share in company))
    mix: dict[str, float] = {}
    restriction = {s.country: s.trade_restriction for s in national}
    for country, share in company:
        mix[country] = mix.get(country, 0.0) + share
    if rest > 0.0:
        for s in national:
            mix[s.country] = mix.get(s.country, 0.0) + rest * s.share
    # One validation of the whole tuple in pydantic-core: cheaper than a model_construct per share (decision 83)
    return _producer_shares().validate_python(
        [
            {"country": country, "share": min(share, 1.0), "trade_restriction": restriction.get(country, 1.0)}
            for country, share in sorted(mix.items())
            if share > 0.0
        ]
    )


@cache
def _producer_shares() -> TypeAdapter[tuple[ProducerShare, ...]]:
    return TypeAdapter(tuple[ProducerShare, ...])  # on first use: not on a cold start that scores nothing


def company_dependency(
    inputs: ScoringInputs, sourcing: CompanySourcing, params: ScoringParameters = DEFAULT_PARAMETERS
) -> tuple[ImporterDependency, float, float]:
    """The dependency compute_score reads, built from the line's own mix: per company stage its shares plus the
    unknown rest at the national mix (the world's where the importer has none); other stages stay national; the
    import reliance is the line's import share at the stage it buys (sources in the importer's own economy, or an
    EU member state for the EU, are domestic; the unknown rest at the national import reliance).

    Returns (dependency, import share, unknown share at the bought stage)."""
    material = inputs.material
    national = inputs.dependency
    terms = _terms_of(inputs, params)
    national_sourcing: Mapping[Stage, Sequence[ShareLike]] = national.sourcing if national is not None else {}
    stages: dict[Stage, tuple[ProducerShare, ...]] = dict(national.sourcing) if national is not None else {}
    for stage, company in sourcing.by_stage.items():
        if stage not in material.stages:
            continue
        stages[stage] = _blend(company, national_sourcing.get(stage) or material.stages[stage])
    bought = sourcing.bought_stage if sourcing.bought_stage in sourcing.by_stage else max(sourcing.by_stage)
    company = sourcing.by_stage.get(bought, ())
    unknown = max(0.0, 1.0 - sum(share for _, share in company))
    foreign = sum(share for country, share in company if not _is_domestic(country, inputs.importer))
    import_share = min(1.0, foreign + unknown * _national_import_reliance(inputs, terms))
    dependency = ImporterDependency.model_construct(  # built from validated inputs (see _blend)
        importer=inputs.importer,
        material=material.id,
        import_reliance=import_share,
        sourcing=dict(sorted(stages.items())),  # stage order, as the validator keeps it (the digest reads it)
        trade={},
        method="company_sourcing",
        source=COMPANY_SOURCE,
        version=1,
    )
    return dependency, import_share, unknown


def _mix_text(company: Sequence[tuple[str, float]]) -> str:
    top = sorted(company, key=lambda cs: (-cs[1], cs[0]))[:3]
    return ", ".join(f"{country_name(c)} {share:.0%}" for c, share in top) or "none listed"


#: Company scores by the value of everything they depend on (see _company_key); a portfolio is at most 1,000 lines
_COMPANY_SCORES = _IdentityCache(4096)
# A governance mapping's digest of all its entries, by the mapping's identity (one per request's mapping)
_GOVERNANCE = _IdentityCache(64)


def _governance_digest(governance: Mapping[str, CountryGovernance]) -> str:
    return _GOVERNANCE.get(
        (governance,),
        lambda: hashlib.sha256(
            "|".join(f"{c}:{_digest(g)}" for c, g in sorted(governance.items())).encode()
        ).hexdigest(),
    )


def _company_key(inputs: ScoringInputs, sourcing: CompanySourcing, params: ScoringParameters) -> tuple[Hashable, ...]:
    """Everything a company score depends on, by value: the model version and parameters, importer, day, profile,
    the national dependency (its sourcing and import reliance: a company score names no national trade evidence),
    every governance entry, the signals that name the material, and the line's mix (in its order: the float sums
    follow it). Each part is a digest cached by its object's identity, so re-read objects (the adapter keeps them,
    decision 84) cost a lookup, and new objects with equal values give the same key. Not the material's terms:
    they are keyed by the identity of the request's governance mapping and signal list, new on every request."""
    dependency = inputs.dependency
    return (
        MODEL_VERSION,
        _digest(params),
        inputs.importer,
        inputs.as_of,
        _digest(inputs.material),
        "-" if dependency is None else _digest(dependency),
        _governance_digest(inputs.governance),
        # every signal the caller gives (a superset of those that name the material), in its order
        tuple(_digest(s) for s in inputs.signals),
        sourcing.bought_stage,
        tuple(sourcing.by_stage.items()),
    )


def company_score(
    inputs: ScoringInputs,
    sourcing: CompanySourcing,
    computed_at: datetime,
    params: ScoringParameters = DEFAULT_PARAMETERS,
) -> CompanyScore:
    """compute_company_score, served from a cache of earlier results for equal inputs (decision 84): a warm
    function answering a portfolio's risk again scores only the lines whose inputs changed. The result is the one
    compute_company_score gives (same value, drivers, inputs hash), with this call's computed_at."""
    _validate_pair(inputs)
    cached = _COMPANY_SCORES.get(
        (), lambda: compute_company_score(inputs, sourcing, computed_at, params), _company_key(inputs, sourcing, params)
    )
    if cached.score.computed_at is computed_at:  # not ==: equal instants in other zones print differently
        return cached
    return replace(cached, score=cached.score.model_copy(update={"computed_at": computed_at}))


def compute_company_score(
    inputs: ScoringInputs,
    sourcing: CompanySourcing,
    computed_at: datetime,
    params: ScoringParameters = DEFAULT_PARAMETERS,
) -> CompanyScore:
    """Score one portfolio line in company mode: the same model (and model version, and inputs hash scheme) as
    compute_score, with the line's own mix in place of the importer's national sourcing at the stages it gives
    (concentration of its own sources, exposure of each signal to its own partners) and its import share in place
    of national import reliance. World supply (bottleneck stage, sites) is unchanged. The drivers say which parts
    are the company's and which national (`driver_basis`, and the texts)."""
    _validate_pair(inputs)
    dependency, import_share, unknown = company_dependency(inputs, sourcing, params)
    score = _score(
        ScoringInputs(
            importer=inputs.importer,
            material=inputs.material,
            dependency=dependency,
            governance=inputs.governance,
            signals=inputs.signals,
            as_of=inputs.as_of,
        ),
        computed_at,
        params,
        one_off=True,  # the line's dependency object: built for this score only
    )
    company_stages = tuple(sorted(s for s in sourcing.by_stage if s in inputs.material.stages))
    importer_name = country_name(inputs.importer)
    material = inputs.material
    bought = sourcing.bought_stage if sourcing.bought_stage in sourcing.by_stage else max(sourcing.by_stage)
    drivers: list[Driver] = []
    basis: list[str] = []
    for driver in score.drivers:
        text, source, what = driver.text, driver.source, BASIS_NATIONAL
        if driver.component == COMPONENT_SUPPLY_RISK:
            what = BASIS_COMPANY if score.bottleneck_stage in company_stages else BASIS_WORLD
            text = text.replace(f"; {importer_name}'s own ", "; this line's own ")
        elif driver.component == COMPONENT_IMPORT_RELIANCE:
            what = BASIS_COMPANY if unknown <= 0.0 else BASIS_MIXED
            text = (
                f"This line imports {import_share:.0%} of its {material.name.lower()} {bought.value} "
                f"(company sourcing: {_mix_text(sourcing.by_stage.get(bought, ()))}"
                + (f"; the unknown {unknown:.0%} at {importer_name}'s national mix)" if unknown > 0.0 else ")")
            )
        elif driver.component == COMPONENT_SITE:
            what = BASIS_WORLD
        elif driver.component == COMPONENT_POLICY:
            signal_id = text[text.rfind("[") + 1 : text.rfind("]")]
            signal = next((s for s in inputs.signals if s.id == signal_id), None)
            covered = [s for s in ((signal.stages or tuple(material.stages)) if signal else ()) if s in material.stages]
            own = [s for s in covered if s in company_stages]
            what = BASIS_COMPANY if own and len(own) == len(covered) else BASIS_MIXED if own else BASIS_NATIONAL
            text = text.replace(f"x exposure of {importer_name} to", "x exposure of this line to")
        drivers.append(Driver(component=driver.component, text=text, source=source, points=driver.points))
        basis.append(what)
    return CompanyScore(
        score=score.model_copy(update={"drivers": tuple(drivers)}),
        driver_basis=tuple(basis),
        company_stages=company_stages,
        import_share=round(import_share, 6),
        unknown_share=round(unknown, 6),
    )
