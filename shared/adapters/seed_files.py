"""Reads the committed seed files (data/seed/*.json) into domain models."""

from __future__ import annotations

import json
from pathlib import Path

from shared.domain.models import CountryGovernance, ImporterDependency, MaterialProfile, PolicySignal
from shared.domain.seed import SeedData

SEED_DIR = Path(__file__).resolve().parents[2] / "data" / "seed"


def _items(path: Path) -> list[dict[str, object]]:
    items: list[dict[str, object]] = json.loads(path.read_text(encoding="utf-8"))["items"]
    return items


def read_seed(seed_dir: Path = SEED_DIR) -> SeedData:
    return SeedData(
        materials=[MaterialProfile.parse(i) for i in _items(seed_dir / "materials.json")],
        dependencies=[ImporterDependency.parse(i) for i in _items(seed_dir / "dependencies.json")],
        governance=[CountryGovernance.parse(i) for i in _items(seed_dir / "governance.json")],
        signals=[PolicySignal.parse(i) for i in _items(seed_dir / "signals.json")],
    )


def read_default_importers(seed_dir: Path = SEED_DIR) -> tuple[str, ...]:
    """The importers the seed's trade data cover well enough to score by default (dependencies.json)."""
    document = json.loads((seed_dir / "dependencies.json").read_text(encoding="utf-8"))
    return tuple(str(code) for code in document["default_importers"])
