"""The policy signals feed."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.metrics import MetricUnit

from shared.adapters.factory import get_read_repository
from shared.domain.models import Measure, SignalStatus, Stage
from shared.http import build_router
from shared.observability import metrics
from shared.params import CountryFilter, MaterialFilter
from shared.schemas import SignalListResponse
from shared.services import queries

router = build_router()


@router.get("/v1/signals", summary="Policy signals feed, newest first", tags=["signals"])
def list_signals(
    material: MaterialFilter = None,
    issuer: CountryFilter = None,
    target: CountryFilter = None,
    status: Annotated[SignalStatus | None, Query()] = None,
    stage: Annotated[
        Stage | None, Query(description="Only signals covering this stage (a signal without stages covers every stage)")
    ] = None,
    measure: Annotated[Measure | None, Query()] = None,
) -> SignalListResponse:
    filters = queries.SignalFilter(
        material=material, issuer=issuer, target=target, status=status, stage=stage, measure=measure
    )
    signals = queries.list_signals(get_read_repository(), filters)
    metrics.add_metric(name="SignalsListed", unit=MetricUnit.Count, value=1)
    return SignalListResponse.of(signals)
