"""Read API: materials, scores, ranked lists, history and signals (scope risk/read; health needs none)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.adapters.factory import get_repository
from shared.domain.models import Band, SignalStatus
from shared.domain.scoring import MODEL_VERSION
from shared.http import build_resolver
from shared.observability import logger, metrics
from shared.ports import RankedBy, RankQuery
from shared.schemas import (
    HealthResponse,
    HistoryPointResponse,
    HistoryResponse,
    MaterialListResponse,
    MaterialResponse,
    MaterialSummary,
    ScorePageResponse,
    ScoreResponse,
    SignalListResponse,
    SignalResponse,
)
from shared.services import queries

app = build_resolver()

ImporterPath = Annotated[str, Path(description="ISO 3166-1 alpha-2 code or EU (any case)", min_length=2, max_length=2)]
MaterialPath = Annotated[
    str, Path(description="Material id, e.g. dysprosium (any case)", pattern=r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
]
Limit = Annotated[int, Query(ge=1, le=200, description="Page size")]
Cursor = Annotated[str | None, Query(max_length=2048, description="next_cursor of the previous page")]
BandFilter = Annotated[Band | None, Query(description="Only scores in this band")]
MinScore = Annotated[float | None, Query(ge=0, le=100, description="Only scores >= this value")]
GroupFilter = Annotated[
    str | None, Query(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,63}$", description="Material group, e.g. rare_earths, hree")
]


@app.get("/v1/health", summary="Liveness check (no auth)", tags=["meta"])
def health() -> HealthResponse:
    return HealthResponse(status="ok", model_version=MODEL_VERSION)


@app.get("/v1/materials", summary="The materials catalogue", tags=["materials"])
def list_materials() -> MaterialListResponse:
    materials = queries.list_materials(get_repository())
    metrics.add_metric(name="MaterialsListed", unit=MetricUnit.Count, value=1)
    return MaterialListResponse(items=[MaterialSummary.of(m) for m in materials])


@app.get("/v1/materials/<material>", summary="A material's profile and active signals", tags=["materials"])
def get_material(material: MaterialPath) -> MaterialResponse:
    logger.append_keys(material=material)
    detail = queries.get_material(get_repository(), material, datetime.now(UTC).date())
    metrics.add_metric(name="MaterialRead", unit=MetricUnit.Count, value=1)
    return MaterialResponse.of(detail.profile, detail.active_signals)


@app.get("/v1/scores/<importer>/<material>", summary="One score with components and drivers", tags=["scores"])
def get_score(importer: ImporterPath, material: MaterialPath) -> ScoreResponse:
    logger.append_keys(importer=importer, material=material)
    score = queries.get_score(get_repository(), importer, material)
    metrics.add_metric(name="ScoreRead", unit=MetricUnit.Count, value=1)
    return ScoreResponse.of(score)


@app.get("/v1/importers/<importer>/scores", summary="An importer's scores, highest first", tags=["scores"])
def rank_importer_scores(
    importer: ImporterPath,
    band: BandFilter = None,
    min_score: MinScore = None,
    group: GroupFilter = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ScorePageResponse:
    logger.append_keys(importer=importer)
    query = RankQuery(RankedBy.IMPORTER, importer, band, min_score, group, limit, cursor)
    page = queries.rank_scores(get_repository(), query)
    metrics.add_metric(name="RankingRead", unit=MetricUnit.Count, value=1)
    return ScorePageResponse(items=[ScoreResponse.of(s) for s in page.items], next_cursor=page.next_cursor)


@app.get("/v1/materials/<material>/scores", summary="A material's scores across importers", tags=["scores"])
def rank_material_scores(
    material: MaterialPath,
    band: BandFilter = None,
    min_score: MinScore = None,
    group: GroupFilter = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ScorePageResponse:
    logger.append_keys(material=material)
    query = RankQuery(RankedBy.MATERIAL, material, band, min_score, group, limit, cursor)
    page = queries.rank_scores(get_repository(), query)
    metrics.add_metric(name="RankingRead", unit=MetricUnit.Count, value=1)
    return ScorePageResponse(items=[ScoreResponse.of(s) for s in page.items], next_cursor=page.next_cursor)


@app.get("/v1/scores/<importer>/<material>/history", summary="A score's history, oldest first", tags=["scores"])
def get_score_history(
    importer: ImporterPath,
    material: MaterialPath,
    from_: Annotated[datetime | None, Query(alias="from", description="ISO timestamp, inclusive")] = None,
    to: Annotated[datetime | None, Query(description="ISO timestamp, inclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    cursor: Cursor = None,
) -> HistoryResponse:
    logger.append_keys(importer=importer, material=material)
    page = queries.score_history(get_repository(), importer, material, from_, to, limit, cursor)
    metrics.add_metric(name="HistoryRead", unit=MetricUnit.Count, value=1)
    return HistoryResponse(
        importer=importer.upper(),
        material=material.lower(),
        items=[HistoryPointResponse.of(p) for p in page.items],
        next_cursor=page.next_cursor,
    )


@app.get("/v1/signals", summary="Policy signals feed, newest first", tags=["signals"])
def list_signals(
    material: Annotated[str | None, Query(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,63}$")] = None,
    issuer: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
    target: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
    status: Annotated[SignalStatus | None, Query()] = None,
) -> SignalListResponse:
    filters = queries.SignalFilter(material=material, issuer=issuer, target=target, status=status)
    signals = queries.list_signals(get_repository(), filters)
    metrics.add_metric(name="SignalsListed", unit=MetricUnit.Count, value=1)
    return SignalListResponse(items=[SignalResponse.of(s) for s in signals])


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
