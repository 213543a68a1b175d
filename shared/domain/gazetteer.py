"""Gazetteers of the draft-signal extractor (shared/domain/extraction.py): committed tables, each row with why.

Every table is data (phrase, value, note), kept here rather than in data/sources/ because the Lambda package
carries Python modules only (scripts/build_lambda.py). Sources:

- country names: `COUNTRY_NAMES` of shared/domain/countries.py (ISO 3166-1 short names, pycountry 26.2.16), plus
  the hand-written `COUNTRY_ALIASES` below: capitals, demonyms and the common press names (e.g. "the DRC",
  "Beijing", "Chinese"), as used by Reuters/AP style guides; matched case-sensitively (they are proper nouns, so
  "china" the porcelain or "us" the pronoun never match).
- materials: the 85 material ids and names of the seed catalogue (data/seed/materials.json, EU CRM 2023) and
  their groups, plus `MATERIAL_ALIASES`: common names in trade reporting ("rare earths", "REEs", "cobalt
  hydroxide", "nickel ore", "bauxite"), a few with the stage they imply (bauxite is aluminium's extraction
  stage, as in data/sources/hs92_material_map.csv); matched case-insensitively.
- measures, statuses and stage words: `MEASURE_PHRASES`, `STATUS_PHRASES`, `STAGE_PHRASES`, written from the
  wording of the reference measures (../shared/reference/export_restrictions_non_cn_2019_2026.csv and its notes,
  the Chinese timeline) and the vocabulary of the issue (#19).
"""

from __future__ import annotations

from shared.domain.countries import COUNTRY_NAMES, EU
from shared.domain.models import Measure, SignalStatus, Stage

#: (phrase, ISO code or EU, note). Case-sensitive. Names of COUNTRY_NAMES are added by `country_phrases()`.
COUNTRY_ALIASES: tuple[tuple[str, str, str], ...] = (
    ("China", "CN", "name"),
    ("People's Republic of China", "CN", "official name"),
    ("PRC", "CN", "abbreviation"),
    ("Beijing", "CN", "capital (press metonym for the government)"),
    ("Chinese", "CN", "demonym"),
    ("MOFCOM", "CN", "China's commerce ministry, the export-control authority"),
    ("Japan", "JP", "name"),
    ("Tokyo", "JP", "capital"),
    ("Japanese", "JP", "demonym"),
    ("United States", "US", "name"),
    ("US", "US", "abbreviation"),
    ("U.S.", "US", "abbreviation"),
    ("USA", "US", "abbreviation"),
    ("America", "US", "common name"),
    ("American", "US", "demonym"),
    ("Washington", "US", "capital (press metonym)"),
    ("European Union", EU, "name"),
    ("EU", EU, "abbreviation"),
    ("Brussels", EU, "seat of the Commission (press metonym)"),
    ("European", EU, "demonym"),
    ("South Korea", "KR", "name"),
    ("Korea", "KR", "common short name (North Korea is matched first as the longer name)"),
    ("Seoul", "KR", "capital"),
    ("South Korean", "KR", "demonym"),
    ("Korean", "KR", "demonym"),
    ("North Korea", "KP", "name"),
    ("Taiwan", "TW", "name"),
    ("Taipei", "TW", "capital"),
    ("Taiwanese", "TW", "demonym"),
    ("Democratic Republic of Congo", "CD", "name"),
    ("Democratic Republic of the Congo", "CD", "name"),
    ("DR Congo", "CD", "name"),
    ("DRC", "CD", "abbreviation"),
    ("Congolese", "CD", "demonym (mining reporting: the DRC)"),
    ("Kinshasa", "CD", "capital"),
    ("Congo", "CD", "in mining reporting 'Congo' alone is the DRC; the Republic is named in full"),
    ("Republic of Congo", "CG", "name"),
    ("Republic of the Congo", "CG", "name"),
    ("Congo-Brazzaville", "CG", "name"),
    ("Brazzaville", "CG", "capital"),
    ("Indonesia", "ID", "name"),
    ("Jakarta", "ID", "capital"),
    ("Indonesian", "ID", "demonym"),
    ("Zimbabwe", "ZW", "name"),
    ("Harare", "ZW", "capital"),
    ("Zimbabwean", "ZW", "demonym"),
    ("Malaysia", "MY", "name"),
    ("Kuala Lumpur", "MY", "capital"),
    ("Malaysian", "MY", "demonym"),
    ("Namibia", "NA", "name"),
    ("Windhoek", "NA", "capital"),
    ("Namibian", "NA", "demonym"),
    ("Gabon", "GA", "name"),
    ("Libreville", "GA", "capital"),
    ("Gabonese", "GA", "demonym"),
    ("Vietnam", "VN", "name"),
    ("Viet Nam", "VN", "name"),
    ("Hanoi", "VN", "capital"),
    ("Vietnamese", "VN", "demonym"),
    ("Myanmar", "MM", "name"),
    ("Burma", "MM", "former name"),
    ("Naypyidaw", "MM", "capital"),
    ("Myanmar's", "MM", "possessive"),
    ("India", "IN", "name"),
    ("New Delhi", "IN", "capital"),
    ("Delhi", "IN", "capital (short)"),
    ("Indian", "IN", "demonym"),
    ("Ghana", "GH", "name"),
    ("Accra", "GH", "capital"),
    ("Ghanaian", "GH", "demonym"),
    ("Philippines", "PH", "name"),
    ("Manila", "PH", "capital"),
    ("Philippine", "PH", "demonym"),
    ("Filipino", "PH", "demonym"),
    ("Australia", "AU", "name"),
    ("Canberra", "AU", "capital"),
    ("Australian", "AU", "demonym"),
    ("Russia", "RU", "name"),
    ("Moscow", "RU", "capital"),
    ("Russian", "RU", "demonym"),
    ("United Kingdom", "GB", "name"),
    ("UK", "GB", "abbreviation"),
    ("Britain", "GB", "common name"),
    ("British", "GB", "demonym"),
    ("London", "GB", "capital"),
    ("Germany", "DE", "name"),
    ("Berlin", "DE", "capital"),
    ("German", "DE", "demonym"),
    ("France", "FR", "name"),
    ("Paris", "FR", "capital"),
    ("French", "FR", "demonym"),
    ("Chile", "CL", "name"),
    ("Santiago", "CL", "capital"),
    ("Chilean", "CL", "demonym"),
    ("Peru", "PE", "name"),
    ("Lima", "PE", "capital"),
    ("Peruvian", "PE", "demonym"),
    ("Bolivia", "BO", "name"),
    ("Bolivian", "BO", "demonym"),
    ("Argentina", "AR", "name"),
    ("Argentine", "AR", "demonym"),
    ("Brazil", "BR", "name"),
    ("Brasilia", "BR", "capital"),
    ("Brazilian", "BR", "demonym"),
    ("Canada", "CA", "name"),
    ("Ottawa", "CA", "capital"),
    ("Canadian", "CA", "demonym"),
    ("South Africa", "ZA", "name"),
    ("Pretoria", "ZA", "capital"),
    ("South African", "ZA", "demonym"),
    ("Zambia", "ZM", "name"),
    ("Lusaka", "ZM", "capital"),
    ("Zambian", "ZM", "demonym"),
    ("Mozambique", "MZ", "name"),
    ("Madagascar", "MG", "name"),
    ("Guinea", "GN", "name"),
    ("Conakry", "GN", "capital"),
    ("Kazakhstan", "KZ", "name"),
    ("Mongolia", "MN", "name"),
    ("Ulaanbaatar", "MN", "capital"),
    ("Mongolian", "MN", "demonym"),
    ("Thailand", "TH", "name"),
    ("Bangkok", "TH", "capital"),
    ("Thai", "TH", "demonym"),
    ("Laos", "LA", "common name"),
    ("Turkey", "TR", "name"),
    ("Türkiye", "TR", "name"),
    ("Ankara", "TR", "capital"),
    ("Turkish", "TR", "demonym"),
    ("Ukraine", "UA", "name"),
    ("Kyiv", "UA", "capital"),
    ("Ukrainian", "UA", "demonym"),
    ("Netherlands", "NL", "name"),
    ("Dutch", "NL", "demonym"),
    ("Mexico", "MX", "name"),
    ("Mexican", "MX", "demonym"),
)

#: (phrase, material or group id, implied stage or "", note). Case-insensitive; a trailing plural "s" is allowed.
MATERIAL_ALIASES: tuple[tuple[str, str, str, str], ...] = (
    ("rare earth", "rare_earths", "", "common name of the group"),
    ("rare earths", "rare_earths", "", "common name of the group"),
    ("rare-earth", "rare_earths", "", "common name of the group"),
    ("rare earth elements", "rare_earths", "", "full name of the group"),
    ("rare earth minerals", "rare_earths", "", "common name of the group"),
    ("REE", "rare_earths", "", "abbreviation"),
    ("REEs", "rare_earths", "", "abbreviation"),
    ("heavy rare earth", "hree", "", "group"),
    ("heavy rare earths", "hree", "", "group"),
    ("heavy rare-earth", "hree", "", "group"),
    ("HREE", "hree", "", "abbreviation"),
    ("light rare earth", "lree", "", "group"),
    ("light rare earths", "lree", "", "group"),
    ("light rare-earth", "lree", "", "group"),
    ("LREE", "lree", "", "abbreviation"),
    ("platinum group metals", "pgm", "", "group"),
    ("PGM", "pgm", "", "abbreviation"),
    ("cobalt hydroxide", "cobalt", "", "intermediate product of cobalt (the DRC's main export)"),
    ("nickel ore", "nickel", "extraction", "ore: the mining stage"),
    ("nickel pig iron", "nickel", "processing", "processed nickel"),
    ("bauxite", "aluminium", "extraction", "bauxite is aluminium's extraction stage (hs92_material_map.csv)"),
    ("alumina", "aluminium", "processing", "refined bauxite"),
    ("graphite", "natural_graphite", "", "natural graphite is the catalogue's graphite"),
    ("spodumene", "lithium", "extraction", "lithium ore mineral"),
    ("chrome", "chromium", "", "trade name of chromium ore and ferrochrome"),
    ("chromite", "chromium", "extraction", "chromium ore"),
    ("cobalt", "cobalt", "", "name"),
    ("copper concentrate", "copper", "extraction", "concentrate: a mining-stage product"),
    ("iron ore", "iron_ore", "", "name"),
    ("lead ore", "lead", "extraction", "'lead' alone is an English verb: only 'lead ore'/'lead concentrate'"),
    ("lead concentrate", "lead", "extraction", "see lead ore"),
    ("tungsten", "tungsten", "", "name"),
    ("wolframite", "tungsten", "extraction", "tungsten ore"),
    ("polysilicon", "silicon_metal", "processing", "refined silicon"),
    ("phosphate", "phosphate_rock", "", "common name"),
)

#: material names that are also common English words: only matched through an alias with context
AMBIGUOUS_MATERIAL_NAMES = frozenset({"lead", "tin", "neon", "hydrogen"})

#: (regular expression, measure, why). Case-insensitive; the first match in this order wins in a sentence, so
#: the specific wordings (a slow-down) come before the general ones (export controls).
MEASURE_PHRASES: tuple[tuple[str, Measure, str], ...] = (
    (
        r"holding up (?:export |the )?(?:applications|licen[cs]es|permits)",
        Measure.LICENCE_SLOWDOWN,
        "export applications held up: a licence slow-down",
    ),
    (
        r"(?:slow(?:ed|ing|s)?[- ]?down|stall(?:ing|ed)?|delay(?:s|ed|ing)?)\b[^.]{0,40}?\b(?:licen[cs]\w*|permits?|"
        r"approvals?|applications?)",
        Measure.LICENCE_SLOWDOWN,
        "licences or permits slowed, stalled or delayed",
    ),
    (
        r"(?:licen[cs]\w*|permits?|approvals?)\b[^.]{0,30}?\b(?:slow(?:ed|ing)?[- ]?down|stall(?:ed|ing)?|delayed)",
        Measure.LICENCE_SLOWDOWN,
        "licences or permits slowed, stalled or delayed",
    ),
    (r"\bexport quotas?\b|\bquotas?\b", Measure.EXPORT_QUOTA, "an export quota"),
    (
        r"\b(?:technolog\w+)\b[^.]{0,40}?\bban\w*|\bban\w*\b[^.]{0,30}?\btechnolog\w+",
        Measure.TECHNOLOGY_BAN,
        "a ban on exporting technology",
    ),
    (r"\bexport (?:tax|taxes|dut(?:y|ies)|levy|levies)\b|\blev(?:y|ies|ied)\b", Measure.EXPORT_TAX, "an export tax"),
    (
        r"\bembargo\w*\b|\bclosed the border\w*\b|\bhalted (?:shipments|imports)\b",
        Measure.INFORMAL_EMBARGO,
        "an embargo",
    ),
    (r"\bentity list\b|\bunreliable entit\w+\b|\bend[- ]users?\b", Measure.END_USER_BAN, "a ban on named end users"),
    (
        r"\bban(?:s|ned|ning)?\b|\bprohibit\w*\b|\bmoratorium\b|\bsuspen(?:d|ds|ded|sion)\b[^.]{0,40}?\bexports?\b|"
        r"\bhalt(?:s|ed)?\b[^.]{0,20}?\bexports?\b|\bstop(?:s|ped)?\b[^.]{0,20}?\bexports?\b|"
        r"\bexports?\b[^.]{0,60}?\b(?:suspended|halted|stopped)\b",
        Measure.EXPORT_BAN,
        "exports banned, prohibited, suspended or halted",
    ),
    (
        r"\bexport controls?\b|\bexport licen[cs]\w*\b|\b(?:need|require)s? (?:a |an )?(?:export )?licen[cs]e|"
        r"\blicen[cs]ing\b|\bexport permits?\b|\bcontrols? on\b|"
        r"\brestrictions?\b|\brestrict\w*\b",
        Measure.LICENSING,
        "export controls or licensing (exports need a licence)",
    ),
)

#: (regular expression, status, why). The first match in this order wins in a sentence.
STATUS_PHRASES: tuple[tuple[str, SignalStatus, str], ...] = (
    (
        r"\b(?:lift(?:s|ed|ing)?|repeal(?:s|ed)?|revok(?:e|es|ed)|scrap(?:s|ped)?|end(?:s|ed)? (?:the|its) ban)\b",
        SignalStatus.LIFTED,
        "the measure was lifted, repealed or ended",
    ),
    (
        r"\b(?:suspend(?:s|ed)?|pause[sd]?|put on hold)\b (?:the|its) (?:ban|quota|controls?|measure|regime)",
        SignalStatus.SUSPENDED,
        "the measure itself was suspended",
    ),
    (
        r"\breportedly\b|\baccording to\b|\bsources? (?:said|say|familiar)\b|\bpeople familiar\b|\breported\b|"
        r"\bholding up\b|\bis said to\b|\bstalling\b",
        SignalStatus.REPORTED,
        "reported (secondhand, not an official act)",
    ),
    (
        r"\bwill (?:ban|impose|introduce|start|restrict|prohibit|halt|suspend)\b|\bplans? to\b|\bto take effect\b|"
        r"\bintends? to\b|\byet to\b|\bpending\b",
        SignalStatus.ANNOUNCED,
        "announced for the future",
    ),
)

#: (regular expression, stage, why). Case-insensitive.
STAGE_PHRASES: tuple[tuple[str, Stage, str], ...] = (
    (
        r"\bores?\b|\bunprocessed\b|\braw\b|\bunbeneficiated\b|\bconcentrates?\b|\bcrude\b",
        Stage.EXTRACTION,
        "ore, raw or concentrate: the mining stage",
    ),
    (
        r"\brefined\b|\bprocessed\b|\bprocessing\b|\bsmelted\b|\bseparated\b|\boxides?\b|\bmetals?\b",
        Stage.PROCESSING,
        "refined or processed: the processing stage",
    ),
)

#: ISO short names that are also common English words or given names: not matched on their own
AMBIGUOUS_COUNTRY_NAMES = frozenset({"Georgia", "Jordan", "Chad", "Jersey", "Guernsey", "Niue", "Tokelau"})

#: words before a country that make it a target of the measure (case-insensitive)
TARGET_CUES = r"(?:to|against|on|targeting|targets|aimed at|destined for|bound for|for buyers in|towards?)"
#: words before a country that make it the issuer ("exports from the DRC")
ISSUER_CUES = r"(?:from|by|in)"
#: words before a date that make it the start of the measure (case-insensitive)
EFFECTIVE_CUES = (
    r"(?:from|effective|starting|start(?:s|ing)? on|as of|as from|take[sn]? effect (?:on|from)?|took effect (?:on)?|"
    r"come[s]? into force (?:on)?|came into force (?:on)?|in force from|begin(?:s|ning)? (?:on)?|until|beginning)"
)
IMMEDIATE_EFFECT = r"\bwith immediate effect\b|\beffective immediately\b|\bimmediate(?:ly)?\b"


def country_phrases() -> list[tuple[str, str, str]]:
    """Every country phrase: the aliases above and each ISO short name not already there."""
    phrases = list(COUNTRY_ALIASES)
    known = {p for p, _, _ in phrases}
    for code, name in COUNTRY_NAMES.items():
        if name not in known and name not in AMBIGUOUS_COUNTRY_NAMES:
            phrases.append((name, code, "ISO 3166-1 short name"))
    return phrases
