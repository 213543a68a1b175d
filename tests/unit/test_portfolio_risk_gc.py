"""GET /v1/portfolios/{id}/risk scores up to 1,000 lines on read with the cyclic GC paused (decision 83), and
leaves it as it was, on success and on an error."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from shared.domain.errors import NotFoundError
from shared.services import portfolios
from tests.conftest import point_handlers_at
from tests.support import PORTFOLIO, api_event, call


def test_portfolio_risk_runs_with_the_collector_paused_and_restores_it(monkeypatch: pytest.MonkeyPatch) -> None:
    point_handlers_at(monkeypatch, "no-table", None)
    from functions.portfolio_api import app

    seen: list[bool] = []

    def service(*args: Any) -> Any:
        seen.append(gc.isenabled())
        raise NotFoundError("unknown portfolio 'p-1'", field="portfolio_id")

    monkeypatch.setattr(app, "get_repository", object)  # the stub service reads no store
    monkeypatch.setattr(portfolios, "portfolio_risk", service)  # the module object the handler calls through
    assert gc.isenabled()
    result = call(app.lambda_handler, api_event("GET", "/v1/portfolios/p-1/risk", scopes=(PORTFOLIO,)))
    assert result.status == 404
    assert seen == [False]
    assert gc.isenabled()
