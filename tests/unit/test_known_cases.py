"""Known cases on the real seed data (EU CRM 2023, WGI 2022, USGS/JOGMEC, the Chinese export-control timeline)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from shared.adapters.seed_files import read_seed
from shared.domain.models import Band, ImporterDependency, PolicySignal, RiskScore, SignalStatus, Stage
from shared.domain.scoring import ScoringInputs, compute_score
from shared.services.seeding import SeedData

AS_OF = date(2026, 11, 28)
JP_2026_SIGNALS = {"CN-2026-JP-DUALUSE", "CN-2026-JP-LICENCE-STALL"}


@pytest.fixture(scope="module")
def seed() -> SeedData:
    return read_seed()


def score(seed: SeedData, importer: str, material: str, as_of: date = AS_OF, **changes: object) -> RiskScore:
    data = replace(seed, **changes)  # type: ignore[arg-type]
    profile = next(m for m in data.materials if m.id == material)
    dependency = next((d for d in data.dependencies if (d.importer, d.material) == (importer, material)), None)
    inputs = ScoringInputs(
        importer=importer,
        material=profile,
        dependency=dependency,
        governance={g.country: g for g in data.governance},
        signals=data.signals,
        as_of=as_of,
    )
    return compute_score(inputs, datetime.combine(as_of, datetime.min.time(), UTC))


def test_dysprosium_has_a_higher_supply_risk_than_copper(seed: SeedData) -> None:
    for importer in ("EU", "JP", "US", "DE"):
        dysprosium, copper = score(seed, importer, "dysprosium"), score(seed, importer, "copper")
        assert dysprosium.components.supply_risk > copper.components.supply_risk, importer


def test_japan_dysprosium_with_the_2026_signals_is_critical_and_above_the_united_states(seed: SeedData) -> None:
    japan, united_states = score(seed, "JP", "dysprosium"), score(seed, "US", "dysprosium")
    assert japan.band is Band.CRITICAL
    assert japan.score > united_states.score
    assert set(japan.signal_ids) >= JP_2026_SIGNALS
    assert any("China holds 100% of dysprosium processing" in d.text for d in japan.drivers)


def test_removing_the_japan_signals_lowers_japan_score(seed: SeedData) -> None:
    without = [s for s in seed.signals if s.id not in JP_2026_SIGNALS]
    assert score(seed, "JP", "dysprosium", signals=without).score < score(seed, "JP", "dysprosium").score
    # the United States is not a target of either: its score does not move
    assert score(seed, "US", "dysprosium", signals=without).score == score(seed, "US", "dysprosium").score


def test_a_lifted_signal_fades_over_its_half_life(seed: SeedData) -> None:
    lifted_at = date(2026, 2, 1)
    lifted = [
        s.model_copy(update={"status": SignalStatus.LIFTED, "lifted_at": lifted_at})
        if s.id == "CN-2026-JP-LICENCE-STALL"
        else s
        for s in seed.signals
    ]
    in_force = score(seed, "JP", "dysprosium", as_of=lifted_at - timedelta(days=1), signals=lifted)
    after = [score(seed, "JP", "dysprosium", as_of=lifted_at + timedelta(days=d), signals=lifted) for d in (0, 90, 720)]
    assert in_force.score > after[0].score > after[1].score > after[2].score
    without = [s for s in seed.signals if s.id != "CN-2026-JP-LICENCE-STALL"]
    gone = score(seed, "JP", "dysprosium", as_of=lifted_at + timedelta(days=720), signals=without)
    assert after[2].score == pytest.approx(gone.score, abs=0.1)


def test_scoring_a_material_for_many_importers_equals_scoring_each_pair_with_every_signal(seed: SeedData) -> None:
    # score_material drops the signals that cannot touch the material before scoring its pairs: nothing changes
    from shared.services.rescoring import ScoringContext, score_material

    context = ScoringContext(governance={g.country: g for g in seed.governance}, signals=list(seed.signals))
    at = datetime.combine(AS_OF, datetime.min.time(), UTC)
    importers = ["CN", "EU", "JP", "US", "KR", "IN"]
    for material in seed.materials:
        dependencies = [d for d in seed.dependencies if d.material == material.id]
        batch = score_material(context, material, dependencies, importers, at)
        assert batch == [score(seed, importer, material.id) for importer in importers], material.id


# --- importer side from bilateral trade (BACI 2022-2024, World Mining Data; model 1.1) ----------------------


def dependency_of(seed: SeedData, importer: str, material: str) -> ImporterDependency:
    return next(d for d in seed.dependencies if (d.importer, d.material) == (importer, material))


def top_foreign_source(seed: SeedData, importer: str, material: str, stage: Stage) -> str:
    shares = [s for s in dependency_of(seed, importer, material).sourcing[stage] if s.country != importer]
    return str(max(shares, key=lambda s: s.share).country)


def test_china_imports_its_cobalt_chromium_and_nickel_feed(seed: SeedData) -> None:
    """Refining 60% of the world's cobalt is not self-sufficiency: China imports almost all of its feed."""
    for material in ("cobalt", "chromium", "nickel"):
        assert (dependency_of(seed, "CN", material).import_reliance or 0.0) >= 0.8, material
        assert score(seed, "CN", material).components.import_reliance >= 0.8, material
    assert top_foreign_source(seed, "CN", "cobalt", Stage.PROCESSING) == "CD"
    cobalt = dependency_of(seed, "CN", "cobalt")
    assert cobalt.method == "bilateral_trade/1"
    assert cobalt.trade[Stage.PROCESSING].hs_codes == ("282200", "810510")
    assert cobalt.trade[Stage.PROCESSING].years == (2022, 2023, 2024)


def test_india_smelts_its_own_aluminium(seed: SeedData) -> None:
    assert dependency_of(seed, "IN", "aluminium").import_reliance == pytest.approx(0.13, abs=0.05)
    assert score(seed, "IN", "aluminium").components.import_reliance < 0.3


def test_japan_imports_nearly_all_its_copper_concentrate(seed: SeedData) -> None:
    """Its refining share used to be read as own supply (import reliance 0.94 by the old fallback)."""
    japan = dependency_of(seed, "JP", "copper")
    assert (japan.import_reliance or 0.0) >= 0.95
    assert Stage.EXTRACTION in japan.trade


def test_japan_top_rare_earth_source_is_china(seed: SeedData) -> None:
    for material in ("neodymium", "dysprosium", "lanthanum"):
        assert top_foreign_source(seed, "JP", material, Stage.PROCESSING) == "CN", material


def test_korea_and_germany_cobalt_differ_and_say_why(seed: SeedData) -> None:
    korea, germany = score(seed, "KR", "cobalt"), score(seed, "DE", "cobalt")
    assert korea.score != germany.score
    # Korea buys Congolese intermediates directly; Germany buys Finnish and Belgian refined cobalt
    assert korea.score > germany.score
    korea_text = " ".join(d.text for d in korea.drivers)
    germany_text = " ".join(d.text for d in germany.drivers)
    assert "of its cobalt processed material from DR Congo (BACI 2022-2024, HS 2822.00, 8105.10)" in korea_text
    assert "of its cobalt processed material from Finland" in germany_text
    assert "South Korea's own extraction sourcing (estimated through its processing suppliers): DR Congo" in (
        korea_text
    )


def test_every_default_importer_has_its_own_data_for_several_materials(seed: SeedData) -> None:
    own: dict[str, int] = {}
    for d in seed.dependencies:
        own[d.importer] = own.get(d.importer, 0) + 1
    assert len({d.importer for d in seed.dependencies}) >= 150
    assert sum(1 for n in own.values() if n >= 5) >= 150


def test_recycling_input_rates_come_from_the_scrreen_factsheets(seed: SeedData) -> None:
    profiles = {m.id: m for m in seed.materials}
    assert profiles["lead"].recycling_input_rate == pytest.approx(0.83)
    assert profiles["copper"].recycling_input_rate == pytest.approx(0.55)
    assert "SCRREEN2" in profiles["lead"].source
    # no rate for hydrogen: the model's default (0) applies and says so
    assert profiles["hydrogen"].recycling_input_rate is None
    assert any("recycling" in f for f in score(seed, "DE", "hydrogen").fallbacks)


# --- signals beyond China (model 1.2: stages, quotas, announced, non-state) ---------------------------------


def _signal(seed: SeedData, sid: str) -> PolicySignal:
    return next(s for s in seed.signals if s.id == sid)


def _pressure(seed: SeedData, importer: str, material: str, signal: PolicySignal) -> float:
    """The policy pressure one signal alone puts on a pair (its x_j in docs/scoring-model.md section 6)."""
    return score(seed, importer, material, signals=[signal]).components.policy_pressure


def test_dr_congo_cobalt_quota_weighs_most_on_china_and_not_on_the_dr_congo(seed: SeedData) -> None:
    quota = _signal(seed, "CD-2025-COBALT-QUOTA")
    without = [s for s in seed.signals if s.id != quota.id]
    importers = sorted({d.importer for d in seed.dependencies if d.material == "cobalt"})
    pressure = {i: _pressure(seed, i, "cobalt", quota) for i in importers}
    # China buys 78% of its cobalt intermediates and metal from the DR Congo (BACI), 89% with its estimated ore:
    # the largest pressure among the major economies; small transit economies (Mozambique, Namibia, Hong Kong)
    # have higher shares on small volumes, so China leads by the volume exposed (pressure x tonnes imported)
    majors = ("CN", "KR", "JP", "US", "EU", "DE", "IN", "FI", "BE", "GB")
    assert max(majors, key=lambda i: pressure[i]) == "CN"

    def exposed_tonnes(importer: str) -> float:
        trade = dependency_of(seed, importer, "cobalt").trade.get(Stage.PROCESSING)  # the EU: published shares
        return pressure[importer] * trade.imports_tonnes if trade is not None else 0.0

    assert max(importers, key=exposed_tonnes) == "CN"
    assert pressure["CN"] == pytest.approx((1 - 96_600 / 151_915) * 0.889, abs=0.005)
    # the quota raises every other importer's score; the DR Congo's own measure never counts against it
    assert pressure["CD"] == 0.0
    assert score(seed, "CD", "cobalt").score == score(seed, "CD", "cobalt", signals=without).score
    for importer in ("CN", "KR", "JP", "DE", "US", "EU"):
        assert score(seed, importer, "cobalt").score > score(seed, importer, "cobalt", signals=without).score
    driver = next(d.text for d in score(seed, "CN", "cobalt").drivers if quota.id in d.text)
    assert "quota 96,600 t/yr vs 151,915 t/yr reference: binding 36%" in driver


def test_indonesia_nickel_ore_ban_moves_ore_importers_only(seed: SeedData) -> None:
    # the trade data has nickel ORE (HS 2604) only: importers' nickel sourcing is the extraction stage; processed
    # nickel is at world processing shares, where Indonesia holds 12.2%
    ban = _signal(seed, "ID-2020-NICKEL-ORE")
    assert ban.stages == (Stage.EXTRACTION,)
    without = [s for s in seed.signals if s.id != ban.id]
    germany = dependency_of(seed, "DE", "nickel")
    assert set(germany.sourcing) == {Stage.EXTRACTION}
    # Germany buys 5.5% of its nickel ore from Indonesia: the ban moves it
    assert _pressure(seed, "DE", "nickel", ban) == pytest.approx(0.0549, abs=1e-3)
    assert score(seed, "DE", "nickel").score > score(seed, "DE", "nickel", signals=without).score
    # the United States buys no Indonesian ore: only its processed nickel (world shares) comes from Indonesia,
    # which the ore ban does not touch; the same ban on every stage would
    assert _pressure(seed, "US", "nickel", ban) == 0.0
    assert score(seed, "US", "nickel").score == score(seed, "US", "nickel", signals=without).score
    everything = ban.model_copy(update={"stages": ()})
    assert _pressure(seed, "US", "nickel", everything) == pytest.approx(0.122)


def test_malaysia_raw_rare_earth_moratorium_touches_extraction_only(seed: SeedData) -> None:
    moratorium = _signal(seed, "MY-2024-REE-RAW")
    assert moratorium.stages == (Stage.EXTRACTION,)
    every_stage = moratorium.model_copy(update={"stages": ()})
    # the EU buys 6% of its neodymium ore and 11% of its processed neodymium from Malaysia (EU CRM 2023)
    assert _pressure(seed, "EU", "neodymium", moratorium) == pytest.approx(0.06)
    assert _pressure(seed, "EU", "neodymium", every_stage) == pytest.approx(0.11)
    # Korea and the US buy 15% and 13% of their processed rare earths from Malaysia, which stays exportable: only
    # Malaysia's share of their estimated ore mix counts
    for importer in ("KR", "US"):
        assert _pressure(seed, importer, "neodymium", moratorium) < 0.01
        assert _pressure(seed, importer, "neodymium", every_stage) > 0.12


def test_an_announced_2029_ban_weighs_less_today_than_the_same_ban_in_force(seed: SeedData) -> None:
    gabon = _signal(seed, "GA-2029-MANGANESE-RAW")
    assert (gabon.status, gabon.effective) == (SignalStatus.ANNOUNCED, date(2029, 1, 1))
    in_force = gabon.model_copy(update={"status": SignalStatus.IN_FORCE, "effective": None})
    others = [s for s in seed.signals if s.id != gabon.id]
    for importer in ("US", "EU", "CN", "IN"):
        announced = score(seed, importer, "manganese")
        enforced = score(seed, importer, "manganese", signals=[*others, in_force])
        without = score(seed, importer, "manganese", signals=others)
        assert without.score < announced.score < enforced.score, importer
    # on 2026-11-28, 765 days ahead: 0.5 * 0.5 ** (764 / 365)
    assert _pressure(seed, "US", "manganese", gabon) == pytest.approx(
        _pressure(seed, "US", "manganese", in_force) * 0.5 * 0.5 ** (764 / 365), abs=1e-5
    )


def test_kachin_disruption_counts_as_reported_and_non_state(seed: SeedData) -> None:
    kachin = _signal(seed, "MM-2024-KACHIN-RE")
    assert (kachin.state_measure, kachin.targets) == (False, ("CN",))
    result = score(seed, "CN", "dysprosium")
    text = next(d.text for d in result.drivers if kachin.id in d.text)
    assert text.startswith("Myanmar (country of supply; reported, not a state measure)")


def test_superseded_measures_keep_only_their_residual(seed: SeedData) -> None:
    suspension = _signal(seed, "CD-2025-COBALT-SUSPENSION")
    assert suspension.lifted_at == date(2025, 10, 16)
    # on 2026-11-28, 408 days after the lift: 0.5 * 0.5 ** (408 / 90) of the in-force pressure
    in_force = suspension.model_copy(update={"status": SignalStatus.IN_FORCE, "lifted_at": None})
    assert _pressure(seed, "CN", "cobalt", suspension) == pytest.approx(
        _pressure(seed, "CN", "cobalt", in_force) * 0.5 * 0.5 ** (408 / 90), abs=1e-5
    )
