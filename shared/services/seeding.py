"""Loading the reference dataset into the store."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.domain.models import CountryGovernance, ImporterDependency, MaterialProfile, PolicySignal
from shared.ports import ReferenceDataStore, ReferenceItem


@dataclass(frozen=True)
class SeedData:
    materials: list[MaterialProfile] = field(default_factory=list)
    dependencies: list[ImporterDependency] = field(default_factory=list)
    governance: list[CountryGovernance] = field(default_factory=list)
    signals: list[PolicySignal] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "materials": len(self.materials),
            "dependencies": len(self.dependencies),
            "governance": len(self.governance),
            "signals": len(self.signals),
        }


def seed_reference_data(store: ReferenceDataStore, seed: SeedData) -> dict[str, int]:
    """Writes every seed item (replacing what is stored); returns counts per family."""
    items: list[ReferenceItem] = [*seed.materials, *seed.dependencies, *seed.governance, *seed.signals]
    store.save_reference_items(items)
    return seed.counts()
