"""Scores: one, many (batch), ranked lists (JSON or CSV) and a score's history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.metrics import MetricUnit

from shared.adapters.factory import get_read_repository
from shared.domain.models import Band
from shared.http import build_router, csv_response, wants_csv
from shared.observability import logger, metrics
from shared.params import Cursor, GroupFilter, ImporterPath, Limit, MaterialPath
from shared.ports import HistoryQuery, Pair, RankedBy, RankQuery
from shared.schemas import (
    SCORE_CSV_COLUMNS,
    BatchScoresRequest,
    BatchScoresResponse,
    HistoryResponse,
    ScorePageResponse,
    ScoreResponse,
)
from shared.services import queries

router = build_router()

BandFilter = Annotated[Band | None, Query(description="Only scores in this band (combined with min_score: both apply)")]
MinScore = Annotated[
    float | None,
    Query(
        ge=0,
        le=100,
        description="Only scores >= this value. With a band whose scores are all below it (band=low&min_score=50) "
        "nothing can match: an empty page (200, items [])",
    ),
]


@router.get("/v1/scores/<importer>/<material>", summary="One score with components and drivers", tags=["scores"])
def get_score(importer: ImporterPath, material: MaterialPath) -> ScoreResponse:
    logger.append_keys(importer=importer, material=material)
    score = queries.get_score(get_read_repository(), importer, material)
    metrics.add_metric(name="ScoreRead", unit=MetricUnit.Count, value=1)
    return ScoreResponse.of(score)


# ------------------------------------------------- ranked lists: one route per key, one `ranking` behind both

RANKING_RESPONSES: dict[int, OpenAPIResponse] = {
    200: {
        "description": "Scores, highest first. Send Accept: text/csv for a spreadsheet (one row per score).",
        "content": {"application/json": {"model": ScorePageResponse}, "text/csv": {"schema": {"type": "string"}}},
    }
}


def ranking(query: RankQuery, filename: str) -> Response[Any]:
    """One page of a ranked list, as JSON or (Accept: text/csv) as a spreadsheet with the cursor in a header."""
    page = ScorePageResponse.of(queries.rank_scores(get_read_repository(), query))
    metrics.add_metric(name="RankingRead", unit=MetricUnit.Count, value=1)
    if wants_csv(router):
        response = csv_response(page.csv_rows(), SCORE_CSV_COLUMNS, filename)
        if page.next_cursor:
            response.headers["X-Next-Cursor"] = page.next_cursor
        return response
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=page)


@router.get(
    "/v1/importers/<importer>/scores",
    summary="An importer's scores, highest first",
    tags=["scores"],
    responses=RANKING_RESPONSES,
)
def rank_importer_scores(
    importer: ImporterPath,
    band: BandFilter = None,
    min_score: MinScore = None,
    group: GroupFilter = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response[Any]:
    logger.append_keys(importer=importer)
    query = RankQuery(RankedBy.IMPORTER, importer, band, min_score, group, limit, cursor)
    return ranking(query, f"{importer.upper()}-scores.csv")


@router.get(
    "/v1/materials/<material>/scores",
    summary="A material's scores across importers",
    tags=["scores"],
    responses=RANKING_RESPONSES,
)
def rank_material_scores(
    material: MaterialPath,
    band: BandFilter = None,
    min_score: MinScore = None,
    group: GroupFilter = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response[Any]:
    logger.append_keys(material=material)
    query = RankQuery(RankedBy.MATERIAL, material, band, min_score, group, limit, cursor)
    return ranking(query, f"{material.lower()}-scores.csv")


# ---------------------------------------------------------------------------------------- history, batch


@router.get("/v1/scores/<importer>/<material>/history", summary="A score's history, oldest first", tags=["scores"])
def get_score_history(
    importer: ImporterPath,
    material: MaterialPath,
    from_: Annotated[
        datetime | None, Query(alias="from", description="ISO timestamp, inclusive (no offset = UTC)")
    ] = None,
    to: Annotated[
        datetime | None, Query(description="ISO timestamp, inclusive (no offset = UTC); from after to is a 422")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    cursor: Cursor = None,
) -> HistoryResponse:
    logger.append_keys(importer=importer, material=material)
    history = queries.score_history(get_read_repository(), HistoryQuery(importer, material, from_, to, limit, cursor))
    metrics.add_metric(name="HistoryRead", unit=MetricUnit.Count, value=1)
    return HistoryResponse.of(history)


@router.post("/v1/scores/batch", summary="Up to 100 scores in one call; missing pairs are listed", tags=["scores"])
def batch_scores(request: Annotated[BatchScoresRequest, Body()]) -> BatchScoresResponse:
    pairs = [Pair(p.importer, p.material) for p in request.pairs]
    found, missing = queries.batch_scores(get_read_repository(), pairs)
    metrics.add_metric(name="BatchScoresRead", unit=MetricUnit.Count, value=len(found))
    return BatchScoresResponse.of(found, missing)
