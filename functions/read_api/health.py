"""GET /v1/health (no auth): the API and its data store."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.metrics import MetricUnit

from shared.adapters.factory import get_read_repository
from shared.config import get_settings
from shared.domain.parameters import MODEL_VERSION
from shared.http import build_router
from shared.observability import logger, metrics
from shared.schemas import HealthResponse
from shared.services.health import StoreHealth

router = build_router()

#: this container's last look at the store (shared/services/health.py)
STORE_HEALTH = StoreHealth()


@router.get(
    "/v1/health",
    summary="Health: the API and its data store (no auth)",
    tags=["meta"],
    responses={
        200: {
            "description": "The API can read its data store",
            "content": {"application/json": {"model": HealthResponse}},
        },
        503: {
            "description": "The data store cannot be read (status: degraded); checked at most every 10 s per instance",
            "content": {"application/json": {"model": HealthResponse}},
        },
    },
)
def health() -> Response[Any]:
    store = STORE_HEALTH.check(get_read_repository(), get_settings().health_cache_seconds)
    if not store.available and store.fresh:
        logger.warning("health check: store unavailable", error=store.cause)
    metrics.add_metric(name="HealthCheck", unit=MetricUnit.Count, value=1)
    body = HealthResponse.of(store.available, MODEL_VERSION)
    return Response(200 if store.available else 503, content_types.APPLICATION_JSON, body)
