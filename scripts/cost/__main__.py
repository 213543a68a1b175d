"""`make cost`: measure the counts on moto (data/cost/measured.json), price them, print the monthly bill of each
size and write docs/cost-and-scale.md.

    .venv/bin/python -m scripts.cost             # measure, print, write the doc
    .venv/bin/python -m scripts.cost --no-measure   # price the committed measured.json only
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scripts.cost.measure import MEASURED_PATH, Measurements, measure
from scripts.cost.prices import load_durations, load_prices
from scripts.cost.report import render

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "cost-and-scale.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.cost", description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-measure", action="store_true", help="use the committed data/cost/measured.json")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/cost-and-scale.md")
    args = parser.parse_args(argv)
    if args.no_measure:
        measurements = Measurements.model_validate_json(MEASURED_PATH.read_text())
    else:
        measurements = measure()
        MEASURED_PATH.write_text(measurements.model_dump_json(indent=1) + "\n")
    text = render(measurements, load_prices(), load_durations())
    sys.stdout.write(text)
    if not args.no_write:
        DOC_PATH.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
