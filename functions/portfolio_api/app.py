"""Portfolio API (scope risk/portfolio): a tenant's bills of materials and their aggregated risk.

The tenant is the caller's client id from the token; every key includes it, so another tenant's portfolio is
simply not found (404, never a 403 that would reveal it exists).
"""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.adapters.factory import get_repository
from shared.config import FunctionSettings, require_settings
from shared.http import build_resolver, caller_of, csv_response, expected_version, resolve, wants_csv
from shared.observability import API_CORRELATION_PATH, logger, metrics
from shared.runtime import init_done
from shared.schemas import (
    PortfolioListResponse,
    PortfolioResponse,
    PortfolioRiskResponse,
    PortfolioSummaryResponse,
    PortfolioUpsertRequest,
)
from shared.services import portfolios

# The init fails here, naming the variables, when the deployment lacks one this function needs (routes read
# settings with get_settings() on use: tests and the local stack re-point them between invocations).
SETTINGS_AT_INIT = require_settings(FunctionSettings)

app = build_resolver()

PortfolioId = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$", description="Your id for it")]
IfMatch = Annotated[str | None, Header(description="The version you last read, as an alternative to body version")]
UPSERT_RESPONSES: dict[int, OpenAPIResponse] = {
    200: {"description": "Replaced (version + 1), or unchanged when the body equals what is stored"},
    201: {"description": "Created (version 1)"},
}
RISK_CSV_COLUMNS = (
    "material", "importer", "via_group", "part", "supplier", "annual_spend", "score", "band", "risk_spend",
    "confidence", "top_driver", "unscored_reason",
)  # fmt: skip
RISK_RESPONSES: dict[int, OpenAPIResponse] = {
    200: {
        "description": (
            "Portfolio risk. Send Accept: text/csv for one row per line, ranked by risk x spend, then one row per "
            "unscored line (no score, unscored_reason says why)."
        ),
        "content": {
            "application/json": {"model": PortfolioRiskResponse},
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


def tenant() -> str:
    return caller_of(app).client_id


@app.put(
    "/v1/portfolios/<portfolio_id>",
    summary="Create or replace a portfolio",
    tags=["portfolios"],
    responses=UPSERT_RESPONSES,
)
def put_portfolio(
    portfolio_id: PortfolioId, request: Annotated[PortfolioUpsertRequest, Body()], if_match: IfMatch = None
) -> Response[PortfolioResponse]:
    logger.append_keys(portfolio_id=portfolio_id, items=len(request.items))
    fields = request.model_dump(exclude={"version"})
    version = expected_version(request.version, if_match)
    now = datetime.now(UTC)
    result = portfolios.upsert_portfolio(get_repository(), tenant(), portfolio_id, fields, version, now)
    metrics.add_metric(name="PortfolioUpserted", unit=MetricUnit.Count, value=1)
    return Response(
        status_code=HTTPStatus.CREATED if result.created else HTTPStatus.OK,
        content_type=content_types.APPLICATION_JSON,
        body=PortfolioResponse.of(result.item),
        headers={"ETag": f'"{result.item.version}"'},
    )


@app.get("/v1/portfolios/<portfolio_id>", summary="One of your portfolios", tags=["portfolios"])
def get_portfolio(portfolio_id: PortfolioId) -> PortfolioResponse:
    logger.append_keys(portfolio_id=portfolio_id)
    portfolio = portfolios.get_portfolio(get_repository(), tenant(), portfolio_id)
    metrics.add_metric(name="PortfolioRead", unit=MetricUnit.Count, value=1)
    return PortfolioResponse.of(portfolio)


@app.delete(
    "/v1/portfolios/<portfolio_id>",
    summary="Delete one of your portfolios",
    tags=["portfolios"],
    responses={204: {"description": "Deleted"}},
)
def delete_portfolio(portfolio_id: PortfolioId, if_match: IfMatch = None) -> Response[None]:
    logger.append_keys(portfolio_id=portfolio_id)
    portfolios.delete_portfolio(get_repository(), tenant(), portfolio_id, expected_version(None, if_match))
    metrics.add_metric(name="PortfolioDeleted", unit=MetricUnit.Count, value=1)
    return Response(status_code=HTTPStatus.NO_CONTENT, content_type=content_types.APPLICATION_JSON, body=None)


@app.get("/v1/portfolios", summary="Your portfolios", tags=["portfolios"])
def list_portfolios(
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> PortfolioListResponse:
    page = portfolios.list_portfolios(get_repository(), tenant(), limit, cursor)
    metrics.add_metric(name="PortfoliosListed", unit=MetricUnit.Count, value=1)
    return PortfolioListResponse(
        items=[
            PortfolioSummaryResponse(
                id=p.id,
                name=p.name,
                currency=p.currency,
                item_count=p.item_count,
                version=p.version,
                updated_at=p.updated_at,
            )
            for p in page.items
        ],
        next_cursor=page.next_cursor,
    )


@app.get(
    "/v1/portfolios/<portfolio_id>/risk",
    summary="A portfolio's risk: spend-weighted and max score, ranked lines, top drivers",
    tags=["portfolios"],
    responses=RISK_RESPONSES,
)
def get_portfolio_risk(portfolio_id: PortfolioId) -> Response[Any]:
    logger.append_keys(portfolio_id=portfolio_id)
    report = portfolios.portfolio_risk(get_repository(), tenant(), portfolio_id, datetime.now(UTC))
    metrics.add_metric(name="PortfolioRiskRead", unit=MetricUnit.Count, value=1)
    body = PortfolioRiskResponse.of(report.portfolio, report.risk, report.live_scored)
    if wants_csv(app):
        # the ranked scored lines, then the unscored ones with their reason (their spend is never left out)
        rows = [line.model_dump(mode="json") for line in body.items]
        rows += [{**u.model_dump(mode="json"), "unscored_reason": u.reason} for u in body.unscored_lines]
        return csv_response(rows, RISK_CSV_COLUMNS, f"{portfolio_id}-risk.csv")
    return Response(status_code=HTTPStatus.OK, content_type=content_types.APPLICATION_JSON, body=body)


@logger.inject_lambda_context(clear_state=True, correlation_id_path=API_CORRELATION_PATH)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve(app, event, context)


init_done()
