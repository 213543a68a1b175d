"""Portfolio API (scope risk/portfolio): a tenant's bills of materials and their aggregated risk.

The tenant is the caller's client id from the token; every key includes it, so another tenant's portfolio is
simply not found (404, never a 403 that would reveal it exists).
"""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.portfolio_api import subscriptions
from shared.adapters.factory import get_repository
from shared.config import SubscriptionSettings, require_settings
from shared.http import (
    UPSERT_RESPONSES,
    IfMatch,
    build_resolver,
    caller_of,
    csv_response,
    expected_version,
    resolve,
    stored,
    upsert_input,
    wants_csv,
)
from shared.observability import API_CORRELATION_PATH, logger, metrics
from shared.params import PortfolioIdPath
from shared.runtime import init_done
from shared.schemas import (
    RISK_CSV_COLUMNS,
    PortfolioListResponse,
    PortfolioResponse,
    PortfolioRiskResponse,
    PortfolioUpsertRequest,
)
from shared.services import portfolios

# The init fails here, naming the variables, when the deployment lacks one this function needs (routes read
# settings with get_settings() on use: tests and the local stack re-point them between invocations).
SETTINGS_AT_INIT = require_settings(SubscriptionSettings)

app = build_resolver()
app.include_router(subscriptions.router)

__all__ = ["RISK_CSV_COLUMNS", "app", "lambda_handler"]

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
    portfolio_id: PortfolioIdPath, request: Annotated[PortfolioUpsertRequest, Body()], if_match: IfMatch = None
) -> Response[PortfolioResponse]:
    logger.append_keys(portfolio_id=portfolio_id, items=len(request.items))
    now = datetime.now(UTC)
    result = portfolios.upsert_portfolio(
        get_repository(), tenant(), portfolio_id, *upsert_input(request, if_match), now
    )
    metrics.add_metric(name="PortfolioUpserted", unit=MetricUnit.Count, value=1)
    return stored(result, PortfolioResponse.of(result.item))


@app.get("/v1/portfolios/<portfolio_id>", summary="One of your portfolios", tags=["portfolios"])
def get_portfolio(portfolio_id: PortfolioIdPath) -> PortfolioResponse:
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
def delete_portfolio(portfolio_id: PortfolioIdPath, if_match: IfMatch = None) -> Response[None]:
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
    return PortfolioListResponse.of(page)


@app.get(
    "/v1/portfolios/<portfolio_id>/risk",
    summary="A portfolio's risk: spend-weighted and max score, ranked lines, top drivers",
    tags=["portfolios"],
    responses=RISK_RESPONSES,
)
def get_portfolio_risk(portfolio_id: PortfolioIdPath) -> Response[Any]:
    logger.append_keys(portfolio_id=portfolio_id)
    report = portfolios.portfolio_risk(get_repository(), tenant(), portfolio_id, datetime.now(UTC))
    metrics.add_metric(name="PortfolioRiskRead", unit=MetricUnit.Count, value=1)
    body = PortfolioRiskResponse.of(report.portfolio, report.risk, report.live_scored)
    if wants_csv(app):
        return csv_response(body.csv_rows(), RISK_CSV_COLUMNS, f"{portfolio_id}-risk.csv")
    return Response(status_code=HTTPStatus.OK, content_type=content_types.APPLICATION_JSON, body=body)


@logger.inject_lambda_context(clear_state=True, correlation_id_path=API_CORRELATION_PATH)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve(app, event, context)


init_done()
