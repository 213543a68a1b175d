"""Read API: materials, scores, ranked lists, history and signals (scope risk/read; health needs none)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.adapters.factory import get_repository
from shared.config import FunctionSettings, get_settings, require_settings
from shared.domain.models import Band, Measure, SignalStatus, Stage
from shared.domain.scoring import MODEL_VERSION
from shared.http import build_resolver, caller_of, csv_response, resolve, wants_csv
from shared.observability import API_CORRELATION_PATH, logger, metrics
from shared.ports import HistoryQuery, Pair, RankedBy, RankQuery
from shared.runtime import init_done
from shared.schemas import (
    BatchScoresRequest,
    BatchScoresResponse,
    DependencyDetailResponse,
    DriverResponse,
    HealthResponse,
    HistoryPointResponse,
    HistoryResponse,
    ImporterListResponse,
    ImporterSummary,
    MaterialListResponse,
    MaterialResponse,
    MaterialSummary,
    MissingPair,
    ScenarioLineResponse,
    ScenarioRequest,
    ScenarioResponse,
    ScenarioSide,
    ScorePageResponse,
    ScoreResponse,
    SignalListResponse,
    SignalResponse,
    UnscoredLineResponse,
)
from shared.services import importers, queries, scenarios
from shared.services.health import StoreHealth

# The init fails here, naming the variables, when the deployment lacks one this function needs (routes read
# settings with get_settings() on use: tests and the local stack re-point them between invocations).
SETTINGS_AT_INIT = require_settings(FunctionSettings)

app = build_resolver()

ImporterPath = Annotated[
    str,
    Path(description="ISO 3166-1 alpha-2 code or EU (any case)", min_length=2, max_length=2, pattern=r"^[A-Za-z]{2}$"),
]
MaterialPath = Annotated[
    str, Path(description="Material id, e.g. dysprosium (any case)", pattern=r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
]
Limit = Annotated[int, Query(ge=1, le=200, description="Page size")]
Cursor = Annotated[
    str | None,
    Query(
        max_length=2048,
        description="next_cursor of the previous page, with the same filters (a cursor replayed with other "
        "filters, or on another path, is a 422)",
    ),
]
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
GroupFilter = Annotated[
    str | None, Query(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,63}$", description="Material group, e.g. rare_earths, hree")
]


#: this container's last look at the store (shared/services/health.py)
STORE_HEALTH = StoreHealth()


@app.get(
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
    store = STORE_HEALTH.check(get_repository(), get_settings().health_cache_seconds)
    if not store.available and store.fresh:
        logger.warning("health check: store unavailable", error=store.cause)
    metrics.add_metric(name="HealthCheck", unit=MetricUnit.Count, value=1)
    if store.available:
        return Response(200, "application/json", HealthResponse(status="ok", store="ok", model_version=MODEL_VERSION))
    body = HealthResponse(status="degraded", store="unavailable", model_version=MODEL_VERSION)
    return Response(503, "application/json", body)


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
    return MaterialResponse.of(detail.profile, detail.active_signals, detail.active_signals_by_stage())


@app.get("/v1/scores/<importer>/<material>", summary="One score with components and drivers", tags=["scores"])
def get_score(importer: ImporterPath, material: MaterialPath) -> ScoreResponse:
    logger.append_keys(importer=importer, material=material)
    score = queries.get_score(get_repository(), importer, material)
    metrics.add_metric(name="ScoreRead", unit=MetricUnit.Count, value=1)
    return ScoreResponse.of(score)


SCORE_CSV_COLUMNS = (
    "importer", "material", "score", "band", "confidence", "supply_risk", "import_reliance",
    "site_concentration", "policy_pressure", "top_driver", "model_version", "computed_at",
)  # fmt: skip
RANKING_RESPONSES: dict[int, OpenAPIResponse] = {
    200: {
        "description": "Scores, highest first. Send Accept: text/csv for a spreadsheet (one row per score).",
        "content": {"application/json": {"model": ScorePageResponse}, "text/csv": {"schema": {"type": "string"}}},
    }
}


def ranking_response(query: RankQuery, name: str) -> Response[Any]:
    """One page of a ranked list, as JSON or (Accept: text/csv) as a spreadsheet with the cursor in a header."""
    page = queries.rank_scores(get_repository(), query)
    metrics.add_metric(name="RankingRead", unit=MetricUnit.Count, value=1)
    page_items, next_cursor = [ScoreResponse.of(s) for s in page.items], page.next_cursor
    if wants_csv(app):
        rows = [
            {
                **item.model_dump(mode="json", include=set(SCORE_CSV_COLUMNS)),
                **item.components.model_dump(exclude={"concentration"}),
                "top_driver": item.drivers[0].text if item.drivers else "",
            }
            for item in page_items
        ]
        response = csv_response(rows, SCORE_CSV_COLUMNS, f"{name}.csv")
        if next_cursor:
            response.headers["X-Next-Cursor"] = next_cursor
        return response
    return Response(
        status_code=200,
        content_type="application/json",
        body=ScorePageResponse(items=page_items, next_cursor=next_cursor),
    )


@app.get(
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
    return ranking_response(query, f"{importer.upper()}-scores")


@app.get(
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
    return ranking_response(query, f"{material.lower()}-scores")


@app.get("/v1/scores/<importer>/<material>/history", summary="A score's history, oldest first", tags=["scores"])
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
    page = queries.score_history(get_repository(), HistoryQuery(importer, material, from_, to, limit, cursor))
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
    stage: Annotated[
        Stage | None, Query(description="Only signals covering this stage (a signal without stages covers every stage)")
    ] = None,
    measure: Annotated[Measure | None, Query()] = None,
) -> SignalListResponse:
    filters = queries.SignalFilter(
        material=material, issuer=issuer, target=target, status=status, stage=stage, measure=measure
    )
    signals = queries.list_signals(get_repository(), filters)
    metrics.add_metric(name="SignalsListed", unit=MetricUnit.Count, value=1)
    return SignalListResponse(items=[SignalResponse.of(s) for s in signals])


CodePath = Annotated[str, Path(description="ISO 3166-1 alpha-2 code or EU (any case)", pattern=r"^[A-Za-z]{2}$")]


@app.get("/v1/importers", summary="The scored importing economies and their data coverage", tags=["importers"])
def list_importers(limit: Limit = 50, cursor: Cursor = None) -> ImporterListResponse:
    page = importers.list_importers(get_repository(), get_settings().scored_importer_codes, limit, cursor)
    metrics.add_metric(name="ImportersListed", unit=MetricUnit.Count, value=1)
    return ImporterListResponse(items=[ImporterSummary.of(c) for c in page.items], next_cursor=page.next_cursor)


@app.get(
    "/v1/importers/<importer>/dependencies/<material>",
    summary="An economy's import dependency on a material: suppliers per stage with the trade data behind them",
    tags=["importers"],
)
def get_dependency(importer: CodePath, material: MaterialPath) -> DependencyDetailResponse:
    logger.append_keys(importer=importer, material=material)
    detail = importers.get_dependency_detail(get_repository(), importer, material)
    metrics.add_metric(name="DependencyRead", unit=MetricUnit.Count, value=1)
    return DependencyDetailResponse.of(detail)


@app.post("/v1/scores/batch", summary="Up to 100 scores in one call; missing pairs are listed", tags=["scores"])
def batch_scores(request: Annotated[BatchScoresRequest, Body()]) -> BatchScoresResponse:
    pairs = [Pair(p.importer, p.material) for p in request.pairs]
    found, missing = queries.batch_scores(get_repository(), pairs)
    metrics.add_metric(name="BatchScoresRead", unit=MetricUnit.Count, value=len(found))
    return BatchScoresResponse(
        items=[ScoreResponse.of(s) for s in found],
        missing=[MissingPair(importer=m.pair.importer, material=m.pair.material, reason=m.reason) for m in missing],
    )


@app.post(
    "/v1/scenarios", summary="What-if: baseline and scenario scores side by side (not stored)", tags=["scenarios"]
)
def run_scenario(request: Annotated[ScenarioRequest, Body()]) -> ScenarioResponse:
    now = datetime.now(UTC).replace(microsecond=0)
    changes = [change.to_change(i, now.date()) for i, change in enumerate(request.changes)]
    pairs = [Pair(p.importer, p.material) for p in request.pairs] if request.pairs else None
    result = scenarios.run_scenario(
        get_repository(), caller_of(app).client_id, changes, pairs, request.portfolio_id, now
    )
    metrics.add_metric(name="ScenarioRun", unit=MetricUnit.Count, value=1)
    return ScenarioResponse(
        items=[
            ScenarioLineResponse(
                importer=base.importer,
                material=base.material,
                baseline=ScenarioSide.of(base),
                scenario=ScenarioSide.of(what_if),
                delta=round(what_if.score - base.score, 4),
                drivers=[DriverResponse.model_validate(d.model_dump()) for d in what_if.drivers],
            )
            for base, what_if in result.pairs
        ],
        unscored_lines=[UnscoredLineResponse.of(u) for u in result.unscored],
        as_of=now.date(),
    )


@logger.inject_lambda_context(clear_state=True, correlation_id_path=API_CORRELATION_PATH)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve(app, event, context)


init_done()
