"""Importing economies: which ones are scored, their data coverage, and one dependency with its trade evidence.

The scored set is `SCORED_IMPORTERS` when that is set (the handlers pass it as `override`); otherwise every economy
with its own dependency data for at least MIN_OWN_MATERIALS materials, plus the EU, read from the importer index
(one Query). Every full rescoring (nightly, POST /v1/rescore, after a bulk load) and the stream's ALL-target
expansion use this one rule.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from shared.domain.countries import EU, country_name
from shared.domain.errors import InvalidInputError, NotFoundError
from shared.domain.models import ImporterDependency, Stage, StageTrade
from shared.ports import ImporterIndexStore, Page, ReferenceDataReader
from shared.services.queries import canonical_importer, canonical_material, require_material

#: an economy needs its own dependency data for this many materials to be scored by default: below it, almost
#: every score of that economy would be the fallback, and scoring it would cost 85 items a night for little
MIN_OWN_MATERIALS = 5
#: partners listed per stage of GET /v1/importers/{importer}/dependencies/{material}; the rest is `other_share`
TOP_PARTNERS = 10
_CURSOR_QUERY = "IMPORTERS"


def default_scored_importers(index: Mapping[str, frozenset[str]]) -> tuple[str, ...]:
    """The economies with own data for at least MIN_OWN_MATERIALS materials, plus the EU, sorted."""
    return tuple(sorted({code for code, materials in index.items() if len(materials) >= MIN_OWN_MATERIALS} | {EU}))


def scored_importers(store: ImporterIndexStore, override: Sequence[str] = ()) -> tuple[str, ...]:
    """`override` (SCORED_IMPORTERS) when it names any economy, else the default set from the index."""
    if override:
        return tuple(sorted(set(override)))
    return default_scored_importers(store.list_importer_index())


# ---------------------------------------------------------------------------------------- GET /v1/importers


@dataclass(frozen=True)
class ImporterCoverage:
    code: str
    name: str
    #: catalogue materials this economy has its own dependency item for (the others use the fallback)
    materials_with_data: tuple[str, ...]
    materials_on_fallback: int
    in_default_set: bool


class _CoverageStore(ImporterIndexStore, ReferenceDataReader, Protocol):
    """What list_importers reads: the index and the catalogue."""


def list_importers(
    store: _CoverageStore, override: Sequence[str], limit: int, cursor: str | None
) -> Page[ImporterCoverage]:
    """The scored economies sorted by code, `limit` per page; the cursor is the last code of the previous page."""
    index = store.list_importer_index()
    catalogue = {m.id for m in store.list_materials()}
    defaults = set(default_scored_importers(index))
    codes = sorted(set(override)) if override else sorted(defaults)
    after = _decode_cursor(cursor) if cursor else None
    remaining = [code for code in codes if after is None or code > after]
    page = remaining[:limit]
    items = [
        ImporterCoverage(
            code=code,
            name="European Union" if code == EU else country_name(code),
            materials_with_data=tuple(sorted(index.get(code, frozenset()) & catalogue)),
            materials_on_fallback=len(catalogue - index.get(code, frozenset())),
            in_default_set=code in defaults,
        )
        for code in page
    ]
    next_cursor = _encode_cursor(page[-1]) if page and len(remaining) > limit else None
    return Page(items=items, next_cursor=next_cursor)


def _encode_cursor(after: str) -> str:
    payload = json.dumps({"p": _CURSOR_QUERY, "after": after}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str:
    """The code a page ended at; a cursor from another query (or not a cursor at all) is a 422."""
    try:
        payload = json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
        if not isinstance(payload, dict) or payload.get("p") != _CURSOR_QUERY or not isinstance(payload["after"], str):
            raise ValueError("cursor belongs to another query")
        return payload["after"]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInputError(
            "cursor is not valid for this query (use next_cursor from the previous page)", field="cursor"
        ) from exc


# ---------------------------------------------------------------------------------------- one dependency


@dataclass(frozen=True)
class PartnerLine:
    """One supplier at one stage: its effective share of the importer's supply (after looking through re-export
    hubs; the importer itself is domestic production) with the direct trade behind it where there is some."""

    country: str
    name: str
    share: float
    trade_restriction: float
    domestic: bool
    #: mean yearly direct imports from this partner (None: not among the largest direct partners in the data)
    tonnes: float | None
    usd: float | None


@dataclass(frozen=True)
class StageDetail:
    stage: Stage
    partners: tuple[PartnerLine, ...]
    #: the share of the suppliers not listed (TOP_PARTNERS per stage)
    other_share: float
    trade: StageTrade | None


@dataclass(frozen=True)
class DependencyDetail:
    dependency: ImporterDependency
    stages: tuple[StageDetail, ...]


def get_dependency_detail(store: ReferenceDataReader, importer: str, material_id: str) -> DependencyDetail:
    """An economy's own dependency on a material, per stage its largest suppliers joined with the trade data.

    404 for an unknown economy or material, and for a known pair without its own data (its score uses the
    fallback)."""
    importer = canonical_importer(importer)
    material = require_material(store, canonical_material(material_id))
    dependency = store.get_dependency(importer, material.id)
    if dependency is None:
        raise NotFoundError(
            f"no dependency data of {importer} on {material.id}: its score uses the fallback (world supply shares "
            f"instead of its own sourcing; see the score's fallbacks at GET /v1/scores/{importer}/{material.id})",
            field="material",
        )
    return DependencyDetail(dependency=dependency, stages=tuple(_stage_details(dependency)))


def _stage_details(dependency: ImporterDependency) -> list[StageDetail]:
    details: list[StageDetail] = []
    for stage in Stage:
        shares = dependency.sourcing.get(stage, ())
        trade = dependency.trade.get(stage)
        if not shares and trade is None:
            continue
        direct = {p.country: p for p in trade.partners} if trade else {}
        ordered = sorted(shares, key=lambda s: (-s.share, s.country))
        lines = tuple(
            PartnerLine(
                country=s.country,
                name=country_name(s.country),
                share=s.share,
                trade_restriction=s.trade_restriction,
                domestic=s.country == dependency.importer,
                tonnes=direct[s.country].tonnes if s.country in direct else None,
                usd=direct[s.country].usd if s.country in direct else None,
            )
            for s in ordered[:TOP_PARTNERS]
        )
        other = round(max(0.0, sum(s.share for s in ordered[TOP_PARTNERS:])), 6)
        details.append(StageDetail(stage=stage, partners=lines, other_share=other, trade=trade))
    return details
