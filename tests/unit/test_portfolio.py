"""Portfolio aggregation (shared/domain/portfolio.py) worked by hand on small literal fixtures. Pure: no AWS."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from shared.domain.errors import InvalidInputError
from shared.domain.models import (
    Band,
    MaterialProfile,
    ProducerShare,
    RiskScore,
    ScoreComponents,
    Stage,
)
from shared.domain.portfolio import (
    MAX_PORTFOLIO_ITEMS,
    ExposureLine,
    Portfolio,
    PortfolioDriver,
    PortfolioItem,
    RiskLine,
    UnscoredLine,
    aggregate_portfolio_risk,
    expand_items,
    unexpanded_items,
    unknown_material_rows,
)
from shared.domain.scoring import band_for

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def shares(*pairs: tuple[str, float]) -> tuple[ProducerShare, ...]:
    return tuple(ProducerShare(country=c, share=s) for c, s in pairs)


def material(
    material_id: str, groups: tuple[str, ...], stages: dict[Stage, tuple[ProducerShare, ...]]
) -> MaterialProfile:
    return MaterialProfile(
        id=material_id, name=material_id.capitalize(), groups=groups, stages=stages, source="fixture"
    )


CATALOGUE = {
    m.id: m
    for m in (
        material(
            "dysprosium",
            ("rare_earths", "hree"),
            {Stage.EXTRACTION: shares(("CN", 0.844), ("MM", 0.093)), Stage.PROCESSING: shares(("CN", 1.0))},
        ),
        material(
            "terbium",
            ("rare_earths", "hree"),
            {Stage.EXTRACTION: shares(("CN", 0.844), ("MM", 0.093)), Stage.PROCESSING: shares(("CN", 1.0))},
        ),
        material(
            "neodymium",
            ("rare_earths", "lree"),
            {
                Stage.EXTRACTION: shares(("CN", 0.683), ("AU", 0.099)),
                Stage.PROCESSING: shares(("CN", 0.849), ("MY", 0.105)),
            },
        ),
        material(
            "copper",
            ("other_non_ferrous_metals",),
            {
                Stage.EXTRACTION: shares(("CL", 0.277), ("PE", 0.115)),
                Stage.PROCESSING: shares(("CN", 0.383), ("CL", 0.1)),
            },
        ),
        material("lithium", (), {Stage.EXTRACTION: shares(("AU", 0.5), ("CL", 0.25))}),
    )
}


def risk_score(
    material_id: str,
    score: float,
    importer: str = "JP",
    bottleneck: Stage = Stage.PROCESSING,
    signal_ids: tuple[str, ...] = (),
) -> RiskScore:
    return RiskScore(
        importer=importer,
        material=material_id,
        groups=CATALOGUE[material_id].groups,
        score=score,
        band=band_for(score),
        components=ScoreComponents(
            supply_risk=0.0, concentration=0.0, import_reliance=0.0, site_concentration=0.0, policy_pressure=0.0
        ),
        contributions={"supply_risk": score},
        drivers=(),
        confidence=1.0,
        fallbacks=(),
        bottleneck_stage=bottleneck,
        signal_ids=signal_ids,
        model_version="test",
        inputs_hash="0" * 64,
        as_of=date(2026, 5, 1),
        computed_at=NOW,
    )


def risk_line(
    material_id: str,
    spend: float,
    score: float,
    bottleneck: Stage = Stage.PROCESSING,
    signal_ids: tuple[str, ...] = (),
    importer: str = "JP",
) -> RiskLine:
    line = ExposureLine(
        item_index=0,
        material=material_id,
        importer=importer,
        annual_spend=spend,
        part=None,
        supplier=None,
        via_group=None,
    )
    return RiskLine(line, risk_score(material_id, score, importer, bottleneck, signal_ids))


def item(material_id: str, spend: float, importer: str = "JP", **extra: Any) -> PortfolioItem:
    return PortfolioItem(material=material_id, importer=importer, annual_spend=spend, **extra)


def portfolio_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "tenant": "team-a",
        "id": "magnets",
        "name": "Magnet plant",
        "currency": "USD",
        "items": [{"material": "dysprosium", "importer": "JP", "annual_spend": 100.0}],
        "updated_at": NOW,
    }
    data.update(overrides)
    return data


# Spend 1000 in all: two heavy rare earths and neodymium are at risk (500), copper is not.
#   weighted = (100*80 + 200*90 + 200*60 + 500*20) / 1000 = 48000 / 1000 = 48.0 -> moderate
#   risk x spend: Dy 80, Tb 180, Nd 120, Cu 100 -> Tb, Nd, Cu, Dy
#   at-risk 500: heavy rare earths (Dy, Tb) 300 = 60%, light rare earths (Nd) 200 = 40%
#                signal CN-LIC (Dy, Tb) 300 = 60%, signal CN-BAN (Tb) 200 = 40%
MIXED = [
    risk_line("dysprosium", 100.0, 80.0, signal_ids=("CN-LIC",)),
    risk_line("terbium", 200.0, 90.0, signal_ids=("CN-BAN", "CN-LIC")),
    risk_line("neodymium", 200.0, 60.0),
    risk_line("copper", 500.0, 20.0, signal_ids=("CL-TAX",)),
]


# --- aggregation -------------------------------------------------------------------------------------------


def test_spend_weighted_score_max_and_band_of_the_weighted_score():
    risk = aggregate_portfolio_risk(MIXED, CATALOGUE)
    assert risk.total_spend == 1000.0
    assert risk.spend_weighted_score == pytest.approx(48.0)
    assert risk.max_score == 90.0
    # the band is the weighted score's (moderate), not the worst line's (critical)
    assert risk.band is Band.MODERATE
    assert risk.at_risk_spend == 500.0


def test_the_band_is_that_of_the_reported_weighted_score():
    # (3 x 74.9999 + 1 x 75.0002) / 4 = 74.999975, reported as 75.0: the band must be critical, as for 75.0
    risk = aggregate_portfolio_risk(
        [risk_line("dysprosium", 3.0, 74.9999), risk_line("terbium", 1.0, 75.0002)], CATALOGUE
    )
    assert risk.spend_weighted_score == 75.0
    assert risk.band is Band.CRITICAL == band_for(risk.spend_weighted_score)


def test_lines_are_ranked_by_risk_times_spend_not_by_score():
    risk = aggregate_portfolio_risk(MIXED, CATALOGUE)
    assert [r.line.material for r in risk.lines] == ["terbium", "neodymium", "copper", "dysprosium"]
    assert [r.risk_spend for r in risk.lines] == pytest.approx([180.0, 120.0, 100.0, 80.0])


def test_ranking_ties_break_on_score_then_material():
    lines = [risk_line("copper", 100.0, 50.0), risk_line("terbium", 50.0, 100.0), risk_line("dysprosium", 50.0, 100.0)]
    risk = aggregate_portfolio_risk(lines, CATALOGUE)
    # all three have risk x spend 50: the higher score first, then by material id
    assert [r.line.material for r in risk.lines] == ["dysprosium", "terbium", "copper"]


def test_drivers_name_the_share_of_at_risk_spend_behind_each_dependency():
    risk = aggregate_portfolio_risk(MIXED, CATALOGUE)
    assert risk.drivers == [
        PortfolioDriver("60% of your at-risk spend depends on Chinese processing of heavy rare earths", 0.6),
        PortfolioDriver("60% of your at-risk spend is under signal CN-LIC", 0.6),
        PortfolioDriver("40% of your at-risk spend depends on Chinese processing of light rare earths", 0.4),
        PortfolioDriver("40% of your at-risk spend is under signal CN-BAN", 0.4),
    ]
    # copper is not at risk: its signal is not a driver of the at-risk spend
    assert not any("CL-TAX" in d.text for d in risk.drivers)


def test_driver_share_of_heavy_rare_earths_on_chinese_processing():
    """Dy 300 + Tb 100 of 1000 at-risk spend hang on Chinese HREE processing: 40%."""
    lines = [
        risk_line("dysprosium", 300.0, 85.0),
        risk_line("terbium", 100.0, 55.0),
        risk_line("neodymium", 600.0, 70.0, bottleneck=Stage.EXTRACTION),
    ]
    risk = aggregate_portfolio_risk(lines, CATALOGUE)
    by_text = {d.text: d.at_risk_spend_share for d in risk.drivers}
    assert by_text == {
        "60% of your at-risk spend depends on Chinese extraction of light rare earths": 0.6,
        "40% of your at-risk spend depends on Chinese processing of heavy rare earths": 0.4,
    }


def test_driver_uses_the_leader_at_the_bottleneck_stage_and_the_name_when_there_is_no_group():
    lines = [risk_line("lithium", 10.0, 60.0, bottleneck=Stage.EXTRACTION)]
    risk = aggregate_portfolio_risk(lines, CATALOGUE)
    assert [d.text for d in risk.drivers] == ["100% of your at-risk spend depends on Australian extraction of lithium"]


def test_drivers_are_capped():
    risk = aggregate_portfolio_risk(MIXED, CATALOGUE, max_drivers=2)
    assert [d.at_risk_spend_share for d in risk.drivers] == [0.6, 0.6]


def test_no_drivers_when_nothing_is_at_risk():
    risk = aggregate_portfolio_risk([risk_line("copper", 500.0, 49.9999, signal_ids=("CL-TAX",))], CATALOGUE)
    assert risk.band is Band.MODERATE
    assert (risk.at_risk_spend, risk.drivers) == (0.0, [])


def test_zero_spend_falls_back_to_the_plain_mean():
    lines = [risk_line("dysprosium", 0.0, 80.0), risk_line("copper", 0.0, 20.0), risk_line("neodymium", 0.0, 50.0)]
    risk = aggregate_portfolio_risk(lines, CATALOGUE)
    assert risk.total_spend == 0.0
    assert risk.spend_weighted_score == pytest.approx(50.0)
    assert risk.band is Band.HIGH
    assert risk.max_score == 80.0
    assert risk.drivers == []  # no spend to share out


def test_zero_spend_lines_do_not_count_when_there_is_other_spend():
    lines = [risk_line("dysprosium", 0.0, 95.0), risk_line("copper", 100.0, 20.0)]
    risk = aggregate_portfolio_risk(lines, CATALOGUE)
    assert risk.spend_weighted_score == pytest.approx(20.0)
    assert risk.max_score == 95.0


def test_an_empty_portfolio_aggregates_to_zero():
    risk = aggregate_portfolio_risk([], CATALOGUE)
    assert (risk.total_spend, risk.spend_weighted_score, risk.max_score, risk.band) == (0.0, 0.0, 0.0, Band.LOW)
    assert (risk.lines, risk.drivers, risk.at_risk_spend) == ([], [], 0.0)


# --- group expansion and unknown rows -----------------------------------------------------------------------


def test_a_group_expands_to_its_members_with_the_spend_split_equally():
    items = [
        item("hree", 300.0, part="magnet", supplier="Acme"),
        item("copper", 50.0, importer="DE"),
        item("rare_earths", 90.0),
    ]
    lines = expand_items(items, CATALOGUE)
    assert [(x.item_index, x.material, x.importer, x.annual_spend, x.via_group) for x in lines] == [
        (0, "dysprosium", "JP", 150.0, "hree"),
        (0, "terbium", "JP", 150.0, "hree"),
        (1, "copper", "DE", 50.0, None),
        (2, "dysprosium", "JP", 30.0, "rare_earths"),
        (2, "neodymium", "JP", 30.0, "rare_earths"),
        (2, "terbium", "JP", 30.0, "rare_earths"),
    ]
    assert {(x.part, x.supplier) for x in lines if x.item_index == 0} == {("magnet", "Acme")}
    # expansion keeps the total spend
    assert sum(x.annual_spend for x in lines) == pytest.approx(440.0)


def test_material_ids_and_importers_are_canonicalised():
    lines = expand_items([item(" Dysprosium ", 10.0, importer="jp")], CATALOGUE)
    assert [(x.material, x.importer, x.via_group) for x in lines] == [("dysprosium", "JP", None)]


def test_unknown_material_rows_lists_every_offending_row():
    items = [item("dysprosium", 1.0), item("unobtainium", 1.0), item("hree", 1.0), item("kryptonite", 1.0)]
    assert unknown_material_rows(items, CATALOGUE) == [1, 3]
    assert unknown_material_rows(items[:1], CATALOGUE) == []


def test_an_item_whose_group_has_no_materials_any_more_is_unexpanded_with_its_whole_spend():
    items = [item("dysprosium", 10.0), item("magnets_old", 1000.0, part="alloy", supplier="Acme")]
    assert [x.material for x in expand_items(items, CATALOGUE)] == ["dysprosium"]
    assert unexpanded_items(items, CATALOGUE) == [
        UnscoredLine(
            item_index=1,
            material="magnets_old",
            importer="JP",
            annual_spend=1000.0,
            part="alloy",
            supplier="Acme",
            via_group=None,
            reason="no material is magnets_old or in group magnets_old any more (see GET /v1/materials): its spend "
            "has no score",
        )
    ]


def test_unscored_spend_counts_in_the_total_but_not_in_the_scores():
    unscored = [
        UnscoredLine(3, "magnets_old", "JP", 1000.0, None, None, None, "gone"),
        UnscoredLine(1, "terbium", "JP", 50.0, None, None, "hree", "no score"),
    ]
    risk = aggregate_portfolio_risk([risk_line("copper", 10.0, 20.0)], CATALOGUE, unscored=unscored)
    assert (risk.total_spend, risk.scored_spend, risk.unscored_spend) == (1060.0, 10.0, 1050.0)
    assert risk.spend_weighted_score == 20.0  # over the scored spend only, not diluted by unscored spend
    assert [u.item_index for u in risk.unscored] == [1, 3]  # in item order
    nothing_unscored = aggregate_portfolio_risk(MIXED, CATALOGUE)
    assert (nothing_unscored.total_spend, nothing_unscored.unscored_spend, nothing_unscored.unscored) == (
        nothing_unscored.scored_spend,
        0.0,
        [],
    )


# --- Portfolio validation ------------------------------------------------------------------------------------


def test_an_item_currency_must_match_the_portfolio_currency():
    items = [
        {"material": "dysprosium", "importer": "JP", "annual_spend": 1.0, "currency": "USD"},
        {"material": "copper", "importer": "JP", "annual_spend": 1.0, "currency": "EUR"},
    ]
    with pytest.raises(InvalidInputError) as err:
        Portfolio.parse(portfolio_data(items=items))
    assert err.value.field == "items.1.currency"
    assert "EUR" in err.value.message and "USD" in err.value.message


def test_items_without_a_currency_take_the_portfolio_currency():
    items = [{"material": "copper", "importer": "JP", "annual_spend": 1.0, "currency": "EUR"}]
    portfolio = Portfolio.parse(portfolio_data(currency="EUR", items=items))
    assert portfolio.items[0].currency == "EUR"
    assert Portfolio.parse(portfolio_data()).items[0].currency is None


def test_more_than_the_maximum_number_of_items_is_rejected():
    one = {"material": "copper", "importer": "JP", "annual_spend": 1.0}
    assert len(Portfolio.parse(portfolio_data(items=[one] * MAX_PORTFOLIO_ITEMS)).items) == MAX_PORTFOLIO_ITEMS
    with pytest.raises(InvalidInputError) as err:
        Portfolio.parse(portfolio_data(items=[one] * (MAX_PORTFOLIO_ITEMS + 1)))
    assert err.value.field == "items"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"importer": "XX"}, "items.0.importer"),
        ({"annual_spend": -1.0}, "items.0.annual_spend"),
        ({"annual_spend": float("inf")}, "items.0.annual_spend"),
        ({"material": "9lives"}, "items.0.material"),
    ],
)
def test_invalid_items_name_the_field(change, field):
    bad = {"material": "copper", "importer": "JP", "annual_spend": 1.0, **change}
    with pytest.raises(InvalidInputError) as err:
        Portfolio.parse(portfolio_data(items=[bad]))
    assert err.value.field == field
