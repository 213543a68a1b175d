"""Policy signals from rows of the reference files (../shared/reference/export_restrictions_*.csv): the column
mapping and the defaults by measure, shared by the seed builder and the admin bulk load (PUT /v1/signals)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from shared.domain.models import Measure, SignalStatus, Stage

#: Severity of a signal by measure (0..1): how much of the issuer's supply the measure can withhold.
#: Outright bans and embargoes stop flows; slowdowns and quotas throttle them; licensing adds friction;
#: technology bans do not restrict material flows at all. An export quota without volumes takes the quota
#: default. Measures not listed (export_tax, other) have no default: a row must give its severity.
SEVERITY_BY_MEASURE: Mapping[Measure, float] = MappingProxyType(
    {
        Measure.EXPORT_BAN: 1.0,
        Measure.INFORMAL_EMBARGO: 0.9,
        Measure.LICENCE_SLOWDOWN: 0.7,
        Measure.QUOTA: 0.6,
        Measure.EXPORT_QUOTA: 0.6,
        Measure.END_USER_BAN: 0.5,
        Measure.LICENSING: 0.4,
        Measure.TECHNOLOGY_BAN: 0.2,
    }
)

#: Default severity of a quota given with both volumes (quota_tonnes, reference_tonnes): the part of the cut that
#: bites, all of it; the model scales it by the quota's bindingness, 1 - quota / reference (model 1.2,
#: docs/scoring-model.md section 6), so the default quota severity would count such a quota twice.
QUOTA_WITH_VOLUMES_SEVERITY = 1.0

#: Confidence of a signal whose instrument text admits it is only partly confirmed or secondhand.
LOW_CONFIDENCE = 0.7
LOW_CONFIDENCE_MARKERS = ("partly confirmed", "secondary", "reported")


def default_confidence(instrument: str) -> float:
    text = instrument.lower()
    return LOW_CONFIDENCE if any(m in text for m in LOW_CONFIDENCE_MARKERS) else 1.0


#: Signal material names outside the catalogue -> (material id, the stage that name is). Explicit and tested: the
#: seed builder and the admin bulk load both apply it (bauxite is aluminium's extraction stage in the EU data).
SIGNAL_MATERIAL_ALIASES: Mapping[str, tuple[str, Stage]] = MappingProxyType(
    {"bauxite": ("aluminium", Stage.EXTRACTION)}
)


def alias_of(name: str) -> tuple[str, Stage] | None:
    """The (material id, stage) a material name outside the catalogue stands for, if it is an alias."""
    return SIGNAL_MATERIAL_ALIASES.get(" ".join(name.strip().lower().split()))


#: the columns of the reference file, in its order
REFERENCE_COLUMNS = (
    "id", "announced", "effective", "issuer", "measure", "instrument", "materials", "targets", "status",
    "status_until", "source",
)  # fmt: skip
#: columns a loaded row may add (empty cells take the default)
OPTIONAL_COLUMNS = (
    "severity", "confidence", "stages", "quota_tonnes", "reference_tonnes", "state_measure", "version",
)  # fmt: skip
REQUIRED_COLUMNS = ("id", "announced", "issuer", "measure", "materials", "targets", "status", "source")
#: the signal field each reference column becomes, where the names differ (for error messages)
FIELD_OF_COLUMN: Mapping[str, str] = MappingProxyType({"instrument": "title"})
#: the column a signal field came from, where the names differ (status_until becomes one of two fields)
COLUMN_OF_FIELD: Mapping[str, str] = MappingProxyType(
    {"title": "instrument", "lifted_at": "status_until", "suspended_until": "status_until"}
)

_TRUE, _FALSE = frozenset({"true", "yes", "1"}), frozenset({"false", "no", "0"})


class RowError(ValueError):
    """A cell that cannot be mapped; `column` names it."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(f"{column}: {message}")
        self.column = column
        self.message = message


def _list(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def _number(column: str, cell: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        raise RowError(column, f"not a number: {cell!r}") from None
    return value


def signal_fields_from_row(row: Mapping[str, str]) -> tuple[str, dict[str, Any], int | None]:
    """(signal id, signal fields in the PUT /v1/signals/{id} body form, expected version or None) for one row of
    the reference format. Cells are text (empty = absent); raises RowError naming the column.

    instrument -> title; status_until -> lifted_at (status lifted) or suspended_until (status suspended), refused
    for any other status; severity defaults by measure (SEVERITY_BY_MEASURE), confidence from the instrument text
    (default_confidence); materials, targets and stages are ;-separated."""
    unknown = sorted(set(row) - set(REFERENCE_COLUMNS) - set(OPTIONAL_COLUMNS))
    if unknown:
        raise RowError(unknown[0], f"unknown column (expected {', '.join(REFERENCE_COLUMNS + OPTIONAL_COLUMNS)})")
    cells = {k: (v or "").strip() for k, v in row.items()}
    for column in REQUIRED_COLUMNS:
        if not cells.get(column):
            raise RowError(column, "required")
    try:
        measure = Measure(cells["measure"])
    except ValueError:
        raise RowError("measure", f"unknown measure {cells['measure']!r}") from None
    try:
        status = SignalStatus(cells["status"])
    except ValueError:
        raise RowError("status", f"unknown status {cells['status']!r}") from None
    fields: dict[str, Any] = {
        "issuer": cells["issuer"],
        "measure": measure.value,
        "materials": [m.lower() for m in _list(cells["materials"])],
        "targets": _list(cells["targets"]),
        "announced": cells["announced"],
        "effective": cells.get("effective") or None,
        "status": status.value,
        "source": cells["source"],
        "title": cells.get("instrument", ""),
        "stages": _list(cells.get("stages", "")),
    }
    # an alias (bauxite) names a material at one stage: the row covers that stage unless it says otherwise
    aliased = [(name, alias) for name in fields["materials"] if (alias := alias_of(name)) is not None]
    if aliased:
        fields["materials"] = [
            alias[0] if alias else name for name in fields["materials"] for alias in [alias_of(name)]
        ]
        if not fields["stages"]:
            fields["stages"] = sorted({stage.value for _, (_, stage) in aliased})
    if until := cells.get("status_until"):
        if status is SignalStatus.LIFTED:
            fields["lifted_at"] = until
        elif status is SignalStatus.SUSPENDED:
            fields["suspended_until"] = until
        else:
            raise RowError("status_until", f"only for status lifted or suspended, not {status.value}")
    if severity := cells.get("severity"):
        fields["severity"] = _number("severity", severity)
    elif (
        measure in (Measure.QUOTA, Measure.EXPORT_QUOTA) and cells.get("quota_tonnes") and cells.get("reference_tonnes")
    ):
        fields["severity"] = QUOTA_WITH_VOLUMES_SEVERITY
    elif measure in SEVERITY_BY_MEASURE:
        fields["severity"] = SEVERITY_BY_MEASURE[measure]
    else:
        raise RowError("severity", f"required for measure {measure.value} (it has no default severity)")
    confidence = cells.get("confidence")
    fields["confidence"] = _number("confidence", confidence) if confidence else default_confidence(fields["title"])
    for column in ("quota_tonnes", "reference_tonnes"):
        if cell := cells.get(column):
            fields[column] = _number(column, cell)
    if state := cells.get("state_measure", "").lower():
        if state not in _TRUE | _FALSE:
            raise RowError("state_measure", f"true or false, not {cells['state_measure']!r}")
        fields["state_measure"] = state in _TRUE
    version: int | None = None
    if cell := cells.get("version"):
        if not cell.isascii() or not cell.isdigit() or len(cell) > 9:
            raise RowError("version", f"a whole number, not {cell!r}")
        version = int(cell)
    return cells["id"], fields, version
