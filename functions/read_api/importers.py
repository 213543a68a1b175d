"""The scored importing economies, and one economy's dependency on a material with the trade data behind it."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from shared.adapters.factory import get_read_repository
from shared.config import get_settings
from shared.http import build_router
from shared.observability import logger, metrics
from shared.params import Cursor, ImporterPath, Limit, MaterialPath
from shared.schemas import DependencyDetailResponse, ImporterListResponse

router = build_router()


@router.get("/v1/importers", summary="The scored importing economies and their data coverage", tags=["importers"])
def list_importers(limit: Limit = 50, cursor: Cursor = None) -> ImporterListResponse:
    from shared.services import importers  # with the first importer request, not at init (decision 86)

    page = importers.list_importers(get_read_repository(), get_settings().scored_importer_codes, limit, cursor)
    metrics.add_metric(name="ImportersListed", unit=MetricUnit.Count, value=1)
    return ImporterListResponse.of(page)


@router.get(
    "/v1/importers/<importer>/dependencies/<material>",
    summary="An economy's import dependency on a material: suppliers per stage with the trade data behind them",
    tags=["importers"],
)
def get_dependency(importer: ImporterPath, material: MaterialPath) -> DependencyDetailResponse:
    from shared.services import importers  # with the first importer request, not at init (decision 86)

    logger.append_keys(importer=importer, material=material)
    detail = importers.get_dependency_detail(get_read_repository(), importer, material)
    metrics.add_metric(name="DependencyRead", unit=MetricUnit.Count, value=1)
    return DependencyDetailResponse.of(detail)
