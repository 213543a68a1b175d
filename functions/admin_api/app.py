"""Admin API (scope risk/admin): reference data and signals with optimistic locking, rescoring runs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.admin_api import drafts
from shared.adapters.factory import get_chunk_queue, get_repository
from shared.config import RunPlannerSettings, get_settings, require_settings
from shared.http import (
    UPSERT_RESPONSES,
    IfMatch,
    build_resolver,
    caller_of,
    parse_json_body,
    resolve,
    stored,
    upsert_input,
)
from shared.observability import API_CORRELATION_PATH, logger, metrics
from shared.params import CountryPath, IdempotencyKey, MaterialPath, RunIdPath, SignalIdPath
from shared.runtime import init_done
from shared.schemas import GovernanceResponse, MaterialResponse, SignalResponse
from shared.schemas_admin import (
    DependencyResponse,
    DependencyUpsertRequest,
    GovernanceUpsertRequest,
    MaterialUpsertRequest,
    RescoreRequest,
    RescoreRunResponse,
    SignalLoadResponse,
    SignalUpsertRequest,
)
from shared.services import admin, runs
from shared.services.signal_loads import MAX_LOAD_ROWS, load_signals
from shared.signal_load_rows import parse_rows

# The init fails here, naming the variables, when the deployment lacks one this function needs (routes read
# settings with get_settings() on use: tests and the local stack re-point them between invocations).
SETTINGS_AT_INIT = require_settings(RunPlannerSettings)

app = build_resolver()
app.include_router(drafts.router)


@app.put(
    "/v1/signals/<signal_id>", summary="Create or replace a policy signal", tags=["admin"], responses=UPSERT_RESPONSES
)
def put_signal(
    signal_id: SignalIdPath, request: Annotated[SignalUpsertRequest, Body()], if_match: IfMatch = None
) -> Response[SignalResponse]:
    logger.append_keys(signal_id=signal_id)
    result = admin.upsert_signal(get_repository(), signal_id, *upsert_input(request, if_match))
    metrics.add_metric(name="SignalUpserted" if result.changed else "SignalUnchanged", unit=MetricUnit.Count, value=1)
    return stored(result, SignalResponse.of(result.item))


#: (METHOD, path) of the routes that take a text/csv body besides JSON
CSV_ROUTES = frozenset({("PUT", "/v1/signals")})
_SIGNAL_ROW_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A row of the reference file (materials, targets, stages as ;-separated text; instrument, "
    "status_until) or a PUT /v1/signals/{signal_id} body plus its id",
    "properties": {"id": {"type": "string", "maxLength": 100}},
    "required": ["id"],
    "additionalProperties": True,
}
BULK_REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "description": f"At most {MAX_LOAD_ROWS} rows (and 1 MiB). text/csv: a header row of the reference file's "
    "columns (id, announced, effective, issuer, measure, instrument, materials, targets, status, status_until, "
    "source; optional severity, confidence, stages, quota_tonnes, reference_tonnes, state_measure, version). "
    "application/json: a list of rows in that format, or of signal bodies with their id.",
    "content": {
        "application/json": {"schema": {"type": "array", "maxItems": MAX_LOAD_ROWS, "items": _SIGNAL_ROW_SCHEMA}},
        "text/csv": {"schema": {"type": "string"}},
    },
}


@app.put(
    "/v1/signals",
    summary="Bulk load policy signals (CSV or JSON rows): per-row results, one rescoring run for the batch",
    tags=["admin"],
    responses={
        200: {
            "description": "Nothing changed (every row unchanged, invalid or in conflict): no run",
            "content": {"application/json": {"model": SignalLoadResponse}},
        },
        202: {
            "description": "Rows changed: ONE rescoring run for the materials they touch was started",
            "content": {"application/json": {"model": SignalLoadResponse}},
        },
    },
    openapi_extensions={"requestBody": BULK_REQUEST_BODY},
)
def put_signals() -> Response[SignalLoadResponse]:
    event = app.current_event
    try:
        rows = parse_rows(event.body, event.headers.get("content-type") or "application/json", parse_json_body)
    except json.JSONDecodeError as exc:  # the same answer as a JSON route whose body Powertools parses
        error = {
            "type": "json_invalid",
            "loc": ("body", exc.pos),
            "msg": "JSON decode error",
            "ctx": {"error": exc.msg},
        }
        raise RequestValidationError([error]) from None
    settings = get_settings()
    now = datetime.now(UTC).replace(microsecond=0)
    load = load_signals(
        get_repository(), get_chunk_queue(), rows, now, settings.scored_importer_codes, settings.chunk_pairs
    )
    logger.append_keys(load_id=load.load_id)
    counts = load.counts()
    logger.info("signals loaded", counts=counts, run_id=load.run.run_id if load.run else None)
    for outcome, count in counts.items():
        metrics.add_metric(name=f"SignalLoadRows{outcome.capitalize()}", unit=MetricUnit.Count, value=count)
    return Response(
        status_code=HTTPStatus.ACCEPTED if load.run else HTTPStatus.OK,
        content_type=content_types.APPLICATION_JSON,
        body=SignalLoadResponse.of(load),
        headers={"Location": f"/v1/rescore/{load.run.run_id}"} if load.run else None,
    )


@app.put(
    "/v1/materials/<material>",
    summary="Create or update a material profile",
    tags=["admin"],
    responses=UPSERT_RESPONSES,
)
def put_material(
    material: MaterialPath, request: Annotated[MaterialUpsertRequest, Body()], if_match: IfMatch = None
) -> Response[MaterialResponse]:
    logger.append_keys(material=material)
    result = admin.upsert_material(get_repository(), material, *upsert_input(request, if_match))
    metrics.add_metric(name="MaterialUpserted", unit=MetricUnit.Count, value=1)
    return stored(result, MaterialResponse.of(result.item, []))


@app.put(
    "/v1/importers/<importer>/dependencies/<material>",
    summary="Create or update an importer's dependency on a material",
    tags=["admin"],
    responses=UPSERT_RESPONSES,
)
def put_dependency(
    importer: CountryPath,
    material: MaterialPath,
    request: Annotated[DependencyUpsertRequest, Body()],
    if_match: IfMatch = None,
) -> Response[DependencyResponse]:
    logger.append_keys(importer=importer, material=material)
    result = admin.upsert_dependency(get_repository(), importer, material, *upsert_input(request, if_match))
    metrics.add_metric(name="DependencyUpserted", unit=MetricUnit.Count, value=1)
    return stored(result, DependencyResponse.of(result.item))


@app.put(
    "/v1/countries/<country>/governance",
    summary="Create or update a country's governance",
    tags=["admin"],
    responses=UPSERT_RESPONSES,
)
def put_governance(
    country: CountryPath, request: Annotated[GovernanceUpsertRequest, Body()], if_match: IfMatch = None
) -> Response[GovernanceResponse]:
    logger.append_keys(country=country)
    result = admin.upsert_governance(get_repository(), country, *upsert_input(request, if_match))
    metrics.add_metric(name="GovernanceUpserted", unit=MetricUnit.Count, value=1)
    return stored(result, GovernanceResponse.of(result.item))


@app.post("/v1/rescore", summary="Start a rescoring run", tags=["admin"], status_code=HTTPStatus.ACCEPTED)
def start_rescore(
    request: Annotated[RescoreRequest, Body()], idempotency_key: IdempotencyKey = None
) -> Response[RescoreRunResponse]:
    settings = get_settings()
    run = runs.start_manual_run(
        get_repository(),
        get_chunk_queue(),
        caller_of(app).client_id,
        idempotency_key,
        request.materials,
        request.importers,
        datetime.now(UTC).replace(microsecond=0),
        settings.scored_importer_codes,
        settings.chunk_pairs,
    )
    logger.append_keys(run_id=run.run_id)
    metrics.add_metric(name="RescoreRunStarted", unit=MetricUnit.Count, value=1)
    return Response(
        status_code=HTTPStatus.ACCEPTED,
        content_type=content_types.APPLICATION_JSON,
        body=RescoreRunResponse.of(run),
        headers={"Location": f"/v1/rescore/{run.run_id}"},
    )


@app.get("/v1/rescore/<run_id>", summary="Progress of a rescoring run", tags=["admin"])
def get_rescore(run_id: RunIdPath) -> RescoreRunResponse:
    return RescoreRunResponse.of(runs.get_run(get_repository(), run_id))


@logger.inject_lambda_context(clear_state=True, correlation_id_path=API_CORRELATION_PATH)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve(app, event, context, CSV_ROUTES)


init_done()
