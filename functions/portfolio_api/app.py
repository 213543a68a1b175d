"""Portfolio API (scope risk/portfolio): a tenant's bills of materials and their aggregated risk.

The tenant is the caller's client id from the token; every key includes it, so another tenant's portfolio is
simply not found (404, never a 403 that would reveal it exists).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.portfolio_api import subscriptions
from shared.adapters.factory import get_repository
from shared.config import SubscriptionSettings, require_settings
from shared.domain.errors import InvalidInputError
from shared.http import (
    CSV_CONTENT_TYPE,
    UPSERT_RESPONSES,
    IfMatch,
    build_resolver,
    caller_of,
    csv_response,
    expected_version,
    media_type,
    parse_json_body,
    resolve,
    stored,
    upsert_input,
    wants_csv,
)
from shared.observability import API_CORRELATION_PATH, logger, metrics
from shared.params import PortfolioIdPath
from shared.portfolio_rows import (
    PORTFOLIO_CSV_COLUMNS,
    PORTFOLIO_REQUEST_BODY,
    json_portfolio_request,
    portfolio_csv_rows,
    portfolio_request_from_csv,
    rows_named,
)
from shared.runtime import gc_paused, init_done
from shared.schemas_portfolios import (
    HISTORY_CSV_COLUMNS,
    RISK_CSV_COLUMNS,
    PortfolioHistoryResponse,
    PortfolioListResponse,
    PortfolioResponse,
    PortfolioRiskResponse,
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


#: (METHOD, resource) of the routes that take a text/csv body besides JSON
CSV_ROUTES = frozenset({("PUT", "/v1/portfolios/{portfolio_id}")})

PORTFOLIO_RESPONSES: dict[int, OpenAPIResponse] = {
    200: {
        "description": "The portfolio. Send Accept: text/csv for its items as a spreadsheet (PUT takes it back)",
        "content": {
            "application/json": {"model": PortfolioResponse},
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


def tenant() -> str:
    return caller_of(app).client_id


@app.put(
    "/v1/portfolios/<portfolio_id>",
    summary="Create or replace a portfolio (JSON, or a spreadsheet as text/csv)",
    tags=["portfolios"],
    responses=UPSERT_RESPONSES,
    openapi_extensions={"requestBody": PORTFOLIO_REQUEST_BODY},
)
def put_portfolio(
    portfolio_id: PortfolioIdPath,
    if_match: IfMatch = None,
    name: Annotated[str | None, Query(min_length=1, max_length=200, description="text/csv only")] = None,
    currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$", description="text/csv only")] = None,
) -> Response[PortfolioResponse]:
    event = app.current_event
    now = datetime.now(UTC)
    if media_type(event.headers.get("content-type") or "") == CSV_CONTENT_TYPE:
        fields, version, rows = portfolio_request_from_csv(event.body or "", name or portfolio_id, currency, None)
        logger.append_keys(portfolio_id=portfolio_id, items=len(rows), format="csv")
        try:
            result = portfolios.upsert_portfolio(
                get_repository(), tenant(), portfolio_id, fields, expected_version(version, if_match), now
            )
        except InvalidInputError as exc:
            raise rows_named(exc, rows) from None
    else:
        request = json_portfolio_request(event.body, parse_json_body)
        logger.append_keys(portfolio_id=portfolio_id, items=len(request.items))
        result = portfolios.upsert_portfolio(
            get_repository(), tenant(), portfolio_id, *upsert_input(request, if_match), now
        )
    metrics.add_metric(name="PortfolioUpserted", unit=MetricUnit.Count, value=1)
    return stored(result, PortfolioResponse.of(result.item))


@app.get(
    "/v1/portfolios/<portfolio_id>",
    summary="One of your portfolios (Accept: text/csv for a spreadsheet)",
    tags=["portfolios"],
    responses=PORTFOLIO_RESPONSES,
)
def get_portfolio(portfolio_id: PortfolioIdPath) -> Response[Any]:
    logger.append_keys(portfolio_id=portfolio_id)
    portfolio = portfolios.get_portfolio(get_repository(), tenant(), portfolio_id)
    metrics.add_metric(name="PortfolioRead", unit=MetricUnit.Count, value=1)
    if wants_csv(app):
        return csv_response(portfolio_csv_rows(portfolio), PORTFOLIO_CSV_COLUMNS, f"{portfolio_id}.csv")
    return Response(
        status_code=HTTPStatus.OK, content_type=content_types.APPLICATION_JSON, body=PortfolioResponse.of(portfolio)
    )


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
    with gc_paused():  # up to 1,000 lines scored on read: a bounded unit of work, as a nightly chunk (decision 83)
        report = portfolios.portfolio_risk(get_repository(), tenant(), portfolio_id, datetime.now(UTC))
    metrics.add_metric(name="PortfolioRiskRead", unit=MetricUnit.Count, value=1)
    body = PortfolioRiskResponse.of(
        report.portfolio, report.risk, report.live_scored, report.company_risk, report.company_scores
    )
    if wants_csv(app):
        return csv_response(body.csv_rows(), RISK_CSV_COLUMNS, f"{portfolio_id}-risk.csv")
    return Response(status_code=HTTPStatus.OK, content_type=content_types.APPLICATION_JSON, body=body)


HISTORY_RESPONSES: dict[int, OpenAPIResponse] = {
    200: {
        "description": "Spend-weighted and max national score per day (Accept: text/csv for one row per day)",
        "content": {
            "application/json": {"model": PortfolioHistoryResponse},
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


@app.get(
    "/v1/portfolios/<portfolio_id>/risk/history",
    summary="A portfolio's risk per day (national scores, from the pairs' score history)",
    tags=["portfolios"],
    responses=HISTORY_RESPONSES,
)
def get_portfolio_risk_history(
    portfolio_id: PortfolioIdPath,
    from_: Annotated[date | None, Query(alias="from", description="First day (UTC), default: to - 29 days")] = None,
    to: Annotated[date | None, Query(description="Last day (UTC), default today; at most 400 days")] = None,
) -> Response[Any]:
    logger.append_keys(portfolio_id=portfolio_id)
    today = datetime.now(UTC).date()
    history = portfolios.portfolio_history(get_repository(), tenant(), portfolio_id, from_, to, today)
    metrics.add_metric(name="PortfolioHistoryRead", unit=MetricUnit.Count, value=1)
    body = PortfolioHistoryResponse.of(portfolio_id, history.start, history.end, history.days)
    if wants_csv(app):
        return csv_response(body.csv_rows(), HISTORY_CSV_COLUMNS, f"{portfolio_id}-history.csv")
    return Response(status_code=HTTPStatus.OK, content_type=content_types.APPLICATION_JSON, body=body)


@logger.inject_lambda_context(clear_state=True, correlation_id_path=API_CORRELATION_PATH)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve(app, event, context, CSV_ROUTES)


init_done()
