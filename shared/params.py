"""Request parameters the API functions share: one declaration per path, query or header parameter.

The patterns come from shared/domain/ids.py; the OpenAPI document shows these declarations as they are here.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query

from shared.domain.ids import (
    COUNTRY_CODE_PATTERN,
    DRAFT_ID_PATTERN,
    MATERIAL_ID_PATTERN,
    PORTFOLIO_ID_PATTERN,
    RUN_ID_PATTERN,
    SIGNAL_ID_PATTERN,
    SUBSCRIPTION_ID_PATTERN,
)

# ---------------------------------------------------------------------------------------------------- path

#: an importer to read about; unknown codes are a 404 (shared/services/queries.py)
ImporterPath = Annotated[
    str,
    Path(
        description="ISO 3166-1 alpha-2 code or EU (any case)",
        min_length=2,
        max_length=2,
        pattern=COUNTRY_CODE_PATTERN,
    ),
]
#: a country or importer an admin writes reference data for; any two characters reach the service, which
#: answers an unknown code with a 404 (not a 422)
CountryPath = Annotated[str, Path(min_length=2, max_length=2)]
MaterialPath = Annotated[str, Path(description="Material id, e.g. dysprosium (any case)", pattern=MATERIAL_ID_PATTERN)]
SignalIdPath = Annotated[str, Path(pattern=SIGNAL_ID_PATTERN)]
PortfolioIdPath = Annotated[str, Path(pattern=PORTFOLIO_ID_PATTERN, description="Your id for it")]
RunIdPath = Annotated[str, Path(pattern=RUN_ID_PATTERN)]
DraftIdPath = Annotated[str, Path(pattern=DRAFT_ID_PATTERN, description="A draft's id (POST /v1/signal-drafts)")]
SubscriptionIdPath = Annotated[str, Path(pattern=SUBSCRIPTION_ID_PATTERN, description="Your id for it")]

# --------------------------------------------------------------------------------------------------- query

Limit = Annotated[int, Query(ge=1, le=200, description="Page size")]
Cursor = Annotated[
    str | None,
    Query(
        max_length=2048,
        description="next_cursor of the previous page, with the same filters (a cursor replayed with other "
        "filters, or on another path, is a 422)",
    ),
]
MaterialFilter = Annotated[str | None, Query(pattern=MATERIAL_ID_PATTERN)]
CountryFilter = Annotated[str | None, Query(pattern=COUNTRY_CODE_PATTERN)]
GroupFilter = Annotated[
    str | None, Query(pattern=MATERIAL_ID_PATTERN, description="Material group, e.g. rare_earths, hree")
]

# -------------------------------------------------------------------------------------------------- header

IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=200,
        description="Repeat a POST with the same key and body to get the same run; the key with another body is a 422",
    ),
]
