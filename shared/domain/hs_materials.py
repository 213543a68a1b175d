"""HS 1992 six-digit codes -> (material or group, stage), and the codes deliberately left unmapped.

GENERATED from data/sources/hs92_material_map.csv by scripts/generate_hs_table.py: do not edit; edit the CSV and
regenerate (`make data`). Used to map a portfolio line's `hs_code` to its material and the stage it buys.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

#: hs6 -> ((material or group id, stage), ...): a code can map to more than one target
HS_TARGETS: Final = MappingProxyType(
    {
        "250310": (("sulphur", "processing"),),
        "250390": (("sulphur", "processing"),),
        "250410": (("natural_graphite", "extraction"),),
        "250490": (("natural_graphite", "extraction"),),
        "250700": (("kaolin", "extraction"),),
        "250810": (("bentonite", "extraction"),),
        "251020": (("phosphate_rock", "extraction"),),
        "251110": (("baryte", "extraction"),),
        "251200": (("diatomite", "extraction"),),
        "251910": (("magnesite", "extraction"),),
        "252010": (("gypsum", "extraction"),),
        "252890": (("borate", "extraction"),),
        "252910": (("feldspar", "extraction"),),
        "252922": (("fluorspar", "extraction"),),
        "260111": (("iron_ore", "extraction"),),
        "260112": (("iron_ore", "extraction"),),
        "260200": (("manganese", "extraction"),),
        "260300": (("copper", "extraction"),),
        "260400": (("nickel", "extraction"),),
        "260600": (("aluminium", "extraction"),),
        "260700": (("lead", "extraction"),),
        "260800": (("zinc", "extraction"),),
        "260900": (("tin", "extraction"),),
        "261000": (("chromium", "extraction"),),
        "261100": (("tungsten", "extraction"),),
        "261390": (("molybdenum", "extraction"),),
        "261400": (
            ("titanium", "extraction"),
            ("titanium_metal", "extraction"),
        ),
        "261510": (("zirconium", "extraction"),),
        "261610": (("silver", "extraction"),),
        "261710": (("antimony", "extraction"),),
        "280450": (("tellurium", "processing"),),
        "280480": (("arsenic", "processing"),),
        "280490": (("selenium", "processing"),),
        "280530": (("rare_earths", "processing"),),
        "282200": (("cobalt", "processing"),),
        "282520": (("lithium", "processing"),),
        "282530": (("vanadium", "processing"),),
        "283030": (("cadmium", "processing"),),
        "283691": (("lithium", "processing"),),
        "284610": (("rare_earths", "processing"),),
        "284690": (("rare_earths", "processing"),),
        "711011": (("platinum", "processing"),),
        "711021": (("palladium", "processing"),),
        "711031": (("rhodium", "processing"),),
        "720292": (("vanadium", "processing"),),
        "720293": (("niobium", "processing"),),
        "760110": (("aluminium", "processing"),),
        "810110": (("tungsten", "processing"),),
        "810510": (("cobalt", "processing"),),
        "810600": (("bismuth", "processing"),),
        "810710": (("cadmium", "processing"),),
        "811211": (("beryllium", "processing"),),
        "811230": (("germanium", "processing"),),
    }
)

#: hs6 -> why it is not mapped to a material (the CSV's note)
HS_UNMAPPED: Final = MappingProxyType(
    {
        "250830": "fireclay is not one of the 85 materials (not kaolin, whatever the WMD complement list says)",
        "250840": "mixed clays, not one of the 85 materials",
        "252400": "asbestos is not one of the 85 materials",
        "261210": "uranium is not one of the 85 materials",
        "261690": "gold and PGM ores together; gold moves mainly as dore/bullion (710812), which is a financial flow",
        "270111": "steam/anthracite coal, not coking coal",
        "270112": "HS92 does not separate coking from steam bituminous coal, so it cannot stand for coking_coal",
        "270119": "not coking coal",
        "270210": "not one of the 85 materials",
        "270220": "not one of the 85 materials",
        "270900": "not one of the 85 materials",
        "271111": "not one of the 85 materials (helium is separated from gas but not traded under this code)",
        "271121": "not one of the 85 materials",
        "280540": "mercury is not one of the 85 materials",
        "710812": "bullion flows through financial hubs (CH, GB, HK, AE) and say little about mine supply",
        "711019": "semi-manufactures are downstream of the refining stage",
        "711029": "downstream of refining",
        "711039": "downstream of refining",
        "711290": "secondary material (scrap)",
        "711510": "finished articles",
        "810310": "tantalum's EU CRM profile has only the extraction stage, and this code is metal and scrap",
    }
)
