"""The committed price table (data/cost/aws-prices-us-east-1.csv) and the durations taken from
docs/performance.md (data/cost/durations.json)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

COST_DIR = Path(__file__).resolve().parents[2] / "data" / "cost"
PRICES_PATH = COST_DIR / "aws-prices-us-east-1.csv"
DURATIONS_PATH = COST_DIR / "durations.json"


class Price(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    service: str
    what: str
    unit: str
    usd: float = Field(ge=0)
    page: str = Field(pattern=r"^https://aws\.amazon\.com/")
    year: int = Field(ge=2015, le=2030)
    checked: str = Field(min_length=1)
    licence: str = Field(min_length=1)
    confidence: Literal["sure", "unsure"]
    note: str = ""

    @property
    def per_unit(self) -> float:
        """USD for one unit (a price quoted "per million" divided by a million)."""
        return self.usd / 1_000_000 if self.unit == "per million" else self.usd


class PriceTable(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    prices: dict[str, Price]

    def __getitem__(self, key: str) -> float:
        return self.prices[key].per_unit


def load_prices(path: Path = PRICES_PATH) -> PriceTable:
    with path.open(newline="") as handle:
        rows = [Price.model_validate(row) for row in csv.DictReader(handle)]
    return PriceTable(prices={row.key: row for row in rows})


class Durations(BaseModel):
    """Measured values (with their section and date in docs/performance.md) and the stated assumptions."""

    model_config = ConfigDict(frozen=True)

    measured: dict[str, float]
    assumed: dict[str, float]

    def __getitem__(self, key: str) -> float:
        return self.measured[key] if key in self.measured else self.assumed[key]


def load_durations(path: Path = DURATIONS_PATH) -> Durations:
    raw = json.loads(path.read_text())
    return Durations(
        measured={k: float(v["value"]) for k, v in raw["items"].items()},
        assumed={k: float(v["value"]) for k, v in raw["assumptions"].items()},
    )
