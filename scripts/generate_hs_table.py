"""Generate shared/domain/hs_materials.py from data/sources/hs92_material_map.csv (the HS mapping table).

The functions ship `shared/` only, so a portfolio line's `hs_code` is mapped through this generated module, not
the CSV. Run `python scripts/generate_hs_table.py` (`make data` runs it); `--check` exits 1 when the committed
module is stale (tests/unit/test_hs_codes.py checks it too). The CSV stays the one place the mapping is edited.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "data" / "sources" / "hs92_material_map.csv"
TARGET = ROOT / "shared" / "domain" / "hs_materials.py"

HEADER = '''"""HS 1992 six-digit codes -> (material or group, stage), and the codes deliberately left unmapped.

GENERATED from data/sources/hs92_material_map.csv by scripts/generate_hs_table.py: do not edit; edit the CSV and
regenerate (`make data`). Used to map a portfolio line's `hs_code` to its material and the stage it buys.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final
'''


def render(source: Path = SOURCE) -> str:
    mapped: dict[str, list[tuple[str, str]]] = {}
    unmapped: dict[str, str] = {}
    with source.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            code = row["hs6"].strip()
            if row["target"].strip():
                mapped.setdefault(code, []).append((row["target"].strip(), row["stage"].strip()))
            else:
                unmapped[code] = row["note"].removeprefix("unmapped:").strip()
    lines = [HEADER, "#: hs6 -> ((material or group id, stage), ...): a code can map to more than one target"]
    lines.append("HS_TARGETS: Final = MappingProxyType(")
    lines.append("    {")
    for code in sorted(mapped):
        targets = [f"({json.dumps(t)}, {json.dumps(s)})" for t, s in sorted(mapped[code])]
        if len(targets) == 1:
            lines.append(f"        {json.dumps(code)}: ({targets[0]},),")
        else:  # the formatter's layout for a tuple with a trailing comma
            lines.append(f"        {json.dumps(code)}: (")
            lines += [f"            {t}," for t in targets]
            lines.append("        ),")
    lines.append("    }")
    lines.append(")")
    lines.append("")
    lines.append("#: hs6 -> why it is not mapped to a material (the CSV's note)")
    lines.append("HS_UNMAPPED: Final = MappingProxyType(")
    lines.append("    {")
    for code in sorted(unmapped):
        lines.append(f"        {json.dumps(code)}: {json.dumps(unmapped[code])},")
    lines.append("    }")
    lines.append(")")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if TARGET.read_text(encoding="utf-8") != text:
            print(f"{TARGET.relative_to(ROOT)} is stale: run python scripts/generate_hs_table.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
