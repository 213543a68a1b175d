"""The seed datasets: rebuilt from data/sources/ they equal the committed files, and they hold what the
scoring model relies on (both stages per material, governance coverage, the rare-earth facts, the signals)."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from scripts.seed.build import build_all, render
from scripts.seed.common import (
    DEPENDENCIES_JSON,
    GLOBAL_SUPPLY_CSV,
    GOVERNANCE_JSON,
    MATERIALS_JSON,
    NON_CN_SIGNALS_CSV,
    SEED_FILES,
    SIGNALS_JSON,
    SeedDataError,
)
from scripts.seed.shares import parse_share, read_share_table
from scripts.seed.signals import signal_materials
from scripts.seed.tables import (
    COUNTRY_NAME_TO_ISO2,
    COUNTRY_NAMES_CSV,
    NON_CN_MODELLING_CSV,
    REE_IMPORTER_SOURCING_CSV,
    SIGNAL_STAGES,
    SignalModelling,
    UnmappedCountryError,
    country_to_iso2,
    material_id,
    read_country_names,
    read_ree_importer_sourcing,
    read_signal_modelling,
)
from shared.domain.countries import is_country_code
from shared.domain.models import CountryGovernance, ImporterDependency, MaterialProfile, PolicySignal, Stage
from shared.domain.signal_rows import SIGNAL_MATERIAL_ALIASES

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


# --- signals beyond China (issue 13) ----------------------------------------------------------------------


def _signal(seed: dict[str, Any], sid: str) -> dict[str, Any]:
    return next(s for s in _items(seed, SIGNALS_JSON) if s["id"] == sid)


def test_every_non_chinese_row_is_a_signal_with_its_source(seed):
    with (SOURCES / NON_CN_SIGNALS_CSV).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 15
    assert set(SIGNAL_STAGES) == {r["id"] for r in rows}  # the explicit stage table covers every row
    for row in rows:
        item = _signal(seed, row["id"])
        assert (item["source"], item["issuer"], item["status"]) == (row["source"], row["issuer"], row["status"])


def test_the_non_chinese_file_is_the_reference_file_verbatim():
    reference = REPO_ROOT.parent / "shared" / "reference" / NON_CN_SIGNALS_CSV
    if reference.exists():  # only where the shared reference folder is mounted
        assert (SOURCES / NON_CN_SIGNALS_CSV).read_bytes() == reference.read_bytes()


@pytest.mark.parametrize(
    ("name", "expected"),
    [("bauxite", (["aluminium"], [], (Stage.EXTRACTION,))), ("Bauxite", (["aluminium"], [], (Stage.EXTRACTION,)))],
)
def test_signal_material_aliases_map_to_material_and_stage(name, expected):
    assert signal_materials([name], {"aluminium", "nickel"}) == expected


def test_unmapped_signal_material_is_listed_not_dropped():
    assert signal_materials(["unobtainium", "nickel"], {"nickel"}) == (["nickel"], ["unobtainium"], None)
    assert SIGNAL_MATERIAL_ALIASES["bauxite"] == ("aluminium", Stage.EXTRACTION)


def test_bauxite_ban_is_aluminium_extraction(seed):
    item = _signal(seed, "ID-2023-BAUXITE-ORE")
    assert (item["materials"], item["stages"]) == (["aluminium"], ["extraction"])
    assert "ID-2023-BAUXITE-ORE" not in seed[SIGNALS_JSON]["not_scored"]


def test_an_unknown_material_in_the_new_file_is_listed_as_not_scored(tmp_path):
    sources = tmp_path / "sources"
    shutil.copytree(SOURCES, sources)
    table = sources / NON_CN_SIGNALS_CSV
    text = table.read_text(encoding="utf-8").replace(",bauxite,", ",laterite,")
    table.write_text(text, encoding="utf-8")
    signals = build_all(sources)[SIGNALS_JSON]
    assert isinstance(signals, dict)
    assert "ID-2023-BAUXITE-ORE" in signals["not_scored"]
    assert signals["unmodelled_items"]["ID-2023-BAUXITE-ORE"] == ["laterite"]


def test_a_new_row_without_a_stage_entry_fails_loudly(tmp_path):
    sources = tmp_path / "sources"
    shutil.copytree(SOURCES, sources)
    table = sources / NON_CN_SIGNALS_CSV
    row = "XX-NEW,2026-01-01,,ID,export_ban,new ban,nickel,ALL,in_force,,https://example.org/x\n"
    table.write_text(table.read_text(encoding="utf-8") + row, encoding="utf-8")
    with pytest.raises(SeedDataError, match="XX-NEW"):
        build_all(sources)


def test_ore_only_rows_cover_the_extraction_stage(seed):
    for sid in (
        "ID-2020-NICKEL-ORE",
        "MY-2024-REE-RAW",
        "NA-2023-CRIT-MIN-RAW",
        "VN-2026-RE-ORE",
        "GA-2029-MANGANESE-RAW",
    ):
        assert _signal(seed, sid)["stages"] == ["extraction"], sid
    assert _signal(seed, "CD-2025-COBALT-QUOTA")["stages"] == []
    assert all(s["stages"] == [] for s in _items(seed, SIGNALS_JSON) if s["issuer"] == "CN")


def test_dr_congo_quota_has_its_volumes_from_world_mining_data(seed):
    item = _signal(seed, "CD-2025-COBALT-QUOTA")
    assert (item["measure"], item["quota_tonnes"], item["severity"]) == ("export_quota", 96_600.0, 1.0)
    # World Mining Data, DR Congo cobalt mine output 2022-2024: 115,371 / 140,121 / 200,253 t
    assert item["reference_tonnes"] == round((115_371 + 140_121 + 200_253) / 3)
    assert "151,915" in seed[SIGNALS_JSON]["quota_references"]["CD-2025-COBALT-QUOTA"]


def test_announced_reported_non_state_and_lifted_rows(seed):
    assert _signal(seed, "GA-2029-MANGANESE-RAW")["status"] == "announced"
    assert _signal(seed, "GA-2029-MANGANESE-RAW")["effective"] == "2029-01-01"
    ghana = _signal(seed, "GH-2023-LITHIUM-RAW")
    assert (ghana["status"], ghana["effective"], ghana["confidence"]) == ("announced", None, 0.7)  # partly confirmed
    kachin = _signal(seed, "MM-2024-KACHIN-RE")
    assert (kachin["state_measure"], kachin["status"], kachin["confidence"]) == (False, "reported", 0.7)
    assert all(s["state_measure"] for s in _items(seed, SIGNALS_JSON) if s["id"] != "MM-2024-KACHIN-RE")
    assert (
        _signal(seed, "CD-2025-COBALT-SUSPENSION")["status"],
        _signal(seed, "CD-2025-COBALT-SUSPENSION")["lifted_at"],
    ) == ("lifted", "2025-10-16")
    assert _signal(seed, "ZW-2022-LITHIUM-ORE")["lifted_at"] == "2023-01-06"
    assert _signal(seed, "ZW-2023-BASE-ORES")["status"] == "in_force"


# --- the data tables in data/sources/ (issue 14: tables are data, each with its provenance) ----------------------


def test_every_file_in_data_sources_has_source_year_and_licence_in_its_readme():
    rows: dict[str, list[str]] = {}
    for line in (SOURCES / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 5 and cells[0] not in ("file", "---"):
            rows[cells[0]] = cells
    files = {p.name for p in SOURCES.iterdir() if p.name != "README.md"}
    assert files == set(rows)
    for name, (_, what, source, year, licence) in rows.items():
        assert what and source and year and licence, name


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path.parent


def test_signal_modelling_rows_must_say_true_or_false_and_give_a_whole_quota(tmp_path):
    header = (
        "id,stages,stage_reason,state_measure,quota_tonnes_per_year,quota_reference_commodity,quota_reference_country\n"
    )
    path = tmp_path / NON_CN_MODELLING_CSV
    with pytest.raises(SeedDataError, match="state_measure"):
        read_signal_modelling(_write(path, header + "X-1,extraction,ore only,yes,,,\n"))
    with pytest.raises(SeedDataError, match="quota"):
        read_signal_modelling(_write(path, header + "X-1,,all,true,100,Cobalt,\n"))
    modelled = read_signal_modelling(_write(path, header + "X-1,extraction,ore only,false,100,Cobalt,CD\n"))
    assert modelled["X-1"] == SignalModelling((Stage.EXTRACTION,), "ore only", False, (100.0, ("Cobalt", "CD")))


def test_rare_earth_importer_rows_of_one_entry_must_agree(tmp_path):
    header = "importer,applies_to,import_reliance,partner,share,source\n"
    path = tmp_path / REE_IMPORTER_SOURCING_CSV
    with pytest.raises(SeedDataError, match="disagree"):
        read_ree_importer_sourcing(_write(path, header + "US,all,0.8,CN,0.7,a\nUS,all,0.9,MY,0.1,a\n"))
    with pytest.raises(SeedDataError, match="listed twice"):
        read_ree_importer_sourcing(_write(path, header + "US,all,0.8,CN,0.7,a\nUS,all,0.8,CN,0.1,a\n"))
    with pytest.raises(SeedDataError, match="applies_to"):
        read_ree_importer_sourcing(_write(path, header + "US,lree,0.8,CN,0.7,a\n"))
    (jp_hree, jp_other) = read_ree_importer_sourcing(
        _write(path, header + "JP,hree,1.0,CN,1.0,a\nJP,not_hree,1.0,CN,0.7,b\n")
    )
    assert jp_hree.covers(("hree", "rare_earths")) and not jp_hree.covers(("lree", "rare_earths"))
    assert jp_other.covers(("rare_earths",)) and not jp_other.covers(("hree", "rare_earths"))


def test_a_country_spelling_listed_twice_stops_the_build(tmp_path):
    path = tmp_path / COUNTRY_NAMES_CSV
    with pytest.raises(SeedDataError, match="listed twice"):
        read_country_names(_write(path, "name,iso2,note\nChina,CN,\nChina,TW,\n"))
