"""Labelled short texts for the draft-signal extractor: written for this project from the public facts of
../shared/reference/ (export_restrictions_non_cn_2019_2026.csv and its notes, china_export_controls_2023_2026.csv,
rare_earths_facts.md); no article is copied. Each text is labelled with the signal a reviewer would publish.

Used by tests/unit/test_extraction.py and scripts/evaluate_extractor.py (results in docs/extractor-evaluation.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Labelled:
    """`status` is the status on the `published` date (what the article can say); `announced` without a date in
    the text is the published date (the signal model requires one)."""

    name: str
    text: str
    published: date
    issuer: str
    measure: str
    materials: tuple[str, ...]
    targets: tuple[str, ...] = ("ALL",)
    stages: tuple[str, ...] = ()
    status: str = "in_force"
    announced: date | None = None
    effective: date | None = None
    #: reference row the facts come from
    reference: str = ""
    tags: tuple[str, ...] = field(default=())


LABELLED: tuple[Labelled, ...] = (
    Labelled(
        "id-nickel-ore",
        "Indonesia will ban exports of nickel ore from January 1, 2020, two years earlier than planned, the energy "
        "ministry said on Monday. Processed nickel such as nickel pig iron stays exportable. The Philippines, the "
        "second-largest ore supplier, may gain market share.",
        date(2019, 9, 3),
        "ID",
        "export_ban",
        ("nickel",),
        stages=("extraction",),
        status="announced",
        announced=date(2019, 9, 2),
        effective=date(2020, 1, 1),
        reference="ID-2020-NICKEL-ORE",
        tags=("ore-only", "bystander"),
    ),
    Labelled(
        "id-bauxite",
        "President Widodo confirmed on 21 December 2022 that Jakarta will prohibit bauxite exports from June 2023, "
        "pushing miners to build smelters at home.",
        date(2022, 12, 22),
        "ID",
        "export_ban",
        ("aluminium",),
        stages=("extraction",),
        status="announced",
        announced=date(2022, 12, 21),
        effective=date(2023, 6, 1),
        reference="ID-2023-BAUXITE-ORE",
    ),
    Labelled(
        "id-copper-concentrate",
        "Indonesia's ban on copper concentrate exports took effect on 1 January 2025 after the dispensations for "
        "Freeport and Amman ran out; refined copper is not affected.",
        date(2025, 1, 2),
        "ID",
        "export_ban",
        ("copper",),
        stages=("extraction",),
        status="in_force",
        announced=date(2025, 1, 1),
        effective=date(2025, 1, 1),
        reference="ID-2025-COPPER-CONC",
    ),
    Labelled(
        "cd-cobalt-suspension",
        "The Democratic Republic of Congo announced a temporary suspension of all cobalt exports for four months "
        "on 22 February 2025, with immediate effect, to rein in a price slump.",
        date(2025, 2, 24),
        "CD",
        "export_ban",
        ("cobalt",),
        status="in_force",
        announced=date(2025, 2, 22),
        effective=date(2025, 2, 22),
        reference="CD-2025-COBALT-SUSPENSION",
        tags=("suspension",),
    ),
    Labelled(
        "cd-cobalt-quota",
        "Kinshasa will replace its cobalt export halt with quotas from October 16, capping cobalt hydroxide "
        "shipments at 96,600 tonnes a year in 2026 and 2027, the regulator ARECOMS said on 20 September 2025. "
        "Chinese refiners, the main buyers, face tighter supply.",
        date(2025, 9, 21),
        "CD",
        "export_quota",
        ("cobalt",),
        status="announced",
        announced=date(2025, 9, 20),
        effective=date(2025, 10, 16),
        reference="CD-2025-COBALT-QUOTA",
        tags=("quota", "bystander"),
    ),
    Labelled(
        "cd-cobalt-suspension-lifted",
        "The DRC lifted its ban on cobalt exports on 16 October 2025, replacing it with a quota system.",
        date(2025, 10, 17),
        "CD",
        "export_ban",
        ("cobalt",),
        status="lifted",
        announced=date(2025, 10, 16),
        reference="CD-2025-COBALT-SUSPENSION",
        tags=("lift",),
    ),
    Labelled(
        "zw-lithium-ore",
        "Zimbabwe banned the export of raw lithium ore on 20 December 2022 with immediate effect; lithium "
        "concentrates are exempt.",
        date(2022, 12, 21),
        "ZW",
        "export_ban",
        ("lithium",),
        stages=("extraction",),
        status="in_force",
        announced=date(2022, 12, 20),
        effective=date(2022, 12, 20),
        reference="ZW-2022-LITHIUM-ORE",
        tags=("ore-only",),
    ),
    Labelled(
        "zw-base-ores",
        "Harare prohibited exports of unbeneficiated base mineral ores, including lithium, chromium and nickel, "
        "on 6 January 2023.",
        date(2023, 1, 7),
        "ZW",
        "export_ban",
        ("lithium", "chromium", "nickel"),
        stages=("extraction",),
        status="in_force",
        announced=date(2023, 1, 6),
        reference="ZW-2023-BASE-ORES",
        tags=("ore-only",),
    ),
    Labelled(
        "zw-raw-minerals",
        "Zimbabwe's mines ministry suspended exports of all raw minerals and lithium concentrates with immediate "
        "effect on Wednesday, cargo in transit included. South African ports handle most of the shipments.",
        date(2026, 2, 26),
        "ZW",
        "export_ban",
        ("lithium",),
        stages=("extraction",),
        status="in_force",
        announced=date(2026, 2, 25),
        effective=date(2026, 2, 25),
        reference="ZW-2026-RAW-MINERALS",
        tags=("suspension", "bystander"),
    ),
    Labelled(
        "my-ree-raw",
        "Malaysia will stop exports of raw rare earths from January 1, 2024, Prime Minister Anwar said on "
        "11 September 2023; processed rare earths stay exportable.",
        date(2023, 9, 12),
        "MY",
        "export_ban",
        ("rare_earths",),
        stages=("extraction",),
        status="announced",
        announced=date(2023, 9, 11),
        effective=date(2024, 1, 1),
        reference="MY-2024-REE-RAW",
        tags=("ore-only",),
    ),
    Labelled(
        "na-crit-min",
        "Namibia's cabinet prohibited the export of unprocessed lithium ore, cobalt, manganese, graphite and rare "
        "earths on 8 June 2023.",
        date(2023, 6, 9),
        "NA",
        "export_ban",
        ("lithium", "cobalt", "manganese", "natural_graphite", "rare_earths"),
        stages=("extraction",),
        status="in_force",
        announced=date(2023, 6, 8),
        reference="NA-2023-CRIT-MIN-RAW",
    ),
    Labelled(
        "ga-manganese",
        "Gabon will ban raw manganese exports from 1 January 2029, President Oligui Nguema's council of ministers "
        "decided on 30 May 2025.",
        date(2025, 5, 31),
        "GA",
        "export_ban",
        ("manganese",),
        stages=("extraction",),
        status="announced",
        announced=date(2025, 5, 30),
        effective=date(2029, 1, 1),
        reference="GA-2029-MANGANESE-RAW",
    ),
    Labelled(
        "vn-re-ore",
        "Vietnam's amended geology law, passed on 11 December 2025, prohibits the export of raw rare earth "
        "minerals from January 1, 2026.",
        date(2025, 12, 12),
        "VN",
        "export_ban",
        ("rare_earths",),
        stages=("extraction",),
        status="announced",
        announced=date(2025, 12, 11),
        effective=date(2026, 1, 1),
        reference="VN-2026-RE-ORE",
    ),
    Labelled(
        "mm-kachin",
        "Rebels in Myanmar reportedly closed the border crossings to China on 12 November 2024, halting shipments "
        "of rare earth concentrate, dysprosium and terbium from the Kachin belt.",
        date(2024, 11, 13),
        "MM",
        "informal_embargo",
        ("rare_earths", "dysprosium", "terbium"),
        targets=("CN",),
        stages=("extraction",),
        status="reported",
        announced=date(2024, 11, 12),
        reference="MM-2024-KACHIN-RE",
    ),
    Labelled(
        "in-irel-japan",
        "India has asked state miner IREL to suspend its rare earth exports to Japan, according to two sources, "
        "mainly neodymium shipped to a Toyota Tsusho unit.",
        date(2025, 6, 14),
        "IN",
        "export_ban",
        ("rare_earths", "neodymium"),
        targets=("JP",),
        status="reported",
        announced=date(2025, 6, 14),
        reference="IN-2025-IREL-JP (labelled export_ban: the text says 'suspend exports'; the reference row says "
        "informal_embargo)",
    ),
    Labelled(
        "gh-lithium-raw",
        "Ghana's cabinet approved a policy on 27 July 2023 under which no lithium will be exported in its raw "
        "state; the ban is yet to pass parliament.",
        date(2023, 7, 28),
        "GH",
        "export_ban",
        ("lithium",),
        stages=("extraction",),
        status="announced",
        announced=date(2023, 7, 27),
        reference="GH-2023-LITHIUM-RAW",
    ),
    Labelled(
        "cn-gallium-germanium",
        "China announced export controls on gallium and germanium on 3 July 2023, effective from 1 August 2023, "
        "requiring exporters to apply for licences. The United States and the Netherlands had tightened chip "
        "export rules earlier.",
        date(2023, 7, 4),
        "CN",
        "licensing",
        ("gallium", "germanium"),
        status="announced",
        announced=date(2023, 7, 3),
        effective=date(2023, 8, 1),
        reference="CN-2023-23",
        tags=("bystander",),
    ),
    Labelled(
        "cn-graphite",
        "Beijing said on 20 October 2023 that graphite exports will need a licence from December 1.",
        date(2023, 10, 21),
        "CN",
        "licensing",
        ("natural_graphite",),
        status="announced",
        announced=date(2023, 10, 20),
        effective=date(2023, 12, 1),
        reference="CN-2023-39",
    ),
    Labelled(
        "cn-antimony",
        "Chinese export controls on antimony take effect on 15 September 2024, MOFCOM announced on 15 August 2024.",
        date(2024, 8, 16),
        "CN",
        "licensing",
        ("antimony",),
        status="announced",
        announced=date(2024, 8, 15),
        effective=date(2024, 9, 15),
        reference="CN-2024-33",
    ),
    Labelled(
        "cn-japan-slowdown",
        "China has been holding up export applications for rare earths to Japan since last month, people "
        "familiar with the matter said. Tokyo protested.",
        date(2026, 1, 8),
        "CN",
        "licence_slowdown",
        ("rare_earths",),
        targets=("JP",),
        status="reported",
        announced=date(2025, 12, 1),
        reference="news/china-rare-earth-controls-japan.txt (facts only)",
    ),
    Labelled(
        "cn-us-heavy-re",
        "China banned exports of heavy rare earths to the United States on 4 April 2025, while Japanese and "
        "South Korean buyers were not named.",
        date(2025, 4, 5),
        "CN",
        "export_ban",
        ("hree",),
        targets=("US",),
        status="in_force",
        announced=date(2025, 4, 4),
        reference="rare_earths_facts.md (April 2025 controls; labelled as a ban to the US for the test)",
        tags=("bystander",),
    ),
    Labelled(
        "cn-dual-use-japan",
        "Beijing imposed export controls on dual-use items including rare earths against Japan on January 6, "
        "2026, with immediate effect.",
        date(2026, 1, 7),
        "CN",
        "licensing",
        ("rare_earths",),
        targets=("JP",),
        status="in_force",
        announced=date(2026, 1, 6),
        effective=date(2026, 1, 6),
        reference="china_export_controls_2023_2026.csv",
    ),
)

#: written after the rules were frozen and never tuned against: the evaluation reports them separately
HELD_OUT: tuple[Labelled, ...] = (
    Labelled(
        "ho-id-bauxite-ore",
        "Starting June 10, 2023, Indonesian miners may no longer ship bauxite ore abroad, officials in Jakarta "
        "confirmed on Wednesday, December 21, 2022. Australian and Guinean producers are expected to fill the gap.",
        date(2022, 12, 22),
        "ID",
        "export_ban",
        ("aluminium",),
        stages=("extraction",),
        status="announced",
        announced=date(2022, 12, 21),
        effective=date(2023, 6, 10),
        reference="ID-2023-BAUXITE-ORE",
    ),
    Labelled(
        "ho-cd-quota-2026",
        "Congo's cobalt export quota of 96,600 tonnes for 2026 is now in force, the regulator said on Friday, "
        "with a tenth reserved for strategic projects.",
        date(2026, 1, 10),
        "CD",
        "export_quota",
        ("cobalt",),
        status="in_force",
        announced=date(2026, 1, 9),
        reference="CD-2025-COBALT-QUOTA",
    ),
    Labelled(
        "ho-myanmar-china",
        "Shipments of heavy rare earths from Myanmar to China were halted last week after Kachin rebels seized "
        "the mining belt, traders said.",
        date(2024, 10, 28),
        "MM",
        "informal_embargo",
        ("hree",),
        targets=("CN",),
        status="reported",
        announced=date(2024, 10, 21),
        reference="MM-2024-KACHIN-RE",
    ),
    Labelled(
        "ho-zw-lithium-2027",
        "Zimbabwe plans to ban exports of lithium concentrates from January 2027, the mines minister said.",
        date(2025, 6, 11),
        "ZW",
        "export_ban",
        ("lithium",),
        stages=("extraction",),
        status="announced",
        announced=date(2025, 6, 11),
        effective=date(2027, 1, 1),
        reference="ZW-2026-RAW-MINERALS (the earlier 2027 plan)",
    ),
    Labelled(
        "ho-cn-tungsten-us",
        "China added export licensing for tungsten, tellurium and bismuth in February 2025, and U.S. buyers "
        "report that licences to American customers are being delayed.",
        date(2025, 3, 1),
        "CN",
        "licence_slowdown",
        ("tungsten", "tellurium", "bismuth"),
        targets=("US",),
        status="reported",
        announced=date(2025, 2, 1),
        reference="china_export_controls_2023_2026.csv (Feb 2025 controls)",
    ),
)
