"""A reference dataset as read from the seed files: what seeding writes (shared.services.seeding)."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.domain.models import CountryGovernance, ImporterDependency, MaterialProfile, PolicySignal


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
