"""Import dependency from bilateral trade and production: the method of docs/scoring-model.md ("Importer side").

Pure functions over small in-memory tables, so the method can be tested on hand-made trade tables with known answers
(tests/unit/test_trade_method.py). scripts/seed/trade.py feeds it the BACI and World Mining Data extracts.

Per importer, material and stage, from the mean of the years with data:
- sourcing share of partner p = imports from p / (domestic production + total imports); domestic production is the
  importer's own share;
- import reliance IR = max(0, M - X) / (P + M - X), clipped to 0..1;
- a partner that passes on most of what it gets and produces little itself (a re-export hub such as NL, BE, SG) is
  looked through one level: its share is split over its own sources;
- the EU as an importer counts extra-EU trade only, and the production of all members.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

#: Below this many tonnes a year of imports (and of domestic production) one shipment decides the shares: the pair is
#: "insufficient data" rather than "100% from one partner". BACI rounds quantities to the kilogram and drops flows
#: under USD 1,000; a few tonnes of ore or compounds is a single sample-sized consignment.
MIN_TONNES = 10.0
#: A partner is a re-export hub when it passes on at least this part of what it has (production + imports) ...
HUB_PASS_THROUGH = 0.5
#: ... and its own production is under this part of its exports (a non-producer always is).
HUB_OWN_PRODUCTION = 0.1
#: ... and it holds less than this share of world supply at the stage (EU CRM 2023): a country with a real share of
#: world refining (CN for rare earths, FI or BE for cobalt) is a processor whose feed and product share a code, not a
#: hub, even when its gross imports exceed its exports.
HUB_MAX_WORLD_SHARE = 0.005
#: Partners below this share are not listed (they change the concentration by less than 1e-6).
MIN_LISTED_SHARE = 0.001
#: At most this many partners per stage are listed; the rest stays unlisted (shares then add up to less than 1).
MAX_PARTNERS = 25


@dataclass(frozen=True, slots=True)
class Flow:
    """One year's trade of one HS code from an exporter to an importer (BACI: tonnes may be unknown)."""

    year: int
    exporter: str
    importer: str
    usd: float
    tonnes: float | None


@dataclass(frozen=True, slots=True)
class PartnerFlow:
    country: str
    #: the importer's sourcing share from this partner (after looking through hubs); own production included
    share: float
    #: mean direct imports a year from this partner (before any look-through); 0 for the importer's own production
    tonnes: float
    usd: float


@dataclass(frozen=True, slots=True)
class StageDependency:
    importer: str
    years: tuple[int, ...]
    production_tonnes: float | None
    #: True when production was not in the data and was set to the net exports (a lower bound)
    production_estimated: bool
    imports_tonnes: float
    exports_tonnes: float
    imports_usd: float
    import_reliance: float
    partners: tuple[PartnerFlow, ...]
    hubs_looked_through: tuple[str, ...]


@dataclass
class _Economy:
    imports: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    imports_usd: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    exports: float = 0.0


class StageTable:
    """Mean yearly trade and production of one (material, stage) over the years with data, per economy.

    `group` (e.g. the EU) is treated as one economy: trade between its members is left out, production is summed.
    """

    def __init__(
        self,
        flows: Iterable[Flow],
        production: Mapping[str, Mapping[int, float]] | None,
        groups: Mapping[str, frozenset[str]] | None = None,
        world_shares: Mapping[str, float] | None = None,
        world_output: float | None = None,
    ) -> None:
        self._world_shares = dict(world_shares or {})
        self._world_output = world_output
        flows = [f for f in flows]
        self.years: tuple[int, ...] = tuple(sorted({f.year for f in flows}))
        self.production_known = production is not None
        n = len(self.years) or 1
        self._economies: dict[str, _Economy] = defaultdict(_Economy)
        members = {m: g for g, ms in (groups or {}).items() for m in ms}
        for f in flows:
            if f.exporter == f.importer:
                continue
            tonnes = (f.tonnes or 0.0) / n
            usd = f.usd / n
            self._add_import(f.importer, f.exporter, tonnes, usd)
            self._economies[f.exporter].exports += tonnes
            exporter_group, importer_group = members.get(f.exporter), members.get(f.importer)
            if importer_group is not None and importer_group != exporter_group:
                self._add_import(importer_group, f.exporter, tonnes, usd)
            if exporter_group is not None and exporter_group != importer_group:
                self._economies[exporter_group].exports += tonnes
        self._production: dict[str, float] = {}
        for country, by_year in (production or {}).items():
            values = [v for y, v in by_year.items() if y in self.years] or list(by_year.values())
            if values:
                self._production[country] = sum(values) / len(values)
        self._groups = {g: frozenset(ms) for g, ms in (groups or {}).items()}

    def _add_import(self, importer: str, exporter: str, tonnes: float, usd: float) -> None:
        economy = self._economies[importer]
        economy.imports[exporter] += tonnes
        economy.imports_usd[exporter] += usd

    def imports(self, country: str) -> float:
        return sum(self._economies[country].imports.values()) if country in self._economies else 0.0

    def exports(self, country: str) -> float:
        return self._economies[country].exports if country in self._economies else 0.0

    def production(self, country: str) -> tuple[float, bool]:
        """(production, estimated) at this stage.

        The production data's figure where there is one. Otherwise an estimate: the country's share of world supply at
        this stage (EU CRM 2023) times the material's world output at its other stage (World Mining Data; over a year
        what is refined is about what is mined), and failing that its net exports (a lower bound).
        """
        members = self._groups.get(country)
        if members is not None:
            parts = [self.production(m) for m in sorted(members)]
            return sum(p for p, _ in parts), any(e for _, e in parts)
        if self.production_known:
            return self._production.get(country, 0.0), False
        share = self._world_shares.get(country, 0.0)
        if self._world_output is not None and share > 0.0:
            return share * self._world_output, True
        return max(self.exports(country) - self.imports(country), 0.0), True

    def is_hub(self, country: str) -> bool:
        exports = self.exports(country)
        imports = self.imports(country)
        if exports <= 0.0 or imports <= 0.0 or self._world_shares.get(country, 0.0) >= HUB_MAX_WORLD_SHARE:
            return False
        own, _ = self.production(country)
        return exports >= HUB_PASS_THROUGH * (own + imports) and own < HUB_OWN_PRODUCTION * exports

    def _supply_shares(self, country: str) -> dict[str, float]:
        """Shares of the country's supply (own production + imports) by origin, without look-through."""
        production, _ = self.production(country)
        economy = self._economies.get(country)
        imports = dict(economy.imports) if economy is not None else {}
        total = production + sum(imports.values())
        if total <= 0.0:
            return {}
        shares = {partner: tonnes / total for partner, tonnes in imports.items() if tonnes > 0.0}
        # A group's own production is its members' (the EU's own share is listed per member state).
        producers = [(m, self.production(m)[0]) for m in sorted(self._groups.get(country, ()))] or [
            (country, production)
        ]
        for producer, output in producers:
            if output > 0.0:
                shares[producer] = shares.get(producer, 0.0) + output / total
        return shares

    def dependency(self, importer: str) -> StageDependency | None:
        """The importer's dependency at this stage, or None when the data are too thin to mean anything."""
        imports = self.imports(importer)
        exports = self.exports(importer)
        production, estimated = self.production(importer)
        if imports < MIN_TONNES and production < MIN_TONNES:
            return None
        direct = self._supply_shares(importer)
        shares: dict[str, float] = defaultdict(float)
        hubs: list[str] = []
        for partner, share in direct.items():
            if partner != importer and self.is_hub(partner):
                hubs.append(partner)
                for origin, part in self._supply_shares(partner).items():
                    shares[origin] += share * part
            else:
                shares[partner] += share
        denominator = production + imports - exports
        reliance = max(0.0, imports - exports) / denominator if denominator > 0.0 else 0.0
        economy = self._economies[importer]
        listed = sorted(((c, s) for c, s in shares.items() if s >= MIN_LISTED_SHARE), key=lambda cs: (-cs[1], cs[0]))[
            :MAX_PARTNERS
        ]
        partners = tuple(
            PartnerFlow(
                country=c,
                share=s,
                tonnes=economy.imports.get(c, 0.0) if c != importer else 0.0,
                usd=economy.imports_usd.get(c, 0.0) if c != importer else 0.0,
            )
            for c, s in listed
        )
        return StageDependency(
            importer=importer,
            years=self.years,
            production_tonnes=production if (self.production_known or estimated) else None,
            production_estimated=estimated,
            imports_tonnes=imports,
            exports_tonnes=exports,
            imports_usd=sum(economy.imports_usd.values()),
            import_reliance=min(1.0, max(0.0, reliance)),
            partners=partners,
            hubs_looked_through=tuple(sorted(hubs)),
        )

    def economies(self) -> list[str]:
        return sorted(self._economies)
