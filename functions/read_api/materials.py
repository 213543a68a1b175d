"""The materials catalogue and one material's profile with its active signals."""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools.metrics import MetricUnit

from shared.adapters.factory import get_read_repository
from shared.http import build_router
from shared.observability import logger, metrics
from shared.params import MaterialPath
from shared.schemas import MaterialListResponse, MaterialResponse
from shared.services import queries

router = build_router()


@router.get("/v1/materials", summary="The materials catalogue", tags=["materials"])
def list_materials() -> MaterialListResponse:
    materials = queries.list_materials(get_read_repository())
    metrics.add_metric(name="MaterialsListed", unit=MetricUnit.Count, value=1)
    return MaterialListResponse.of(materials)


@router.get("/v1/materials/<material>", summary="A material's profile and active signals", tags=["materials"])
def get_material(material: MaterialPath) -> MaterialResponse:
    logger.append_keys(material=material)
    detail = queries.get_material(get_read_repository(), material, datetime.now(UTC).date())
    metrics.add_metric(name="MaterialRead", unit=MetricUnit.Count, value=1)
    return MaterialResponse.of(detail.profile, detail.active_signals, detail.active_signals_by_stage())
