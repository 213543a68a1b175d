"""The import-dependency method (scripts/seed/trade_method.py) on small hand-made trade tables with known answers."""

from __future__ import annotations

import pytest

from scripts.seed.trade import members_of
from scripts.seed.trade_method import MIN_TONNES, Flow, StageTable

EU_GROUP = {"EU": frozenset({"DE", "FR", "NL"})}


def flows(*rows: tuple[str, str, float], years: tuple[int, ...] = (2022, 2023, 2024)) -> list[Flow]:
    """(exporter, importer, tonnes a year) -> the same flow in every year, at USD 1,000 a tonne."""
    return [Flow(y, e, i, usd=t * 1000.0, tonnes=t) for y in years for e, i, t in rows]


def shares(table: StageTable, importer: str) -> dict[str, float]:
    dependency = table.dependency(importer)
    assert dependency is not None
    return {p.country: p.share for p in dependency.partners}


def test_shares_count_domestic_production_as_the_importers_own() -> None:
    table = StageTable(flows(("CD", "KR", 600), ("CN", "KR", 200)), {"KR": {2022: 200, 2023: 200, 2024: 200}})
    assert shares(table, "KR") == pytest.approx({"CD": 0.6, "CN": 0.2, "KR": 0.2})
    dependency = table.dependency("KR")
    assert dependency is not None
    # IR = max(0, M - X) / (P + M - X) = 800 / 1000
    assert dependency.import_reliance == pytest.approx(0.8)
    assert dependency.imports_tonnes == pytest.approx(800)
    assert dependency.imports_usd == pytest.approx(800_000)
    assert dependency.years == (2022, 2023, 2024)


def test_means_over_the_years_with_data() -> None:
    table = StageTable(
        [Flow(2022, "CL", "JP", 0.0, 300.0), Flow(2023, "CL", "JP", 0.0, 0.0), Flow(2024, "PE", "JP", 0.0, 300.0)],
        None,
    )
    dependency = table.dependency("JP")
    assert dependency is not None
    assert dependency.imports_tonnes == pytest.approx(200)  # 600 over three years
    assert {p.country: p.tonnes for p in dependency.partners} == pytest.approx({"CL": 100, "PE": 100})


def test_exports_lower_import_reliance_and_a_net_exporter_has_none() -> None:
    table = StageTable(
        flows(("AU", "IN", 100), ("IN", "JP", 300)),
        {"IN": {2022: 1000, 2023: 1000, 2024: 1000}},
    )
    dependency = table.dependency("IN")
    assert dependency is not None
    assert dependency.import_reliance == 0.0  # M - X < 0
    assert shares(table, "IN") == pytest.approx({"IN": 1000 / 1100, "AU": 100 / 1100})


def test_too_little_trade_is_insufficient_data_not_a_single_partner() -> None:
    thin = StageTable(flows(("CN", "MT", MIN_TONNES / 2)), None)
    assert thin.dependency("MT") is None
    enough = StageTable(flows(("CN", "MT", MIN_TONNES * 2)), None)
    assert shares(enough, "MT") == {"CN": 1.0}
    # a producer that imports little still has meaningful (domestic) data
    producer = StageTable(flows(("CN", "ZA", 1)), {"ZA": {2022: 500, 2023: 500, 2024: 500}})
    assert shares(producer, "ZA")["ZA"] == pytest.approx(500 / 501)


def test_a_re_export_hub_is_looked_through_to_its_sources() -> None:
    # NL produces none and passes on nearly all it imports (from CD and ZM): DE's 50% from NL is split 3:1.
    table = StageTable(
        flows(("CD", "NL", 300), ("ZM", "NL", 100), ("NL", "DE", 380), ("FI", "DE", 380)),
        {"FI": {2022: 1000, 2023: 1000, 2024: 1000}},
    )
    dependency = table.dependency("DE")
    assert dependency is not None
    assert dependency.hubs_looked_through == ("NL",)
    assert shares(table, "DE") == pytest.approx({"FI": 0.5, "CD": 0.375, "ZM": 0.125})
    # the direct tonnes stay what DE bought from each
    assert {p.country: p.tonnes for p in dependency.partners} == pytest.approx({"FI": 380, "CD": 0, "ZM": 0})
    # FI refines its own production and exports it: not a hub, whatever it imports
    assert not table.is_hub("FI")


def test_a_country_with_a_real_share_of_world_refining_is_a_processor_not_a_hub() -> None:
    rows = (("MM", "CN", 800), ("CN", "JP", 500))
    assert StageTable(flows(*rows), None).is_hub("CN")
    processor = StageTable(flows(*rows), None, world_shares={"CN": 0.9}, world_output=10_000)
    assert not processor.is_hub("CN")
    # and its output is estimated from its share of world supply times world output: 0.9 * 10,000
    production, estimated = processor.production("CN")
    assert production == pytest.approx(9000)
    assert estimated
    assert shares(processor, "JP") == {"CN": 1.0}


def test_the_eu_counts_extra_eu_trade_and_the_production_of_its_members() -> None:
    table = StageTable(
        flows(("NL", "DE", 1000), ("CD", "NL", 100), ("CN", "FR", 300), ("DE", "US", 50)),
        {"FR": {2022: 600, 2023: 600, 2024: 600}},
        groups=EU_GROUP,
    )
    assert table.imports("EU") == pytest.approx(400)  # NL -> DE is intra-EU
    assert table.exports("EU") == pytest.approx(50)
    dependency = table.dependency("EU")
    assert dependency is not None
    # the EU's own production is listed per member state: FR 600 of 1000
    assert shares(table, "EU") == pytest.approx({"FR": 0.6, "CN": 0.3, "CD": 0.1})
    assert dependency.import_reliance == pytest.approx(350 / 950)


def test_a_code_mapped_to_a_group_applies_to_every_member() -> None:
    groups = {"dysprosium": ("hree", "rare_earths"), "neodymium": ("lree", "rare_earths"), "cobalt": ("x",)}
    assert members_of("rare_earths", groups) == ["dysprosium", "neodymium"]
    assert members_of("cobalt", groups) == ["cobalt"]
    with pytest.raises(ValueError, match="neither"):
        members_of("unobtainium", groups)
