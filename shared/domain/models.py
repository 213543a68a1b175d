"""Domain models: the inputs of the scoring model and the score it produces.

Shares are fractions (0..1) as floats here; the DynamoDB adapter converts them to Decimal.
Every model is immutable so a score computed from it can be recomputed from the same values.
"""

# No `from __future__ import annotations` in this module: pydantic would compile every field's annotation
# string at class creation, a cost every cold start pays (docs/decisions.md 86).

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Self
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    ValidationError,
    model_validator,
)

from shared.domain.countries import canonical_code, is_country_code, is_importer_code
from shared.domain.currencies import is_currency_code
from shared.domain.errors import InvalidInputError
from shared.domain.ids import MATERIAL_ID_PADDED_PATTERN, SIGNAL_ID_MAX_LENGTH, SIGNAL_ID_PATTERN

#: Shares of one stage may add up to a little above 1 because the published tables are rounded.
SHARE_SUM_TOLERANCE = 0.02

#: signal target meaning "every importer".
ALL_TARGETS = "ALL"

MATERIAL_ID_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"


def _country_code(value: str) -> str:
    code = canonical_code(value)
    if not is_country_code(code):
        raise ValueError(f"unknown country code {value!r} (expected ISO 3166-1 alpha-2, e.g. CN)")
    return code


def _importer_code(value: str) -> str:
    code = canonical_code(value)
    if not is_importer_code(code):
        raise ValueError(f"unknown importer code {value!r} (expected ISO 3166-1 alpha-2 or EU)")
    return code


def _material_id(value: str) -> str:
    return value.strip().lower()


def _currency_code(value: str) -> str:
    if not is_currency_code(value):
        raise ValueError(f"unknown currency code {value!r} (expected a current ISO 4217 code, e.g. USD)")
    return value


#: characters that hide or reorder what a reader sees: C0/C1 controls (tabs and newlines included), bidi
#: embeddings/overrides/isolates (U+202A-U+202E, U+2066-U+2069) and zero-width characters (U+200B-U+200D,
#: U+2060, U+FEFF)
HIDDEN_CHARACTERS = r"\x00-\x1f\x7f-\x9f\u200b-\u200d\u2060\ufeff\u202a-\u202e\u2066-\u2069"  # a regex class body
_HIDDEN = re.compile(f"[{HIDDEN_CHARACTERS}]")


def _plain_text(value: str) -> str:
    if found := _HIDDEN.search(value):
        raise ValueError(
            f"contains the invisible or control character U+{ord(found.group()):04X} at position {found.start()} "
            "(control characters, bidi overrides and zero-width characters are not allowed)"
        )
    return value


def _plain_text_schema(schema: dict[str, Any]) -> None:
    schema["pattern"] = f"^[^{HIDDEN_CHARACTERS}]*$"


#: Free text (names, parts, suppliers, sources, titles): anything printable, nothing that hides or reorders
#: text. Combine with a Field for lengths: Annotated[PlainText, Field(min_length=1, max_length=200)].
PlainText = Annotated[str, AfterValidator(_plain_text), Field(json_schema_extra=_plain_text_schema)]


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc or " " in value:
        raise ValueError(f"must be an http(s) URL, got {value!r}")
    return value


#: A source given through the API: an http(s) URL (the seed's older signals cite print sources; see decisions)
HttpUrlText = Annotated[PlainText, AfterValidator(_http_url)]

#: Dates of reference data and signals: 1990-01-01 .. 2100-12-31 (no year 1 or 9999)
EARLIEST_DATE, LATEST_DATE = date(1990, 1, 1), date(2100, 12, 31)
SaneDate = Annotated[date, Field(ge=EARLIEST_DATE, le=LATEST_DATE)]

CountryCode = Annotated[str, AfterValidator(_country_code)]
ImporterCode = Annotated[str, AfterValidator(_importer_code)]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$"), AfterValidator(_currency_code)]
MaterialId = Annotated[str, AfterValidator(_material_id), Field(pattern=MATERIAL_ID_PADDED_PATTERN)]
#: numbers are strict (StrictFloat, StrictInt): true/false are not 1/0 (an int is still a float)
Fraction = Annotated[StrictFloat, Field(ge=0.0, le=1.0, allow_inf_nan=False)]


class Stage(StrEnum):
    EXTRACTION = "extraction"
    PROCESSING = "processing"


def _stages_in_order(value: dict[Stage, Any]) -> dict[Stage, Any]:
    """Per-stage maps keep one key order (extraction, processing) whatever order they arrived in, so a model's
    JSON, and the inputs digest taken from it, depend on its values only."""
    return dict(sorted(value.items()))


class SignalStatus(StrEnum):
    IN_FORCE = "in_force"
    #: adopted or declared, with a future (or not yet set) start: e.g. Gabon's raw-manganese ban from 2029
    ANNOUNCED = "announced"
    REPORTED = "reported"
    SUSPENDED = "suspended"
    LIFTED = "lifted"


class Measure(StrEnum):
    LICENSING = "licensing"
    LICENCE_SLOWDOWN = "licence_slowdown"
    QUOTA = "quota"
    EXPORT_BAN = "export_ban"
    END_USER_BAN = "end_user_ban"
    INFORMAL_EMBARGO = "informal_embargo"
    TECHNOLOGY_BAN = "technology_ban"
    EXPORT_TAX = "export_tax"
    #: an export quota with an optional volume (quota_tonnes) against a reference volume (reference_tonnes)
    EXPORT_QUOTA = "export_quota"
    OTHER = "other"


class Band(StrEnum):
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"
    CRITICAL = "critical"


class DomainModel(BaseModel):
    """Frozen, strict-about-extras base. `parse` turns pydantic errors into an InvalidInputError."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    @classmethod
    def parse(cls, data: Any) -> Self:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            details: list[dict[str, object]] = [_error_detail(err["loc"], err["msg"]) for err in exc.errors()]
            first = details[0]
            raise InvalidInputError(
                f"invalid {cls.__name__}: {first['field']}: {first['message']}",
                field=str(first["field"]),
                details=details,
            ) from None


#: "Value error, lifted_at: required when ..." -> the field a model-level rule names at the start of its message
_NAMED_FIELD = re.compile(r"^(?:Value error, )?([A-Za-z_]\w*(?:\.\w+)*): (.+)$", re.DOTALL)


def _error_detail(loc: tuple[int | str, ...], message: str) -> dict[str, object]:
    """A model-level rule (a model_validator) has no location: take the field its message starts with."""
    field = ".".join(str(p) for p in loc)
    if not field and (named := _NAMED_FIELD.match(message)):
        field, message = named.group(1), named.group(2)
    elif message.startswith("Value error, ") and (named := _NAMED_FIELD.match(message)):
        # a nested model's rule (a portfolio line's hs_code): the line's location, then the field it names
        field, message = f"{field}.{named.group(1)}", named.group(2)
    return {"field": field, "message": message}


class ProducerShare(DomainModel):
    """One country's share of a stage (of world supply, or of an importer's sourcing)."""

    country: CountryCode
    share: Fraction
    #: EU CRM trade-restriction parameter t (0.8 with trade agreements, 1.0 none, up to 1.5 for quotas/bans/taxes).
    trade_restriction: StrictFloat = Field(default=1.0, ge=0.5, le=1.5, allow_inf_nan=False)


def _check_stage_shares(stages: dict[Stage, tuple[ProducerShare, ...]], field: str) -> None:
    for stage, shares in stages.items():
        seen: set[str] = set()
        for share in shares:
            if share.country in seen:
                raise ValueError(f"{field}.{stage.value}: country {share.country} listed twice")
            seen.add(share.country)
        total = sum(s.share for s in shares)
        if total > 1.0 + SHARE_SUM_TOLERANCE:
            raise ValueError(
                f"{field}.{stage.value}: shares add up to {total:.4f}, above 1 "
                f"(tolerance {SHARE_SUM_TOLERANCE} for rounding)"
            )


class Site(DomainModel):
    """A single mine or plant with a known share of world supply at one stage."""

    name: PlainText = Field(min_length=1, max_length=200)
    country: CountryCode
    stage: Stage
    share: Fraction
    source: PlainText = Field(min_length=1, max_length=500)


class MaterialProfile(DomainModel):
    id: MaterialId
    name: PlainText = Field(min_length=1, max_length=200)
    groups: tuple[str, ...] = ()
    stages: Annotated[dict[Stage, tuple[ProducerShare, ...]], AfterValidator(_stages_in_order)]
    sites: tuple[Site, ...] = ()
    recycling_input_rate: Fraction | None = None
    substitution_index: Fraction | None = None
    source: PlainText = Field(min_length=1, max_length=500)
    version: StrictInt = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _shares_are_consistent(self) -> Self:
        if not self.stages:
            raise ValueError("stages: at least one stage (extraction or processing) is required")
        _check_stage_shares(self.stages, "stages")
        return self


HsCode = Annotated[str, Field(pattern=r"^[0-9]{6}$")]
Tonnes = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]


class TradePartner(DomainModel):
    """Mean yearly direct imports from one partner (before looking through re-export hubs)."""

    country: CountryCode
    tonnes: Tonnes
    usd: Tonnes


class StageTrade(DomainModel):
    """The bilateral-trade evidence behind one stage of a dependency (docs/scoring-model.md, "Importer side")."""

    hs_codes: tuple[HsCode, ...] = Field(min_length=1, max_length=20)
    years: tuple[Annotated[int, Field(ge=1990, le=2100)], ...] = Field(min_length=1, max_length=10)
    #: mean yearly tonnes at this stage (gross weight for trade; the production data's unit for production)
    imports_tonnes: Tonnes
    exports_tonnes: Tonnes
    imports_usd: Tonnes
    #: None: not in the data and not estimated
    production_tonnes: Tonnes | None = None
    #: how production was obtained when the data did not have it (empty: from the production data, or None)
    production_note: str = Field(default="", max_length=300)
    import_reliance: Fraction
    #: the largest direct suppliers by tonnes
    partners: tuple[TradePartner, ...] = Field(default=(), max_length=30)
    #: re-export hubs whose share was split over their own sources
    hubs_looked_through: tuple[CountryCode, ...] = Field(default=(), max_length=60)


class ImporterDependency(DomainModel):
    """How one importing economy sources one material."""

    importer: ImporterCode
    material: MaterialId
    #: net imports / (domestic production + net imports); None = unknown (the model's default applies).
    import_reliance: Fraction | None = None
    #: shares of the importer's own supply by partner country (domestic production included), per stage.
    sourcing: Annotated[dict[Stage, tuple[ProducerShare, ...]], AfterValidator(_stages_in_order)] = Field(
        default_factory=dict
    )
    #: bilateral-trade evidence per stage where the dependency was derived from trade data
    trade: Annotated[dict[Stage, StageTrade], AfterValidator(_stages_in_order)] = Field(default_factory=dict)
    #: how the figures were obtained, e.g. "bilateral_trade/1" or "published" (a cited table)
    method: str = Field(default="published", max_length=40, pattern=r"^[a-z_]+(/[0-9]+)?$")
    source: PlainText = Field(min_length=1, max_length=500)
    version: StrictInt = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _shares_are_consistent(self) -> Self:
        _check_stage_shares(self.sourcing, "sourcing")
        return self


class CountryGovernance(DomainModel):
    country: CountryCode
    #: 0..10, 10 = worst governance: 10 * (1 - normalised WGI), as in the EU CRM method.
    governance_risk: StrictFloat = Field(ge=0.0, le=10.0, allow_inf_nan=False)
    year: StrictInt = Field(ge=1990, le=2100)
    source: PlainText = Field(min_length=1, max_length=500)
    version: StrictInt = Field(default=1, ge=1)


class PolicySignal(DomainModel):
    """An export control, licence slow-down, quota, ban or embargo announced by an issuing country."""

    id: str = Field(min_length=1, max_length=SIGNAL_ID_MAX_LENGTH, pattern=SIGNAL_ID_PATTERN)
    issuer: CountryCode
    measure: Measure
    #: material ids or group ids (e.g. rare_earths, hree)
    materials: tuple[MaterialId, ...] = Field(min_length=1, max_length=200)
    #: importer codes, or ("ALL",)
    targets: tuple[str, ...] = Field(min_length=1, max_length=300)
    severity: Fraction
    announced: SaneDate
    effective: SaneDate | None = None
    status: SignalStatus
    suspended_until: SaneDate | None = None
    lifted_at: SaneDate | None = None
    source: PlainText = Field(min_length=1, max_length=1000)
    confidence: Fraction = 1.0
    title: PlainText = Field(default="", max_length=500)
    #: the supply-chain stages the measure covers (an ore-only ban: extraction); empty = every stage
    stages: tuple[Stage, ...] = Field(default=(), max_length=2)
    #: export quota volume, tonnes a year (measure export_quota or quota)
    quota_tonnes: Annotated[float, Field(ge=0.0, allow_inf_nan=False)] | None = None
    #: the volume the quota is measured against (e.g. the issuer's recent exports), tonnes a year
    reference_tonnes: Annotated[float, Field(gt=0.0, allow_inf_nan=False)] | None = None
    #: False for a reported disruption that is not a state measure (e.g. an armed group holding a mining belt);
    #: the issuer is still the country of supply
    state_measure: bool = True
    version: StrictInt = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _check(self) -> Self:
        if len(set(self.stages)) != len(self.stages):
            raise ValueError("stages: a stage is listed more than once")
        if (self.quota_tonnes is not None or self.reference_tonnes is not None) and self.measure not in (
            Measure.QUOTA,
            Measure.EXPORT_QUOTA,
        ):
            raise ValueError("quota_tonnes: only for the measures quota and export_quota")
        targets = tuple(canonical_code(t) for t in self.targets)
        for given, target in zip(self.targets, targets, strict=True):
            if target != ALL_TARGETS and not is_importer_code(target):
                raise ValueError(f"targets: unknown importer code {given!r} (ISO alpha-2, EU or ALL)")
        # duplicates are refused, not merged: a list that names a target twice is probably not what was meant
        for field, values in (("materials", self.materials), ("targets", targets)):
            if len(set(values)) != len(values):
                twice = sorted({v for v in values if values.count(v) > 1})
                raise ValueError(f"{field}: {', '.join(twice)} listed more than once")
        object.__setattr__(self, "targets", targets)
        if self.effective is not None and self.effective < self.announced:
            raise ValueError("effective: must not be before announced")
        if self.status is SignalStatus.LIFTED and self.lifted_at is None:
            raise ValueError("lifted_at: required when status is lifted")
        if self.lifted_at is not None and self.lifted_at < self.announced:
            raise ValueError("lifted_at: must not be before announced")
        return self

    def targets_importer(self, importer: str) -> bool:
        return ALL_TARGETS in self.targets or importer in self.targets

    def touches_material(self, material_id: str, groups: tuple[str, ...] = ()) -> bool:
        return material_id in self.materials or any(g in self.materials for g in groups)

    def covers_stage(self, stage: Stage) -> bool:
        """Whether the measure covers a supply-chain stage: a signal without `stages` covers every stage."""
        return not self.stages or stage in self.stages


class ScoreComponents(DomainModel):
    #: EU-form structural supply risk on its native scale (0..10 for t = 1; up to 15 with t = 1.5)
    supply_risk: float
    #: governance-weighted HHI of world supply at the bottleneck stage (0..10 for t = 1)
    concentration: float
    import_reliance: float
    site_concentration: float
    policy_pressure: float


class Driver(DomainModel):
    """One human-readable reason behind a score, with the data it rests on."""

    component: str
    text: str
    source: str
    #: composite points this reason stands for (drivers are sorted by it, largest first)
    points: float


class RiskScore(DomainModel):
    importer: ImporterCode
    material: MaterialId
    #: the material's groups (rare_earths, hree, ...), for filtering ranked lists
    groups: tuple[str, ...] = ()
    score: float = Field(ge=0.0, le=100.0)
    band: Band
    components: ScoreComponents
    #: composite points per component; they add up to `score`
    contributions: dict[str, float]
    drivers: tuple[Driver, ...]
    confidence: Fraction
    #: fallbacks used because an input was missing (each lowers the confidence)
    fallbacks: tuple[str, ...]
    bottleneck_stage: Stage
    signal_ids: tuple[str, ...]
    model_version: str
    inputs_hash: str
    as_of: date
    computed_at: datetime
