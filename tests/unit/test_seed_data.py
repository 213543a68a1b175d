"""The seed datasets: rebuilt from data/sources/ they equal the committed files, and they hold what the
scoring model relies on (both stages per material, governance coverage, the rare-earth facts, the signals)."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from scripts.build_seed import (
    COUNTRY_NAME_TO_ISO2,
    DEPENDENCIES_JSON,
    GLOBAL_SUPPLY_CSV,
    GOVERNANCE_JSON,
    MATERIALS_JSON,
    SEED_FILES,
    SIGNALS_JSON,
    SeedDataError,
    UnmappedCountryError,
    build_all,
    country_to_iso2,
    material_id,
    parse_share,
    read_share_table,
    render,
)
from shared.domain.countries import is_country_code
from shared.domain.models import CountryGovernance, ImporterDependency, MaterialProfile, PolicySignal

REPO_ROOT = Path(__file__).resolve().parents[2]
SOURCES = REPO_ROOT / "data" / "sources"
SEED = REPO_ROOT / "data" / "seed"


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    return build_all(SOURCES)


@pytest.fixture(scope="module")
def seed() -> dict[str, Any]:
    return {name: json.loads((SEED / name).read_text(encoding="utf-8")) for name in SEED_FILES}


def _items(seed: dict[str, Any], name: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = seed[name]["items"]
    return items


def _material(seed: dict[str, Any], mid: str) -> dict[str, Any]:
    return next(m for m in _items(seed, MATERIALS_JSON) if m["id"] == mid)


@pytest.mark.parametrize("name", SEED_FILES)
def test_committed_seed_file_equals_a_fresh_build(name, built):
    # A drift between data/sources, the script and data/seed fails here: rerun `make data`.
    assert (SEED / name).read_text(encoding="utf-8") == render(built[name])


@pytest.mark.parametrize("name", SEED_FILES)
def test_seed_file_names_source_licence_year_and_every_item_its_source(name, seed):
    document = seed[name]
    assert document["source"] and document["licence"] and isinstance(document["year"], int)
    assert isinstance(document["notes"], list) and document["notes"]
    assert document["items"]
    assert all(item["source"] for item in document["items"])


@pytest.mark.parametrize(
    ("name", "model"),
    [
        (MATERIALS_JSON, MaterialProfile),
        (GOVERNANCE_JSON, CountryGovernance),
        (DEPENDENCIES_JSON, ImporterDependency),
        (SIGNALS_JSON, PolicySignal),
    ],
)
def test_every_item_is_exactly_the_json_form_of_its_domain_model(name, model, seed):
    for item in _items(seed, name):
        assert model.parse(item).model_dump(mode="json") == item


def test_all_85_materials_with_every_stage_the_table_has(seed):
    expected: dict[str, set[str]] = {}
    with (SOURCES / GLOBAL_SUPPLY_CSV).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["Material"] == "Material":
                continue
            stage = {"E": "extraction", "P": "processing"}[row["Stage"]]
            expected.setdefault(material_id(row["Material"]), set()).add(stage)
    materials = {m["id"]: set(m["stages"]) for m in _items(seed, MATERIALS_JSON)}
    assert len(materials) == 85
    assert materials == expected
    for mid in (
        "natural_graphite",
        "silicon_metal",
        "phosphate_rock",
        "phosphorus",
        "baryte",
        "titanium_metal",
    ):
        assert mid in materials


def test_groups_follow_the_eu_crm_groupings(seed):
    assert _material(seed, "dysprosium")["groups"] == ["hree", "rare_earths"]
    assert _material(seed, "neodymium")["groups"] == ["lree", "rare_earths"]
    assert _material(seed, "scandium")["groups"] == ["rare_earths"]
    assert "pgm" in _material(seed, "platinum")["groups"]
    assert _material(seed, "cobalt")["groups"] == ["iron_and_ferro_alloy_metals"]


def test_dysprosium_processing_is_all_china(seed):
    processing = _material(seed, "dysprosium")["stages"]["processing"]
    assert processing == [{"country": "CN", "share": 1.0, "trade_restriction": 1.0}]


def test_bayan_obo_is_on_neodymium_and_not_on_heavy_rare_earths(seed):
    sites = _material(seed, "neodymium")["sites"]
    assert [(s["name"], s["country"], s["stage"], s["share"]) for s in sites] == [
        ("Bayan Obo", "CN", "extraction", 0.48)
    ]
    assert _material(seed, "dysprosium")["sites"] == []


def test_every_producing_country_has_governance_or_is_listed_missing(seed):
    governance = seed[GOVERNANCE_JSON]
    covered = {g["country"] for g in governance["items"]} | set(governance["missing"])
    producers = {
        share["country"] for m in _items(seed, MATERIALS_JSON) for shares in m["stages"].values() for share in shares
    }
    partners = {
        share["country"]
        for d in _items(seed, DEPENDENCIES_JSON)
        for shares in d["sourcing"].values()
        for share in shares
    }
    importers = {d["importer"] for d in _items(seed, DEPENDENCIES_JSON)} - {"EU"}
    assert producers | partners | importers <= covered
    assert not {g["country"] for g in governance["items"]} & set(governance["missing"])


def test_governance_median_is_over_all_wgi_rows(seed):
    assert seed[GOVERNANCE_JSON]["median_governance_risk"] == pytest.approx(5.0929, abs=1e-4)


def test_dysprosium_dependencies_for_japan_the_us_and_the_eu(seed):
    deps = {(d["importer"], d["material"]): d for d in _items(seed, DEPENDENCIES_JSON)}
    jp, us, eu = deps[("JP", "dysprosium")], deps[("US", "dysprosium")], deps[("EU", "dysprosium")]
    assert jp["import_reliance"] == 1.0
    assert jp["sourcing"]["processing"] == [{"country": "CN", "share": 1.0, "trade_restriction": 1.0}]
    assert us["import_reliance"] == 0.8
    assert {s["country"]: s["share"] for s in us["sourcing"]["processing"]} == {
        "CN": 0.7,
        "MY": 0.13,
        "JP": 0.06,
        "EE": 0.05,
    }
    # EU dysprosium comes from the "Heavy Rare earths Elements" rows of the EU sourcing table.
    assert eu["import_reliance"] == 1.0 and "extraction" in eu["sourcing"]
    assert deps[("JP", "neodymium")]["sourcing"]["processing"][0] == {
        "country": "CN",
        "share": 0.7,
        "trade_restriction": 1.0,
    }


def test_licence_stall_signal_targets_japan_as_reported_practice(seed):
    signal = next(s for s in _items(seed, SIGNALS_JSON) if s["id"] == "CN-2026-JP-LICENCE-STALL")
    assert signal["targets"] == ["JP"]
    assert signal["status"] == "reported"
    assert signal["confidence"] == 0.7
    assert "dysprosium" in signal["materials"]
    assert seed[SIGNALS_JSON]["unmodelled_items"]["CN-2026-JP-LICENCE-STALL"] == ["ndfeb_magnets"]


def test_dual_use_signal_expands_to_earlier_licensed_materials(seed):
    signal = next(s for s in _items(seed, SIGNALS_JSON) if s["id"] == "CN-2026-JP-DUALUSE")
    assert {"dysprosium", "gallium", "natural_graphite", "antimony"} <= set(signal["materials"])
    assert "ALL_DUAL_USE" not in signal["materials"]


def test_signal_without_any_modelled_material_is_not_scored(seed):
    signals = seed[SIGNALS_JSON]
    assert signals["not_scored"] == ["CN-2023-TECH"]
    assert "CN-2023-TECH" not in {s["id"] for s in signals["items"]}
    lifted = next(s for s in signals["items"] if s["id"] == "CN-2010-JP-EMBARGO")
    assert (lifted["status"], lifted["lifted_at"], lifted["materials"]) == (
        "lifted",
        "2010-11-30",
        ["rare_earths"],
    )


def test_unmapped_country_name_raises_naming_it():
    with pytest.raises(UnmappedCountryError, match="Atlantis"):
        country_to_iso2("Atlantis")


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Korea, South", "KR"),
        ("Congo, D.R.", "CD"),
        ("Brasil", "BR"),
        ("Brasilia", "BR"),
        ("Turkyie", "TR"),
        ("Türkiye", "TR"),
        ("Hong Kong", "HK"),
        ("French Guiana", "GF"),
        ("Kosovo", "XK"),
        ("Taiwan", "TW"),
    ],
)
def test_country_spellings_map_to_iso2(name, code):
    assert country_to_iso2(name) == code


def test_country_table_holds_only_valid_codes():
    assert all(is_country_code(code) for code in COUNTRY_NAME_TO_ISO2.values())


@pytest.mark.parametrize(("text", "share"), [("68.3%", 0.683), ("<0.1%", 0.0005), ("100.0%", 1.0), ("6%", 0.06)])
def test_parse_share(text, share):
    assert parse_share(text) == share


def test_share_without_percent_sign_is_rejected():
    with pytest.raises(SeedDataError, match="unparseable share"):
        parse_share("6")


def test_share_table_reader_skips_repeated_headers_and_reads_quoted_commas(tmp_path):
    table = tmp_path / "shares.csv"
    table.write_text(
        'Material,Stage,Country,Share,t\nTitanium,E,"Korea, South",1.7%,1.0\n'
        "Material,Stage,Country,Share,t\nTitanium,P,China,<0.1%,1.1\n",
        encoding="utf-8",
    )
    rows = read_share_table(table, [])
    assert [(r.material, r.stage.value, r.country, r.share, r.trade_restriction) for r in rows] == [
        ("titanium", "extraction", "KR", 0.017, 1.0),
        ("titanium", "processing", "CN", 0.0005, 1.1),
    ]


def test_build_fails_loudly_on_an_unmapped_country_in_the_sources(tmp_path):
    sources = tmp_path / "sources"
    shutil.copytree(SOURCES, sources)
    table = sources / GLOBAL_SUPPLY_CSV
    table.write_text(table.read_text(encoding="utf-8") + "Cobalt,E,Atlantis,0.1%,1.0\n", encoding="utf-8")
    with pytest.raises(UnmappedCountryError, match="Atlantis"):
        build_all(sources)
