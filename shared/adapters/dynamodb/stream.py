"""The table stream's records about reference items, read back into domain changes (the key design is private
to this package, so the stream handler asks here what a record's keys mean)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from shared.adapters.dynamodb.keys import (
    DEPENDENCY_PREFIX,
    GOVERNANCE_PK,
    LOAD_ID_ATTRIBUTE,
    MATERIAL_PK,
    SIGNAL_PK,
)
from shared.domain.models import CountryGovernance, ImporterDependency, MaterialProfile, PolicySignal
from shared.ports import ReferenceChange

_REFERENCE_KINDS: dict[str, tuple[str, type[BaseModel]]] = {
    MATERIAL_PK: ("material", MaterialProfile),
    DEPENDENCY_PREFIX: ("dependency", ImporterDependency),
    GOVERNANCE_PK: ("governance", CountryGovernance),
    SIGNAL_PK: ("signal", PolicySignal),
}


def reference_change_from_stream(
    keys: Mapping[str, Any], old_image: Mapping[str, Any] | None, new_image: Mapping[str, Any] | None, at: datetime
) -> ReferenceChange | None:
    """Turns a stream record (deserialised images) into a ReferenceChange; None for non-reference items."""
    pk, sk = str(keys.get("pk", "")), str(keys.get("sk", ""))
    family = pk.split("#", 1)[0]
    if family not in _REFERENCE_KINDS:
        return None
    if new_image and LOAD_ID_ATTRIBUTE in new_image:
        return None  # written by a bulk load, which starts one rescoring run itself (the stream filter drops these)
    kind, model = _REFERENCE_KINDS[family]

    def parse(image: Mapping[str, Any] | None) -> Any:
        return model.model_validate_json(image["doc"]) if image and "doc" in image else None

    item_id = f"{sk}/{pk.split('#', 1)[1]}" if family == DEPENDENCY_PREFIX else sk
    return ReferenceChange(kind=kind, item_id=item_id, old=parse(old_image), new=parse(new_image), at=at)
