"""A country's governance (WGI-based risk): what the material page shows next to each producing country."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from shared.adapters.factory import get_read_repository
from shared.http import build_router
from shared.observability import logger, metrics
from shared.params import CountryPath
from shared.schemas import GovernanceResponse
from shared.services import countries

router = build_router()


@router.get("/v1/countries/<country>/governance", summary="A country's governance", tags=["countries"])
def get_governance(country: CountryPath) -> GovernanceResponse:
    logger.append_keys(country=country)
    governance = countries.get_governance(get_read_repository(), country)
    metrics.add_metric(name="GovernanceRead", unit=MetricUnit.Count, value=1)
    return GovernanceResponse.of(governance)
